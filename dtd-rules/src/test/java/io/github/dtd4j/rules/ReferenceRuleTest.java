package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.rules.ReferenceLrp.AlphaBeta;
import io.github.dtd4j.rules.ReferenceLrp.Connections;
import io.github.dtd4j.rules.ReferenceLrp.Epsilon;
import io.github.dtd4j.rules.ReferenceLrp.Flat;
import io.github.dtd4j.rules.ReferenceLrp.Gamma;
import io.github.dtd4j.rules.ReferenceLrp.RefRule;
import io.github.dtd4j.rules.ReferenceLrp.WSquare;
import io.github.dtd4j.rules.ReferenceLrp.ZBox;
import io.github.dtd4j.rules.ReferenceLrp.ZPlus;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every linear-layer rule of the library against {@link ReferenceLrp}, on random Dense and Conv2d layers of many
 * geometries, float64, to 1e-10 (relative to the magnitude of the terms summed into each value).
 */
class ReferenceRuleTest {

    static final double TOL = 1e-10;

    /** How inputs are drawn. */
    enum Inputs {
        /** uniform in [low_c, high_c] with low_c < 0 < high_c. */
        MIXED,
        /** ReLU-like: non-negative, about a third exactly 0. */
        RELU
    }

    /** Sign of the random biases. */
    enum Bias {
        MIXED, POSITIVE, NEGATIVE, NONE
    }

    /**
     * One layer with its input and upper relevance.
     *
     * @param name       readable description
     * @param layer      the library's layer
     * @param conn       its connections for the reference
     * @param inShape    per-sample input shape
     * @param x          input, float64
     * @param r          relevance at the output, float64
     * @param xLow       per-channel lower bound of the inputs (the data really lies in [xLow, xHigh])
     * @param xHigh      per-channel upper bound
     * @param stabilizer ε of the stabilizer
     * @param ignoreBias bias policy IGNORE
     */
    record LayerCase(String name, Layer layer, Connections conn, long[] inShape, INDArray x, INDArray r,
                     double[] xLow, double[] xHigh, double stabilizer, boolean ignoreBias) {
        @Override
        public String toString() {
            return name + (ignoreBias ? " bias=IGNORE" : " bias=USE") + " eps=" + stabilizer;
        }

        LayerCase withIgnoreBias(boolean ignore) {
            return new LayerCase(name, layer, conn, inShape, x, r, xLow, xHigh, stabilizer, ignore);
        }
    }

    /**
     * A rule under test, for the library and for the reference.
     *
     * @param name name
     * @param lib  the library's rule for a layer case
     * @param ref  the reference description for the same case
     */
    record RuleCase(String name, Function<LayerCase, Rule> lib, Function<LayerCase, RefRule> ref) {
        @Override
        public String toString() {
            return name;
        }
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElseThrow();
    }

    static List<RuleCase> rules() {
        List<RuleCase> r = new ArrayList<>();
        r.add(new RuleCase("lrp0", c -> Rules.LRP_0, c -> new Epsilon(0)));
        r.add(new RuleCase("epsilon(0.25)", c -> Rules.epsilon(0.25), c -> new Epsilon(0.25)));
        r.add(new RuleCase("z+", c -> Rules.Z_PLUS, c -> new ZPlus()));
        r.add(new RuleCase("alpha1beta0", c -> Rules.ALPHA1_BETA0, c -> new AlphaBeta(1, 0)));
        r.add(new RuleCase("alpha2beta1", c -> Rules.ALPHA2_BETA1, c -> new AlphaBeta(2, 1)));
        r.add(new RuleCase("alpha1.5beta0.5", c -> Rules.alphaBeta(1.5, 0.5), c -> new AlphaBeta(1.5, 0.5)));
        // scalar box strictly larger than the data range
        r.add(new RuleCase("zB scalar", c -> Rules.zBox(min(c.xLow) - 0.25, max(c.xHigh) + 0.25),
                c -> new ZBox(new double[]{min(c.xLow) - 0.25}, new double[]{max(c.xHigh) + 0.25}, false)));
        // per-channel box equal to the per-channel data range (tight)
        r.add(new RuleCase("zB per-channel", c -> Rules.zBox(c.xLow, c.xHigh),
                c -> new ZBox(c.xLow, c.xHigh, false)));
        r.add(new RuleCase("zB+positiveBias", c -> Rules.zBox(c.xLow, c.xHigh).withPositiveBias(),
                c -> new ZBox(c.xLow, c.xHigh, true)));
        r.add(new RuleCase("w^2", c -> Rules.W_SQUARE, c -> new WSquare()));
        r.add(new RuleCase("flat", c -> Rules.FLAT, c -> new Flat()));
        r.add(new RuleCase("gamma(0.25)", c -> Rules.gamma(0.25), c -> new Gamma(0.25)));
        r.add(new RuleCase("gamma(2)", c -> Rules.gamma(2), c -> new Gamma(2)));
        return r;
    }

