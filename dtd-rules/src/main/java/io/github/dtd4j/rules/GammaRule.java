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
import org.nd4j.linalg.factory.Nd4j;

/**
 * The γ-rule (Montavon et al. 2019): favours the contributions that agree with the output's sign. For
 * {@code z_j ≥ 0}: {@code q_ij = x⁺_i (w_ij + γw⁺_ij) + x⁻_i (w_ij + γw⁻_ij)} (for x ≥ 0, {@code x_i(w_ij + γw⁺_ij)}),
 * bias {@code b_j + γ·max(0,b_j)}; for {@code z_j < 0} the mirror: {@code x⁺(w + γw⁻) + x⁻(w + γw⁺)}, bias
 * {@code b_j + γ·min(0,b_j)}; {@code R_i = Σ_j q_ij / Σ_i' q_i'j · R_j}. γ = 0 is LRP-0; γ → ∞ tends to z⁺. Use it
 * for lower and middle convolutional layers (γ ≈ 0.25).
 *
 * @param gamma ≥ 0
 */
public record GammaRule(double gamma) implements LinearRule {
    /** Validates γ. */
    public GammaRule {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new ConfigurationException("GammaRule: gamma must be finite and >= 0, got " + gamma);
        }
    }

    @Override
    public String name() {
        return "gamma(" + gamma + ")";
    }

    /** {@return W + γW⁺ and W + γW⁻ (made once per layer), and the bias terms b + γb⁺ and b + γb⁻} */
    private INDArray[] weights(LinearLayer l, INDArray b) {
        double g = gamma;
        String key = Double.toString(g);
        return new INDArray[]{l.derivedWeight("W+gW+" + key, w -> w.add(Tensors.positive(w).muli(g))),
            l.derivedWeight("W+gW-" + key, w -> w.add(Tensors.negative(w).muli(g))),
            b.add(Tensors.positive(b).muli(g)), b.add(Tensors.negative(b).muli(g))};
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer l = ctx.layer();
        INDArray x = ctx.input();
        INDArray xn = DerivedWeights.negativePartOrNull(x);
        INDArray xp = xn == null ? x : Tensors.positive(x);
        INDArray[] w = weights(l, ctx.bias());
        INDArray wUp = w[0];
        INDArray wDown = w[1];
        INDArray bUp = w[2];
        INDArray bDown = w[3];
        // the output's sign picks the branch; sign(0) = +1 as for the stabilizer
        INDArray up = ctx.output().gte(0.0).castTo(x.dataType());
        INDArray down = up.rsub(1.0);
        INDArray zUp = DerivedWeights.forwardSplit(l, xp, xn, wUp, wDown);
        INDArray zDown = DerivedWeights.forwardSplit(l, xp, xn, wDown, wUp);
        INDArray zq = zUp.muli(up).addi(zDown.muli(down));
        INDArray zeros = Nd4j.zeros(x.dataType(), ctx.output().shape());
        INDArray bq = l.addBias(zeros, bUp).muli(up).addi(l.addBias(zeros, bDown).muli(down));
        INDArray s = ctx.divide(ctx.relevance(), zq, bq);
        INDArray sUp = s.mul(up);
        INDArray sDown = s.muli(down);
        return DerivedWeights.backwardSplit(l, sUp, xp, xn, wUp, wDown).addi(DerivedWeights.backwardSplit(l, sDown, xp, xn, wDown, wUp));
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        Symbol xp = DerivedWeights.positivePart(ctx);
        Symbol xn = DerivedWeights.negativePartOrNull(ctx);
        INDArray[] w = weights(l, ctx.bias());
        INDArray wUp = w[0];
        INDArray wDown = w[1];
        INDArray bUp = w[2];
        INDArray bDown = w[3];
        // the output's sign picks the branch; sign(0) = +1 as for the stabilizer
        Symbol up = ctx.ops().nonNegativeMask(ctx.output());
        Symbol down = ctx.ops().sub(ctx.ops().scalar(1), up);
        Symbol zq = ctx.ops().add(ctx.ops().mul(DerivedWeights.forwardSplit(ctx, xp, xn, wUp, wDown), up),
                ctx.ops().mul(DerivedWeights.forwardSplit(ctx, xp, xn, wDown, wUp), down));
        Symbol bq = ctx.ops().add(ctx.ops().mul(ctx.layer().perOutput(bUp), up),
                ctx.ops().mul(ctx.layer().perOutput(bDown), down));
        Symbol s = ctx.divide(ctx.relevance(), zq, bq);
        return Optional.of(ctx.ops().add(DerivedWeights.backwardSplit(ctx, ctx.ops().mul(s, up), xp, xn, wUp, wDown),
                DerivedWeights.backwardSplit(ctx, ctx.ops().mul(s, down), xp, xn, wDown, wUp)));
    }
}
