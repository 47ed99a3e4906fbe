package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The derived weights rules share, cached per layer under fixed keys. */
final class DerivedWeights {
    private DerivedWeights() {
    }

    static INDArray positive(LinearLayer l) {
        return l.derivedWeight("W+", Tensors::positive);
    }

    static INDArray negative(LinearLayer l) {
        return l.derivedWeight("W-", Tensors::negative);
    }

    static INDArray absolute(LinearLayer l) {
        return l.derivedWeight("|W|", w -> Transforms.abs(w, true));
    }

    static INDArray squared(LinearLayer l) {
        return l.derivedWeight("W^2", w -> Transforms.pow(w, 2, true));
    }

    static INDArray ones(LinearLayer l) {
        return l.derivedWeight("1", Tensors::onesLike);
    }

    /**
     * {@return b⁺ of the context's bias}, kept beside the layer where the bias is the layer's own (the bias policy
     * kept it): two small arrays made per node and explanation cost more than the map's bias pass itself
     */
    static INDArray positiveBias(RuleContext ctx) {
        INDArray b = ctx.bias();
        return b == ctx.layer().bias() ? ctx.layer().derivedConstant("b+", l -> Tensors.positive(b))
                : Tensors.positive(b);
    }

    /** {@return b⁺ + ε of the context's bias and stabilizer}, kept as {@link #positiveBias} is */
    static INDArray positiveBiasPlusStabilizer(RuleContext ctx) {
        INDArray b = ctx.bias();
        double eps = ctx.stabilizer();
        return b == ctx.layer().bias()
                ? ctx.layer().derivedConstant("b+ + " + eps, l -> Tensors.positive(b).addi(eps))
                : Tensors.positive(b).addi(eps);
    }

    /**
     * {@return Σ_i x⁺_i·wa_ij + x⁻_i·wb_ij + bias_j} for the context's input: one map where the input is never
     * negative, the layer's split map otherwise (one product over [x⁺, x⁻] where the layer stacks them)
     */
    static INDArray forwardSplit(RuleContext ctx, INDArray wa, INDArray wb, INDArray bias) {
        LinearLayer l = ctx.layer();
        return ctx.inputNonNegative() ? l.forward(ctx.input(), wa, bias) : l.forwardSplit(ctx.input(), wa, wb, bias);
    }

    /** {@return x⁺ ⊙ Wa^T s + x⁻ ⊙ Wb^T s} for the context's input, the transpose that goes with forwardSplit */
    static INDArray backwardSplit(RuleContext ctx, INDArray s, INDArray wa, INDArray wb) {
        LinearLayer l = ctx.layer();
        return ctx.inputNonNegative() ? l.transpose(s, wa).muli(ctx.input()) : l.transposeSplit(s, ctx.input(), wa, wb);
    }

    /**
     * {@return as {@link #backwardSplit}, for the array the rule returns}: where the input is never negative, the
     * product with x is written straight into {@link RuleContext#newSentRelevance()} (no copy out of the layer's
     * temporary memory afterwards)
     */
    static INDArray backwardSplitSent(RuleContext ctx, INDArray s, INDArray wa, INDArray wb) {
        if (!ctx.inputNonNegative()) {
            return backwardSplit(ctx, s, wa, wb);
        }
        INDArray t = ctx.layer().transpose(s, wa);
        INDArray out = ctx.newSentRelevance();
        return Nd4j.exec(new MulOp(t, ctx.input(), out))[0];
    }

    /** {@return forwardSplit on symbols: the map of x⁺ with wa plus the map of x⁻ with wb} */
    static Symbol forwardSplit(SymbolicRuleContext ctx, Symbol xp, Symbol xn, INDArray wa, INDArray wb) {
        Symbol z = ctx.layer().forward(xp, wa);
        return xn == null ? z : ctx.ops().add(z, ctx.layer().forward(xn, wb));
    }

    /** {@return x⁻ as a symbol, or null where the input is never negative (its terms are zero)} */
    static Symbol negativePartOrNull(SymbolicRuleContext ctx) {
        return ctx.inputNonNegative() ? null : ctx.ops().negative(ctx.input());
    }

    /** {@return x⁺ as a symbol: the input itself where it is never negative} */
    static Symbol positivePart(SymbolicRuleContext ctx) {
        return ctx.inputNonNegative() ? ctx.input() : ctx.ops().positive(ctx.input());
    }

    /** {@return backwardSplit on symbols: x⁺ ⊙ (transpose of s with wa) + x⁻ ⊙ (transpose of s with wb)} */
    static Symbol backwardSplit(SymbolicRuleContext ctx, Symbol s, Symbol xp, Symbol xn, INDArray wa, INDArray wb) {
        Symbol r = ctx.ops().mul(ctx.layer().transpose(s, wa), xp);
        return xn == null ? r : ctx.ops().add(r, ctx.ops().mul(ctx.layer().transpose(s, wb), xn));
    }
}
