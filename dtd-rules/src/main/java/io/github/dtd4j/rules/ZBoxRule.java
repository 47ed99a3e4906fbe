package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The z^B-rule (paper §4.2) for inputs in a box {@code l_i ≤ x_i ≤ h_i}:
 * {@code R_i = Σ_j (x_i w_ij − l_i w⁺_ij − h_i w⁻_ij) / Σ_i' (x_i' w_i'j − l_i' w⁺_i'j − h_i' w⁻_i'j) · R_j}.
 * The bias cancels by default; {@code withPositiveBias()} gives the paper's §6 variant that adds
 * {@code max(0, b_j)} to the denominator.
 *
 * <p>Use it for the first layer on pixel inputs (paper §6.1: l = −0.5, h = 1.5; an ImageNet-normalised image has
 * per-channel {@code l_c = (0 − μ_c)/σ_c}, {@code h_c = (1 − μ_c)/σ_c}). Conservative and positive for inputs in the
 * box when {@code l ≤ 0 ≤ h} and biases are ≤ 0. Zero padding pads l and h with 0 too.
 *
 * @param low          lower bounds: one value, or one per input channel (per feature for Dense inputs)
 * @param high         upper bounds, same length as {@code low}
 * @param positiveBias add max(0, b) to the denominator (paper §6)
 */
public record ZBoxRule(double[] low, double[] high, boolean positiveBias) implements LinearRule {
    /** Validates that the bounds are finite, of equal length, with low ≤ high. */
    public ZBoxRule {
        if (low == null || high == null || low.length == 0 || low.length != high.length) {
            throw new ConfigurationException("ZBoxRule: low and high need the same, non-zero length, got "
                    + (low == null ? "null" : low.length) + " and " + (high == null ? "null" : high.length));
        }
        low = low.clone();
        high = high.clone();
        for (int c = 0; c < low.length; c++) {
            if (!Double.isFinite(low[c]) || !Double.isFinite(high[c]) || low[c] > high[c]) {
                throw new ConfigurationException("ZBoxRule: bounds for channel " + c + " must be finite with low <= high,"
                        + " got [" + low[c] + ", " + high[c] + "]");
            }
        }
    }

    /** {@return a copy that adds max(0, b_j) to the denominator (paper §6)} */
    public ZBoxRule withPositiveBias() {
        return new ZBoxRule(low, high, true);
    }

    @Override
    public double[] low() {
        return low.clone();
    }

    @Override
    public double[] high() {
        return high.clone();
    }

    @Override
    public String name() {
        String b = low.length == 1 ? "[" + low[0] + "," + high[0] + "]" : "[per-channel x" + low.length + "]";
        return "zB" + b + (positiveBias ? "+bias" : "");
    }

    @Override
    public void check(LinearLayer layer) {
        long channels = layer.inputShape().dim(0);
        if (low.length != 1 && low.length != channels) {
            throw new ConfigurationException("layer '" + layer.name() + "' (" + layer.kind() + "): z^B bounds have "
                    + low.length + " values, the input " + layer.inputShape().toBatchString() + " has " + channels
                    + " channels");
        }
    }

    @Override
    public void checkInput(LinearLayer layer, INDArray input) {
        double slack = 1e-5 * Math.max(1, Math.max(maxAbs(low), maxAbs(high)));
        // x − l ≥ −slack and x − h ≤ slack everywhere: one broadcast pass and one reduction each
        double below = -Tensors.minusPerChannel(input, low).minNumber().doubleValue();
        double above = Tensors.minusPerChannel(input, high).maxNumber().doubleValue();
        if (below > slack || above > slack) {
            INDArray bad = below > slack ? Tensors.minusPerChannel(input, low).negi()
                    : Tensors.minusPerChannel(input, high);
            long i = bad.reshape('c', new long[]{bad.length()}).argMax(0).getLong(0);
            long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(input.shape(), i);
            int c = low.length == 1 ? 0 : (int) idx[1];
            throw new InvalidInputException("layer '" + layer.name() + "' (" + layer.kind() + "): input "
                    + input.getDouble(idx) + " at " + Shape.format(idx) + " is outside the z^B box [" + low[c] + ", "
                    + high[c] + "] (input " + Shape.format(input.shape()) + ")");
        }
    }

    private static double maxAbs(double[] v) {
        return Arrays.stream(v).map(Math::abs).max().orElse(0);
    }

    /** {@return false: the denominators come from the input, never from the recorded output} */
    @Override
    public boolean usesOutput() {
        return false;
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer lay = ctx.layer();
        INDArray x = ctx.input();
        INDArray w = lay.weight();
        INDArray wp = DerivedWeights.positive(lay);
        INDArray wn = DerivedWeights.negative(lay);
        // l·W⁺ + h·W⁻ depends on the layer and the box only: computed for one sample once per explainer
        INDArray bounds = lay.derivedConstant("zB l.W+ + h.W- " + Arrays.toString(low) + " " + Arrays.toString(high),
                v -> boundsMap(v, wp, wn));
        INDArray zq = lay.forward(x, w);
        zq.subi(x.size(0) == 1 ? bounds : bounds.broadcast(zq.shape()));
        INDArray s = ctx.divide(ctx.relevance(), zq, positiveBias ? Tensors.positive(ctx.bias()) : null);
        // x⊙Wᵀs − l⊙W⁺ᵀs − h⊙W⁻ᵀs with Wᵀs = W⁺ᵀs + W⁻ᵀs: two transposes instead of three (one, stacked, in a
        // convolution)
        return lay.transposePair(s, wp, Tensors.minusPerChannel(x, low), wn, Tensors.minusPerChannel(x, high));
    }

    /** {@return l·W⁺ + h·W⁻ for one sample, {@code [1, ...outputShape]}} */
    private INDArray boundsMap(LinearLayer v, INDArray wp, INDArray wn) {
        INDArray one = Nd4j.zeros(v.weight().dataType(), v.inputShape().withBatch(1));
        return v.forward(Tensors.perChannel(one, low), wp).addi(v.forward(Tensors.perChannel(one, high), wn));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZBoxRule z && Arrays.equals(low, z.low) && Arrays.equals(high, z.high)
                && positiveBias == z.positiveBias;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(low) + Arrays.hashCode(high)) + Boolean.hashCode(positiveBias);
    }

    @Override
    public String toString() {
        return "ZBoxRule[low=" + Arrays.toString(low) + ", high=" + Arrays.toString(high) + ", positiveBias="
                + positiveBias + "]";
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer lay = ctx.layer().layer();
        Symbol x = ctx.input();
        // the l and h images: constants broadcast per channel, zero-padded like x by the convolution itself
        Symbol ones = ctx.ops().add(ctx.ops().mul(x, 0), ctx.ops().scalar(1));
        Symbol l = ctx.ops().mul(ones, ctx.perInputChannel(low));
        Symbol h = ctx.ops().mul(ones, ctx.perInputChannel(high));
        INDArray w = lay.weight();
        INDArray wp = DerivedWeights.positive(lay);
        INDArray wn = DerivedWeights.negative(lay);
        Symbol zq = ctx.ops().sub(ctx.ops().sub(ctx.layer().forward(x, w), ctx.layer().forward(l, wp)),
                ctx.layer().forward(h, wn));
        Symbol s = ctx.divide(ctx.relevance(), zq,
                positiveBias ? ctx.layer().perOutput(Tensors.positive(ctx.bias())) : null);
        Symbol r = ctx.ops().sub(ctx.ops().mul(ctx.layer().transpose(s, w), x),
                ctx.ops().mul(ctx.layer().transpose(s, wp), l));
        return Optional.of(ctx.ops().sub(r, ctx.ops().mul(ctx.layer().transpose(s, wn), h)));
    }
}
