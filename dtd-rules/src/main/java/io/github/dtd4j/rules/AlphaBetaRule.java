package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The αβ-rule (Bach et al. 2015): {@code R_i = Σ_j (α·z⁺_ij / d⁺_j − β·z⁻_ij / d⁻_j) · R_j} with
 * {@code z⁺_ij = max(0, x_i w_ij)}, {@code z⁻_ij = min(0, x_i w_ij)}, {@code d⁺_j = Σ_i z⁺_ij + max(0, b_j)},
 * {@code d⁻_j = Σ_i z⁻_ij + min(0, b_j)}; α − β = 1, α, β ≥ 0. α = 1, β = 0 is z⁺. α2β1 shows evidence against the
 * class as negative relevance. Use it for convolutional layers when counter-evidence matters.
 *
 * <p>Cost: a second forward pass for the negative sum Σ z⁻. It is not taken as {@code z − b − Σ z⁺}: where a unit
 * has no negative contribution that difference is rounding noise instead of 0, the tiny denominator d⁻ then makes
 * the β share's booking in the ledger wrong (the relevance the stabilizer absorbs is reported as a fraction of it).
 *
 * @param alpha weight of positive contributions, ≥ 1
 * @param beta  weight of negative contributions, ≥ 0, {@code alpha − beta = 1}
 */
public record AlphaBetaRule(double alpha, double beta) implements LinearRule {
    /** Validates α − β = 1 and α, β ≥ 0. */
    public AlphaBetaRule {
        if (!(alpha >= 0) || !(beta >= 0) || Double.isInfinite(alpha) || Double.isInfinite(beta)
                || Math.abs(alpha - beta - 1) > 1e-12) {
            throw new ConfigurationException("AlphaBetaRule: needs alpha - beta = 1 with alpha, beta >= 0, got alpha="
                    + alpha + ", beta=" + beta + " (alpha - beta = " + (alpha - beta) + ")");
        }
    }

    @Override
    public String name() {
        return "alpha" + fmt(alpha) + "beta" + fmt(beta);
    }

    /** {@return true: a position's relevance depends on that position alone} */
    @Override
    public boolean positionwise() {
        return true;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** {@return false: the denominators come from the input, never from the recorded output} */
    @Override
    public boolean usesOutput() {
        return false;
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer l = ctx.layer();
        INDArray wp = DerivedWeights.positive(l);
        // W⁻ pairs with x⁻ and serves β's terms: an input that is never negative under α = 1, β = 0 needs none
        INDArray wn = beta == 0 && ctx.inputNonNegative() ? null : DerivedWeights.negative(l);
        INDArray r = ctx.relevance();
        INDArray zPos = DerivedWeights.forwardSplit(ctx, wp, wn, null);
        INDArray sPos = ctx.divideNonNegative(r.mul(alpha), zPos, Tensors.positive(ctx.bias()));
        INDArray out = DerivedWeights.backwardSplit(ctx, sPos, wp, wn);
        if (beta == 0) {
            return out;
        }
        // Σ z⁻ summed from the very terms the backward pass redistributes, so that it is exactly 0 where there are none
        INDArray zNeg = DerivedWeights.forwardSplit(ctx, wn, wp, null);
        INDArray sNeg = ctx.divide(r.mul(-beta), zNeg, Tensors.negative(ctx.bias()));
        return out.addi(DerivedWeights.backwardSplit(ctx, sNeg, wn, wp));
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        Symbol xp = DerivedWeights.positivePart(ctx);
        Symbol xn = DerivedWeights.negativePartOrNull(ctx);
        INDArray wp = DerivedWeights.positive(l);
        INDArray wn = beta == 0 && xn == null ? null : DerivedWeights.negative(l);
        Symbol r = ctx.relevance();
        Symbol zPos = DerivedWeights.forwardSplit(ctx, xp, xn, wp, wn);
        Symbol sPos = ctx.divideNonNegative(ctx.ops().mul(r, alpha), zPos, ctx.layer().perOutput(Tensors.positive(ctx.bias())));
        Symbol out = DerivedWeights.backwardSplit(ctx, sPos, xp, xn, wp, wn);
        if (beta == 0) {
            return Optional.of(out);
        }
        Symbol zNeg = DerivedWeights.forwardSplit(ctx, xp, xn, wn, wp);
        Symbol sNeg = ctx.divide(ctx.ops().mul(r, -beta), zNeg, ctx.layer().perOutput(Tensors.negative(ctx.bias())));
        return Optional.of(ctx.ops().add(out, DerivedWeights.backwardSplit(ctx, sNeg, xp, xn, wn, wp)));
    }
}
