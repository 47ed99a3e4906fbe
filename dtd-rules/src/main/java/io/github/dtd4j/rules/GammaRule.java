package io.github.dtd4j.rules;

import io.github.dtd4j.spi.OnnxOps;
import io.github.dtd4j.spi.Symbol;
import java.util.List;
import java.util.Map;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

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

    /** {@return true: a position's relevance depends on that position alone} */
    @Override
    public boolean positionwise() {
        return true;
    }

    /**
     * {@return W + γW⁺ and W + γW⁻ (made once per layer)}: only an input that is never negative needs them (the rule
     * for inputs of both signs works with W and |W|), so they are made on first use there and never elsewhere
     * (for ViT-B/16's dense layers, two copies of 340 MB each)
     */
    private INDArray[] weights(LinearLayer l) {
        double g = gamma;
        String key = Double.toString(g);
        return new INDArray[]{l.derivedWeight("W+gW+" + key, w -> w.add(Tensors.positive(w).muli(g))),
            l.derivedWeight("W+gW-" + key, w -> w.add(Tensors.negative(w).muli(g)))};
    }

    /** {@return the bias terms b + γb⁺ and b + γb⁻} */
    private INDArray[] biasTerms(INDArray b) {
        return new INDArray[]{b.add(Tensors.positive(b).muli(gamma)), b.add(Tensors.negative(b).muli(gamma))};
    }

    /** {@return a per-output vector shaped to broadcast along {@code axis} of an array of this rank (a view)} */
    private static INDArray alongAxis(INDArray v, int axis, int rank) {
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, 1);
        shape[axis] = v.length();
        return v.reshape(shape);
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer l = ctx.layer();
        INDArray x = ctx.input();
        INDArray[] b = biasTerms(ctx.bias());
        // the output's sign picks the branch; sign(0) = +1 as for the stabilizer
        INDArray up = ctx.output().gte(0.0).castTo(x.dataType());
        // b↓ + up·(b↑ − b↓): two broadcast passes over the output where the output axis is known, else four
        INDArray delta = b[0].sub(b[1]);
        int axis = l.outputAxis(up.rank());
        INDArray bq = axis < 0 ? l.addBias(l.addBias(Nd4j.zeros(x.dataType(), ctx.output().shape()), delta).muli(up),
                b[1]) : up.mul(alongAxis(delta, axis, up.rank())).addi(alongAxis(b[1], axis, up.rank()));
        if (!ctx.inputNonNegative()) {
            return signedInput(ctx, l, x, up, bq);
        }
        INDArray[] w = weights(l);
        INDArray down = up.rsub(1.0);
        INDArray zq = l.forward(x, w[0]).muli(up).addi(l.forward(x, w[1]).muli(down));
        INDArray s = ctx.divide(ctx.relevance(), zq, bq);
        return l.transpose(s.mul(up), w[0]).addi(l.transpose(s.muli(down), w[1])).muli(x);
    }

    /**
     * The rule for an input of both signs, in two maps and two transposes instead of four of each:
     * {@code x⁺(W + γW⁺) + x⁻(W + γW⁻) = (1 + γ/2)·xW + (γ/2)·|x||W|}, and the mirror with a minus; so with
     * {@code σ_j = ±1} the output's sign, {@code z_j = (1 + γ/2)(xW)_j + (γ/2)σ_j(|x||W|)_j} and
     * {@code R_i = (1 + γ/2)·x_i(Wᵀs)_i + (γ/2)·|x_i|(|W|ᵀ(σ⊙s))_i}. The map {@code xW} is the recorded output
     * less the layer's bias (which rounds as the map does, to the bias's last bit), so three products instead of four.
     */
    private INDArray signedInput(RuleContext ctx, LinearLayer l, INDArray x, INDArray up, INDArray bq) {
        double half = gamma / 2;
        INDArray sigma = up.mul(2.0).subi(1.0);
        int axis = l.outputAxis(up.rank());
        INDArray z = (axis < 0 ? l.addBias(ctx.output(), l.bias().neg())
                : ctx.output().sub(alongAxis(l.bias(), axis, up.rank()))).muli(1 + half);
        INDArray ax = gamma == 0 ? null : Transforms.abs(x, true);
        INDArray aw = gamma == 0 ? null : DerivedWeights.absolute(l);
        if (ax != null) {
            z.addi(l.forward(ax, aw).muli(sigma).muli(half));
        }
        INDArray s = ctx.divide(ctx.relevance(), z, bq);
        INDArray r = l.transpose(s, l.weight()).muli(x).muli(1 + half);
        return ax == null ? r : r.addi(l.transpose(s.muli(sigma), aw).muli(ax).muli(half));
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        OnnxOps o = ctx.ops();
        INDArray[] b = biasTerms(ctx.bias());
        // the output's sign picks the branch; sign(0) = +1 as for the stabilizer
        Symbol up = o.nonNegativeMask(ctx.output());
        Symbol down = o.sub(o.scalar(1), up);
        Symbol bq = o.add(o.mul(ctx.layer().perOutput(b[0]), up), o.mul(ctx.layer().perOutput(b[1]), down));
        Symbol x = ctx.input();
        if (!ctx.inputNonNegative()) {
            // as signedInput
            double half = gamma / 2;
            Symbol sigma = o.sub(o.mul(up, 2), o.scalar(1));
            Symbol z = o.mul(o.sub(ctx.output(), ctx.layer().perOutput(l.bias())), 1 + half);
            Symbol ax = gamma == 0 ? null : o.op("Abs", List.of(x), Map.of());
            INDArray aw = gamma == 0 ? null : DerivedWeights.absolute(l);
            if (ax != null) {
                z = o.add(z, o.mul(o.mul(ctx.layer().forward(ax, aw), sigma), half));
            }
            Symbol s = ctx.divide(ctx.relevance(), z, bq);
            Symbol r = o.mul(o.mul(ctx.layer().transpose(s, l.weight()), x), 1 + half);
            return Optional.of(ax == null ? r
                    : o.add(r, o.mul(o.mul(ctx.layer().transpose(o.mul(s, sigma), aw), ax), half)));
        }
        INDArray[] w = weights(l);
        Symbol zq = o.add(o.mul(ctx.layer().forward(x, w[0]), up), o.mul(ctx.layer().forward(x, w[1]), down));
        Symbol s = ctx.divide(ctx.relevance(), zq, bq);
        return Optional.of(o.mul(o.add(ctx.layer().transpose(o.mul(s, up), w[0]),
                ctx.layer().transpose(o.mul(s, down), w[1])), x));
    }
}
