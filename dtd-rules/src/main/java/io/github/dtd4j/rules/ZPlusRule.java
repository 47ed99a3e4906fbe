package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The z⁺-rule (paper §4.2): {@code R_i = Σ_j z⁺_ij / (Σ_i' z⁺_i'j + max(0, b_j)) · R_j} with
 * {@code z⁺_ij = max(0, x_i w_ij) = x⁺_i w⁺_ij + x⁻_i w⁻_ij} (for x ≥ 0, the paper's {@code x_i w⁺_ij}).
 * Positive biases are treated as neurons (they absorb their share); negative biases are dropped.
 *
 * <p>Use it for every layer whose inputs are ReLU outputs (x ≥ 0). There, on a network whose biases are ≤ 0,
 * it is conservative and positive (Definitions 1–3). Equals αβ with α = 1, β = 0.
 */
public record ZPlusRule() implements LinearRule {
    @Override
    public String name() {
        return "z+";
    }

    /** {@return true: a position's relevance depends on that position alone} */
    @Override
    public boolean positionwise() {
        return true;
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
        INDArray wn = ctx.inputNonNegative() ? null : DerivedWeights.negative(l);
        // the denominator whole: the map adds b⁺ + ε in its own pass (a convolution's bias); x⁺W⁺ + x⁻W⁻ as one
        // product over [x⁺, x⁻] where the layer stacks them (1×1 convolutions)
        INDArray bq = DerivedWeights.positiveBias(ctx);
        INDArray d = DerivedWeights.forwardSplit(ctx, wp, wn, DerivedWeights.positiveBiasPlusStabilizer(ctx));
        INDArray s = ctx.divideNonNegativeDenominator(ctx.relevance(), d, bq);
        return DerivedWeights.backwardSplitSent(ctx, s, wp, wn);
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        Symbol xp = DerivedWeights.positivePart(ctx);
        Symbol xn = DerivedWeights.negativePartOrNull(ctx);
        INDArray wp = DerivedWeights.positive(l);
        INDArray wn = xn == null ? null : DerivedWeights.negative(l);
        Symbol zq = DerivedWeights.forwardSplit(ctx, xp, xn, wp, wn);
        Symbol s = ctx.divideNonNegative(ctx.relevance(), zq, ctx.layer().perOutput(Tensors.positive(ctx.bias())));
        return Optional.of(DerivedWeights.backwardSplit(ctx, s, xp, xn, wp, wn));
    }
}
