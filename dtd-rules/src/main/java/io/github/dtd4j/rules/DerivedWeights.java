package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /** {@return Σ_i q_ij + (transpose part)} for the common split {@code x⁺·wa + x⁻·wb}: the forward sum */
    static INDArray forwardSplit(LinearLayer l, INDArray xp, INDArray xn, INDArray wa, INDArray wb) {
        INDArray z = l.forward(xp, wa);
        return xn == null ? z : z.addi(l.forward(xn, wb));
    }

    /** {@return x⁺ ⊙ Wa^T s + x⁻ ⊙ Wb^T s} */
    static INDArray backwardSplit(LinearLayer l, INDArray s, INDArray xp, INDArray xn, INDArray wa, INDArray wb) {
        INDArray r = l.transpose(s, wa).muli(xp);
        return xn == null ? r : r.addi(l.transpose(s, wb).muli(xn));
    }

    /** {@return min(0, x) of the context's input, or null when it has no negative element (its terms would be zero)} */
    static INDArray negativePartOrNull(io.github.dtd4j.spi.RuleContext ctx) {
        return ctx.inputNonNegative() ? null : Tensors.negative(ctx.input());
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