    // ------------------------------------------------------------------ random layers

    static double uniform(Random rnd, double lo, double hi) {
        return lo + (hi - lo) * rnd.nextDouble();
    }

    static double[] biases(Random rnd, int n, Bias kind) {
        double[] b = new double[n];
        for (int j = 0; j < n; j++) {
            b[j] = switch (kind) {
                case MIXED -> uniform(rnd, -1, 1);
                case POSITIVE -> uniform(rnd, 0.05, 1);
                case NEGATIVE -> uniform(rnd, -1, -0.05);
                case NONE -> 0;
            };
        }
        return b;
    }

    /** Per-channel data ranges. */
    static double[][] ranges(int channels, Inputs inputs) {
        double[] lo = new double[channels];
        double[] hi = new double[channels];
        for (int c = 0; c < channels; c++) {
            lo[c] = inputs == Inputs.MIXED ? -(0.5 + 0.3 * (c % 4)) : 0;
            hi[c] = 1 + 0.25 * (c % 3);
        }
        return new double[][]{lo, hi};
    }

    /** Inputs [N][C·per], channel c in [lo_c, hi_c]; ReLU-like inputs have ~1/3 exact zeros. */
    static double[][] inputs(Random rnd, int batch, int channels, int per, Inputs kind, double[][] range) {
        double[][] x = new double[batch][channels * per];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < per; p++) {
                    double v = uniform(rnd, range[0][c], range[1][c]);
                    if (kind == Inputs.RELU && rnd.nextInt(3) == 0) {
                        v = 0;
                    }
                    x[n][c * per + p] = v;
                }
            }
        }
        return x;
    }

    static double[][] relevance(Random rnd, int batch, int m) {
        double[][] r = new double[batch][m];
        for (double[] row : r) {
            for (int j = 0; j < m; j++) {
                row[j] = uniform(rnd, -0.5, 1.5);
            }
        }
        return r;
    }

    static LayerCase dense(String name, long seed, int in, int out, int batch, Inputs kind, Bias bias, double eps,
                           boolean zeroSample) {
        Random rnd = new Random(seed);
        double[] w = new double[in * out];
        for (int k = 0; k < w.length; k++) {
            w[k] = uniform(rnd, -1, 1);
        }
        double[] b = biases(rnd, out, bias);
        Dense d = Dense.of(ReferenceLrp.write(w, in, out), bias == Bias.NONE ? null : ReferenceLrp.write(b, out));
        double[][] range = ranges(in, kind);
        double[][] x = inputs(rnd, batch, in, 1, kind, range);
        if (zeroSample) {
            Arrays.fill(x[batch - 1], 0);
        }
        double[][] r = relevance(rnd, batch, out);
        String desc = "Dense " + in + "->" + out + " N=" + batch + " x=" + kind + " b=" + bias
                + (zeroSample ? " (zero sample)" : "");
        return new LayerCase(name + ": " + desc, d, ReferenceLrp.dense(d), new long[]{in},
                ReferenceLrp.writeBatch(x, in), ReferenceLrp.writeBatch(r, out), range[0], range[1], eps, false);
    }

    /**
     * A dense layer without bias whose first two outputs are exactly 0 although their contributions are not
     * (exactly representable numbers, so any summation order gives 0): the stabilizer's sign(0) = +1 decides the
     * sign of R_in for ε/LRP-0, and z_j = 0 picks the γ-rule's "z ≥ 0" branch.
     */
    static LayerCase exactCancellation() {
        double[] w = {1, -1, 2, -1, 1, 0.5, 0.5, 0.5, -1, -0.5, -0.5, 1};
        Dense d = Dense.of(ReferenceLrp.write(w, 4, 3), null);
        double[][] x = {{1, 1, 2, 2}, {0.5, 0.5, 1, 1}};
        double[][] r = {{0.7, -0.4, 1.1}, {1.3, 0.2, -0.6}};
        double[] lo = {0, 0, 0, 0};
        double[] hi = {2, 2, 2, 2};
        return new LayerCase("D6: Dense 4->3 N=2 exact cancellation z_j = 0 (no bias)", d, ReferenceLrp.dense(d),
                new long[]{4}, ReferenceLrp.writeBatch(x, 4), ReferenceLrp.writeBatch(r, 3), lo, hi, 1e-6, false);
    }

    /** Geometry of a random convolution. */
    record Geo(int cin, int cout, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dil,
               int groups) {
    }

    static LayerCase conv(String name, long seed, Geo g, int batch, Inputs kind, Bias bias, double eps) {
        Random rnd = new Random(seed);
        double[] w = new double[g.cout * (g.cin / g.groups) * g.kh * g.kw];
        for (int k = 0; k < w.length; k++) {
            w[k] = uniform(rnd, -1, 1);
        }
        double[] b = biases(rnd, g.cout, bias);
        Conv2d c = new Conv2d(ReferenceLrp.write(w, g.cout, g.cin / g.groups, g.kh, g.kw),
                bias == Bias.NONE ? null : ReferenceLrp.write(b, g.cout), g.sh, g.sw, g.pt, g.pl, g.pb, g.pr, g.dil,
                g.dil, g.groups);
        double[][] range = ranges(g.cin, kind);
        double[][] x = inputs(rnd, batch, g.cin, g.h * g.w, kind, range);
        Connections conn = ReferenceLrp.conv(c, g.cin, g.h, g.w);
        int oh = ReferenceLrp.convOut(g.h, g.pt, g.pb, g.kh, g.dil, g.sh);
        int ow = ReferenceLrp.convOut(g.w, g.pl, g.pr, g.kw, g.dil, g.sw);
        double[][] r = relevance(rnd, batch, g.cout * oh * ow);
        String desc = "Conv2d " + g.cin + "->" + g.cout + " " + g.h + "x" + g.w + " k" + g.kh + "x" + g.kw + " s"
                + g.sh + "x" + g.sw + " pad(t" + g.pt + ",l" + g.pl + ",b" + g.pb + ",r" + g.pr + ") dil" + g.dil
                + " groups" + g.groups + " N=" + batch + " x=" + kind + " b=" + bias;
        return new LayerCase(name + ": " + desc, c, conn, new long[]{g.cin, g.h, g.w},
                ReferenceLrp.writeBatch(x, g.cin, g.h, g.w), ReferenceLrp.writeBatch(r, g.cout, oh, ow), range[0],
                range[1], eps, false);
    }

    static List<LayerCase> layers() {
        List<LayerCase> l = new ArrayList<>();
        l.add(dense("D1", 101, 7, 5, 1, Inputs.MIXED, Bias.MIXED, 1e-6, false));
        l.add(dense("D2", 102, 7, 5, 3, Inputs.RELU, Bias.MIXED, 1e-6, false));
        l.add(dense("D3", 103, 6, 4, 3, Inputs.MIXED, Bias.NEGATIVE, 0.05, true));
        l.add(dense("D4", 104, 9, 3, 3, Inputs.RELU, Bias.POSITIVE, 0.05, false));
        l.add(dense("D5", 105, 5, 6, 3, Inputs.RELU, Bias.NONE, 1e-6, true));
        l.add(exactCancellation());
        // stride 1, symmetric padding
        l.add(conv("C1", 201, new Geo(2, 3, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), 1, Inputs.MIXED, Bias.MIXED, 1e-6));
        // stride 2, symmetric padding, ReLU-like inputs
        l.add(conv("C2", 202, new Geo(3, 4, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1), 3, Inputs.RELU, Bias.MIXED, 1e-6));
        // asymmetric padding, non-square kernel, unequal strides, non-square image
        l.add(conv("C3", 203, new Geo(2, 3, 6, 5, 2, 3, 2, 1, 2, 0, 1, 1, 1, 1), 3, Inputs.MIXED, Bias.POSITIVE,
                0.05));
        // dilation 2
        l.add(conv("C4", 204, new Geo(2, 3, 7, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 1), 3, Inputs.RELU, Bias.NEGATIVE, 1e-6));
        // groups 2, non-square kernel, asymmetric padding
        l.add(conv("C5", 205, new Geo(4, 6, 5, 6, 3, 2, 1, 1, 1, 0, 0, 1, 1, 2), 3, Inputs.MIXED, Bias.MIXED, 1e-6));
        // depthwise (groups = channels), stride 2
        l.add(conv("C6", 206, new Geo(3, 3, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 3), 3, Inputs.RELU, Bias.POSITIVE, 1e-6));
        // depthwise with channel multiplier 2, asymmetric padding, mixed inputs
        l.add(conv("C7", 207, new Geo(3, 6, 6, 7, 3, 3, 1, 2, 0, 1, 2, 0, 1, 3), 1, Inputs.MIXED, Bias.NEGATIVE,
                0.05));
        // no bias; stride 2 leaves the last row/column unread
        l.add(conv("C8", 208, new Geo(2, 3, 8, 8, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1), 3, Inputs.RELU, Bias.NONE, 1e-6));
        // stride 2 + dilation 2 + asymmetric padding + groups 2
        l.add(conv("C9", 209, new Geo(4, 4, 9, 8, 3, 2, 2, 2, 1, 2, 2, 0, 2, 2), 3, Inputs.MIXED, Bias.MIXED, 1e-6));
        // 1x1 convolution with stride 2
        l.add(conv("C10", 210, new Geo(3, 2, 5, 5, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1), 3, Inputs.MIXED, Bias.MIXED, 1e-6));
        // the "bias ignored" policy on a selection with every kind of bias (mixed, negative, positive) and geometry
        List<String> ignore = List.of("D1", "D3", "D4", "C1", "C3", "C5", "C6", "C9");
        List<LayerCase> all = new ArrayList<>(l);
        for (LayerCase c : l) {
            if (ignore.contains(c.name().substring(0, c.name().indexOf(':')))) {
                all.add(c.withIgnoreBias(true));
            }
        }
        return all;
    }

    static Stream<Arguments> cases() {
        List<LayerCase> layers = layers();
        List<Arguments> out = new ArrayList<>();
        for (RuleCase rule : rules()) {
            for (LayerCase layer : layers) {
                out.add(Arguments.of(rule, layer));
            }
        }
        return out.stream();
    }

    // ------------------------------------------------------------------ the test

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void libraryMatchesReference(RuleCase rule, LayerCase layer) {
        String ctx = rule + " on " + layer + ": ";
        Rule lib = rule.lib().apply(layer);
        LayerPropagation.Result res = LayerPropagation.apply(layer.layer(), List.of(layer.x()), layer.r(), lib,
                layer.stabilizer(), layer.ignoreBias(), MaxPoolMode.WINNER_TAKES_ALL);
        double[][] x = ReferenceLrp.readBatch(layer.x());
        double[][] r = ReferenceLrp.readBatch(layer.r());
        ReferenceLrp.Result ref = ReferenceLrp.propagate(layer.conn(), x, r, rule.ref().apply(layer),
                layer.stabilizer(), layer.ignoreBias());

        // the forward pass (z with the real bias, whatever the policy)
        assertClose(ctx + "output z", ReferenceLrp.readBatch(res.output()), ref.output(), null);
        // R_i
        double[][] got = ReferenceLrp.readBatch(res.relevance());
        assertThat(res.relevance().shape()).isEqualTo(layer.x().shape());
        assertClose(ctx + "R_in", got, ref.relevance(), ref.magnitude());
        // absorbed by bias and stabilizer
        int batch = x.length;
        for (int n = 0; n < batch; n++) {
            double tol = TOL * Math.max(1, ref.scale()[n]);
            assertThat(Math.abs(res.bias()[n] - ref.bias()[n])).as(ctx + "bias share, sample %d: library %s, reference %s",
                    n, res.bias()[n], ref.bias()[n]).isLessThanOrEqualTo(tol);
            assertThat(Math.abs(res.stabilizer()[n] - ref.stabilizer()[n])).as(
                    ctx + "stabilizer share, sample %d: library %s, reference %s", n, res.stabilizer()[n],
                    ref.stabilizer()[n]).isLessThanOrEqualTo(tol);
            // the accounting: Σ R_in + bias + stabilizer == Σ R_out
            double in = Arrays.stream(got[n]).sum();
            double outSum = Arrays.stream(r[n]).sum();
            assertThat(Math.abs(in + res.bias()[n] + res.stabilizer()[n] - outSum)).as(
                    ctx + "accounting, sample %d: in %s + bias %s + stabilizer %s vs out %s", n, in, res.bias()[n],
                    res.stabilizer()[n], outSum).isLessThanOrEqualTo(tol);
        }
    }

    /**
     * Asserts element-wise closeness, tolerance {@code TOL·max(1, |magnitude|)} (or {@code TOL·max(1, |expected|)}),
     * reporting the first offending element.
     */
    static void assertClose(String what, double[][] actual, double[][] expected, double[][] magnitude) {
        assertThat(actual.length).as(what + " batch").isEqualTo(expected.length);
        for (int n = 0; n < expected.length; n++) {
            assertThat(actual[n].length).as(what + " size").isEqualTo(expected[n].length);
            for (int i = 0; i < expected[n].length; i++) {
                double scale = magnitude == null ? Math.abs(expected[n][i]) : Math.abs(magnitude[n][i]);
                double tol = TOL * Math.max(1, scale);
                if (!(Math.abs(actual[n][i] - expected[n][i]) <= tol)) {
                    throw new AssertionError(what + "[" + n + "][" + i + "]: library " + actual[n][i] + ", reference "
                            + expected[n][i] + " (|diff| " + Math.abs(actual[n][i] - expected[n][i]) + " > " + tol
                            + ")\nlibrary   " + Arrays.toString(actual[n]) + "\nreference " + Arrays.toString(
                            expected[n]));
                }
            }
        }
    }
}
