package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.rules.ReferenceLrp.PoolResult;
import io.github.dtd4j.rules.ReferenceLrp.Weighting;
import io.github.dtd4j.LayerPropagation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fixed (rule-less) propagations — max pooling (winner-take-all and proportional), average pooling with and
 * without {@code count_include_pad}, adaptive and global average pooling, sum pooling, Add and Concat — against
 * {@link ReferenceLrp}, float64, to 1e-10 relative to the magnitude of the terms summed into each value.
 */
class ReferencePoolingTest {

    static final double TOL = 1e-10;

    /** How inputs are drawn. */
    enum Data {
        /** uniform in [-1, 1.5]. */
        MIXED,
        /** non-negative, about a third exactly 0 (ReLU-like). */
        RELU,
        /** uniform in [-2, -0.1]: every value is below the zero a padded position would hold. */
        NEGATIVE,
        /** integers in {0, 1, 2}: many ties. */
        TIES,
        /** integers in {-1, 0, 1}: ties of mixed sign. */
        SIGNED_TIES,
        /** every value 1. */
        ONES,
        /** every value −1. */
        MINUS_ONES
    }

    /**
     * One propagation with its expected result.
     *
     * @param name       description
     * @param layer      the layer
     * @param inputs     its inputs, float64, batch first
     * @param r          relevance at the output
     * @param stabilizer ε
     * @param mode       max-pool treatment
     * @param split      split at sums
     * @param expected   the reference result (output null: not compared)
     */
    record PoolCase(String name, Layer layer, List<INDArray> inputs, INDArray r, double stabilizer, MaxPoolMode mode,
                    SumSplit split, PoolResult expected) {
        @Override
        public String toString() {
            return name + " eps=" + stabilizer + (split == SumSplit.POSITIVE ? " positive split" : "");
        }
    }

    static double[][] data(Random rnd, int batch, int size, Data kind) {
        double[][] x = new double[batch][size];
        for (double[] row : x) {
            for (int i = 0; i < size; i++) {
                row[i] = switch (kind) {
                    case MIXED -> -1 + 2.5 * rnd.nextDouble();
                    case RELU -> rnd.nextInt(3) == 0 ? 0 : 2 * rnd.nextDouble();
                    case NEGATIVE -> -2 + 1.9 * rnd.nextDouble();
                    case TIES -> rnd.nextInt(3);
                    case SIGNED_TIES -> rnd.nextInt(3) - 1;
                    case ONES -> 1;
                    case MINUS_ONES -> -1;
                };
            }
        }
        return x;
    }

    static double[][] relevance(Random rnd, int batch, int size) {
        double[][] r = new double[batch][size];
        for (double[] row : r) {
            for (int j = 0; j < size; j++) {
                row[j] = -0.5 + 2 * rnd.nextDouble();
            }
        }
        return r;
    }

    /** A 2-D max-pool case, winner-take-all or proportional. */
    static PoolCase maxPool(String name, long seed, int batch, int c, int h, int w, int kh, int kw, int sh, int sw,
                            int pt, int pl, int pb, int pr, Data kind, MaxPoolMode mode, double eps,
                            SumSplit split) {
        Random rnd = new Random(seed);
        double[][] x = data(rnd, batch, c * h * w, kind);
        int oh = ReferenceLrp.poolOut(h, pt, pb, kh, sh);
        int ow = ReferenceLrp.poolOut(w, pl, pr, kw, sw);
        double[][] r = relevance(rnd, batch, c * oh * ow);
        PoolResult ref;
        if (mode == MaxPoolMode.WINNER_TAKES_ALL) {
            ref = ReferenceLrp.maxPoolWinner(x, r, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr);
        } else {
            PoolResult p = ReferenceLrp.proportional(
                    ReferenceLrp.window(c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, Weighting.SUM), x, r, eps, split == SumSplit.POSITIVE);
            // the layer's output is still the max
            ref = new PoolResult(p.relevance(), p.magnitude(), p.stabilizer(), p.scale(),
                    ReferenceLrp.maxPoolForward(x, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr));
        }
        String desc = "MaxPool2d " + mode + " " + c + "x" + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "x" + sw
                + " pad(t" + pt + ",l" + pl + ",b" + pb + ",r" + pr + ") N=" + batch + " x=" + kind;
        return new PoolCase(name + ": " + desc, new MaxPool2d(kh, kw, sh, sw, pt, pl, pb, pr),
                List.of(ReferenceLrp.writeBatch(x, c, h, w)), ReferenceLrp.writeBatch(r, c, oh, ow), eps, mode, split, ref);
    }

    static PoolCase avgPool(String name, long seed, int batch, int c, int h, int w, int kh, int kw, int sh, int sw,
                            int pt, int pl, int pb, int pr, boolean includePad, Data kind, double eps,
                            SumSplit split) {
        Random rnd = new Random(seed);
        double[][] x = data(rnd, batch, c * h * w, kind);
        int oh = ReferenceLrp.poolOut(h, pt, pb, kh, sh);
        int ow = ReferenceLrp.poolOut(w, pl, pr, kw, sw);
        double[][] r = relevance(rnd, batch, c * oh * ow);
        PoolResult ref = ReferenceLrp.proportional(ReferenceLrp.window(c, h, w, kh, kw, sh, sw, pt, pl, pb, pr,
                includePad ? Weighting.AVG_INCLUDE_PAD : Weighting.AVG_EXCLUDE_PAD), x, r, eps,
                split == SumSplit.POSITIVE);
        String desc = "AvgPool2d countIncludePad=" + includePad + " " + c + "x" + h + "x" + w + " k" + kh + "x" + kw
                + " s" + sh + "x" + sw + " pad(t" + pt + ",l" + pl + ",b" + pb + ",r" + pr + ") N=" + batch + " x="
                + kind;
        return new PoolCase(name + ": " + desc, new AvgPool2d(kh, kw, sh, sw, pt, pl, pb, pr, includePad),
                List.of(ReferenceLrp.writeBatch(x, c, h, w)), ReferenceLrp.writeBatch(r, c, oh, ow), eps,
                MaxPoolMode.WINNER_TAKES_ALL, split, ref);
    }

    static PoolCase adaptive(String name, long seed, int batch, int c, int h, int w, int oh, int ow, Data kind,
                             double eps,
                            SumSplit split) {
        Random rnd = new Random(seed);
        double[][] x = data(rnd, batch, c * h * w, kind);
        double[][] r = relevance(rnd, batch, c * oh * ow);
        PoolResult ref = ReferenceLrp.proportional(ReferenceLrp.adaptive(c, h, w, oh, ow), x, r, eps,
                split == SumSplit.POSITIVE);
        return new PoolCase(name + ": AdaptiveAvgPool2d " + c + "x" + h + "x" + w + " -> " + oh + "x" + ow + " N="
                + batch + " x=" + kind, new AdaptiveAvgPool2d(oh, ow), List.of(ReferenceLrp.writeBatch(x, c, h, w)),
                ReferenceLrp.writeBatch(r, c, oh, ow), eps, MaxPoolMode.WINNER_TAKES_ALL, split, ref);
    }

    static PoolCase global(String name, long seed, int batch, int c, int h, int w, Data kind, double eps,
                            SumSplit split) {
        Random rnd = new Random(seed);
        double[][] x = data(rnd, batch, c * h * w, kind);
        double[][] r = relevance(rnd, batch, c);
        PoolResult ref = ReferenceLrp.proportional(ReferenceLrp.global(c, h, w), x, r, eps,
                split == SumSplit.POSITIVE);
        return new PoolCase(name + ": GlobalAvgPool " + c + "x" + h + "x" + w + " N=" + batch + " x=" + kind,
                new GlobalAvgPool(), List.of(ReferenceLrp.writeBatch(x, c, h, w)), ReferenceLrp.writeBatch(r, c, 1, 1),
                eps, MaxPoolMode.WINNER_TAKES_ALL, split, ref);
    }

    static PoolCase sumPool(String name, long seed, int batch, int d, int k, Data kind, double eps,
                            SumSplit split) {
        Random rnd = new Random(seed);
        double[][] x = data(rnd, batch, d, kind);
        double[][] r = relevance(rnd, batch, d / k);
        PoolResult ref = ReferenceLrp.proportional(ReferenceLrp.sumGroups(d, k), x, r, eps,
                split == SumSplit.POSITIVE);
        return new PoolCase(name + ": SumPool(" + k + ") [N," + d + "] N=" + batch + " x=" + kind, new SumPool(k),
                List.of(ReferenceLrp.writeBatch(x, d)), ReferenceLrp.writeBatch(r, d / k), eps,
                MaxPoolMode.WINNER_TAKES_ALL, split, ref);
    }

    static PoolCase add(String name, long seed, int batch, long[] shape, int inputs, Data kind, double eps,
                        boolean zeroSum, SumSplit split) {
        Random rnd = new Random(seed);
        int size = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        List<double[][]> xs = new ArrayList<>();
        for (int k = 0; k < inputs; k++) {
            xs.add(data(rnd, batch, size, kind));
        }
        if (zeroSum) {
            // positions whose inputs sum to exactly 0: the stabilizer's sign(0) = +1 decides
            for (int n = 0; n < batch; n++) {
                for (int p = 0; p < size; p += 3) {
                    xs.get(0)[n][p] = 0.75;
                    xs.get(1)[n][p] = -0.75;
                    for (int k = 2; k < inputs; k++) {
                        xs.get(k)[n][p] = 0;
                    }
                }
            }
        }
        double[][] r = relevance(rnd, batch, size);
        PoolResult ref = ReferenceLrp.add(xs, r, eps, split == SumSplit.POSITIVE);
        List<INDArray> in = new ArrayList<>();
        for (double[][] x : xs) {
            in.add(ReferenceLrp.writeBatch(x, shape));
        }
        return new PoolCase(name + ": Add of " + inputs + " " + Arrays.toString(shape) + " N=" + batch + " x=" + kind
                + (zeroSum ? " (zero sums)" : ""), new Add(), in, ReferenceLrp.writeBatch(r, shape), eps,
                MaxPoolMode.WINNER_TAKES_ALL, split, ref);
    }

    static PoolCase concat(String name, long seed, int batch, int axis, int[]... shapes) {
        Random rnd = new Random(seed);
        List<INDArray> in = new ArrayList<>();
        List<int[]> sh = new ArrayList<>();
        for (int[] s : shapes) {
            int size = Arrays.stream(s).reduce(1, (a, b) -> a * b);
            in.add(ReferenceLrp.writeBatch(data(rnd, batch, size, Data.MIXED), Arrays.stream(s).asLongStream()
                    .toArray()));
            sh.add(s);
        }
        long[] outShape = Arrays.stream(shapes[0]).asLongStream().toArray();
        outShape[axis] = Arrays.stream(shapes).mapToLong(s -> s[axis]).sum();
        int outSize = (int) Arrays.stream(outShape).reduce(1, (a, b) -> a * b);
        double[][] r = relevance(rnd, batch, outSize);
        PoolResult ref = ReferenceLrp.concat(sh, axis, r);
        StringBuilder desc = new StringBuilder("Concat(axis " + axis + ") of");
        for (int[] s : shapes) {
            desc.append(' ').append(Arrays.toString(s));
        }
        return new PoolCase(name + ": " + desc + " N=" + batch, new Concat(axis), in,
                ReferenceLrp.writeBatch(r, outShape), 1e-6, MaxPoolMode.WINNER_TAKES_ALL, SumSplit.SIGNED, ref);
    }

    static Stream<PoolCase> cases() {
        MaxPoolMode wta = MaxPoolMode.WINNER_TAKES_ALL;
        MaxPoolMode prop = MaxPoolMode.PROPORTIONAL;
        SumSplit sg = SumSplit.SIGNED;
        SumSplit pos = SumSplit.POSITIVE;
        List<PoolCase> c = new ArrayList<>();
        // max pooling, winner-take-all
        c.add(maxPool("M1", 301, 1, 2, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, Data.MIXED, wta, 1e-6, sg));
        c.add(maxPool("M2", 302, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, Data.NEGATIVE, wta, 1e-6, sg));
        c.add(maxPool("M3", 303, 3, 2, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, Data.TIES, wta, 1e-6, sg));
        c.add(maxPool("M4", 304, 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, Data.ONES, wta, 1e-6, sg));
        c.add(maxPool("M5", 305, 2, 2, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, Data.MINUS_ONES, wta, 1e-6, sg));
        c.add(maxPool("M6", 306, 3, 2, 5, 6, 2, 3, 1, 2, 1, 0, 0, 1, Data.SIGNED_TIES, wta, 1e-6, sg));
        c.add(maxPool("M7", 307, 3, 2, 6, 5, 3, 2, 2, 1, 0, 1, 1, 1, Data.NEGATIVE, wta, 1e-6, sg));
        c.add(maxPool("M8", 308, 3, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, Data.SIGNED_TIES, wta, 1e-6, sg));
        // the last window ends one row/column before the end of the padded frame
        c.add(maxPool("M9", 309, 2, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, Data.MIXED, wta, 1e-6, sg));
        // max pooling, proportional (as sum pooling, zero padding)
        c.add(maxPool("P1", 311, 3, 2, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, Data.RELU, prop, 1e-6, sg));
        c.add(maxPool("P2", 312, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, Data.RELU, prop, 1e-6, sg));
        c.add(maxPool("P3", 313, 3, 2, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, Data.TIES, prop, 0.01, sg));
        c.add(maxPool("P4", 314, 3, 2, 5, 6, 2, 3, 1, 2, 1, 0, 0, 1, Data.MIXED, prop, 1e-6, sg));
        c.add(maxPool("P5", 315, 1, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, Data.MIXED, prop, 0.01, sg));
        // average pooling
        c.add(avgPool("A1", 321, 3, 2, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, true, Data.RELU, 1e-6, sg));
        c.add(avgPool("A2", 322, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, true, Data.MIXED, 1e-6, sg));
        c.add(avgPool("A3", 323, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, false, Data.RELU, 1e-6, sg));
        c.add(avgPool("A4", 324, 3, 2, 5, 4, 2, 2, 1, 1, 1, 0, 0, 1, false, Data.MIXED, 1e-6, sg));
        c.add(avgPool("A5", 325, 3, 2, 6, 5, 3, 3, 2, 1, 0, 2, 1, 0, true, Data.RELU, 0.01, sg));
        c.add(avgPool("A6", 326, 1, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, false, Data.MIXED, 1e-6, sg));
        c.add(avgPool("A7", 327, 3, 1, 6, 7, 3, 2, 2, 2, 2, 1, 1, 0, false, Data.RELU, 1e-6, sg));
        // adaptive average pooling (torch bins)
        c.add(adaptive("AD1", 331, 3, 2, 5, 7, 3, 2, Data.RELU, 1e-6, sg));
        c.add(adaptive("AD2", 332, 3, 2, 6, 4, 3, 2, Data.MIXED, 1e-6, sg));
        c.add(adaptive("AD3", 333, 3, 2, 4, 4, 4, 4, Data.RELU, 1e-6, sg));
        c.add(adaptive("AD4", 334, 3, 2, 5, 7, 1, 1, Data.MIXED, 1e-6, sg));
        c.add(adaptive("AD5", 335, 3, 2, 3, 4, 5, 5, Data.RELU, 0.01, sg));
        c.add(adaptive("AD6", 336, 3, 3, 7, 5, 2, 3, Data.MIXED, 1e-6, sg));
        // global average pooling
        c.add(global("G1", 341, 3, 3, 3, 5, Data.MIXED, 1e-6, sg));
        c.add(global("G2", 342, 3, 2, 4, 4, Data.RELU, 0.01, sg));
        // sum pooling of groups
        c.add(sumPool("S1", 351, 3, 12, 3, Data.MIXED, 1e-6, sg));
        c.add(sumPool("S2", 352, 3, 12, 4, Data.RELU, 0.01, sg));
        c.add(sumPool("S3", 353, 1, 5, 1, Data.MIXED, 1e-6, sg));
        // residual Add
        c.add(add("R1", 361, 3, new long[]{2, 3, 3}, 3, Data.MIXED, 1e-6, false, sg));
        c.add(add("R2", 362, 3, new long[]{5}, 2, Data.RELU, 1e-6, false, sg));
        c.add(add("R3", 363, 3, new long[]{2, 3, 3}, 3, Data.MIXED, 1e-3, true, sg));
        // Concat
        c.add(concat("K1", 371, 3, 0, new int[]{2, 3, 3}, new int[]{1, 3, 3}, new int[]{3, 3, 3}));
        c.add(concat("K2", 372, 3, 1, new int[]{2, 2, 3}, new int[]{2, 4, 3}));
        c.add(concat("K3", 373, 3, 2, new int[]{2, 3, 1}, new int[]{2, 3, 4}));
        c.add(concat("K4", 374, 3, 0, new int[]{3}, new int[]{4}));
        // the positive split (z+ on the unit weights of a sum): mixed-sign inputs, where it differs from the signed one
        c.add(maxPool("PP1", 381, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, Data.MIXED, prop, 1e-6, pos));
        c.add(maxPool("PP2", 382, 3, 2, 5, 5, 3, 3, 1, 1, 0, 0, 0, 0, Data.NEGATIVE, prop, 1e-6, pos));
        c.add(avgPool("PA1", 383, 3, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, true, Data.MIXED, 1e-6, pos));
        c.add(avgPool("PA2", 384, 3, 2, 5, 4, 2, 2, 1, 1, 1, 0, 0, 1, false, Data.SIGNED_TIES, 1e-6, pos));
        c.add(avgPool("PA3", 385, 3, 2, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, true, Data.RELU, 1e-6, pos));
        c.add(adaptive("PAD1", 386, 3, 2, 6, 4, 3, 2, Data.MIXED, 1e-6, pos));
        c.add(adaptive("PAD2", 387, 3, 2, 3, 4, 5, 5, Data.NEGATIVE, 0.01, pos));
        c.add(global("PG1", 388, 3, 3, 3, 5, Data.MIXED, 1e-6, pos));
        c.add(sumPool("PS1", 389, 3, 12, 3, Data.MIXED, 1e-6, pos));
        c.add(add("PR1", 390, 3, new long[]{2, 3, 3}, 3, Data.MIXED, 1e-6, false, pos));
        c.add(add("PR2", 391, 3, new long[]{2, 3, 3}, 2, Data.SIGNED_TIES, 1e-3, true, pos));
        c.add(add("PR3", 392, 3, new long[]{5}, 2, Data.MINUS_ONES, 1e-6, false, pos));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void libraryMatchesReference(PoolCase pc) {
        String ctx = pc + ": ";
        LayerPropagation.Result res = LayerPropagation.apply(pc.layer(), pc.inputs(), pc.r(), null, pc.stabilizer(),
                false, pc.mode(), pc.split());
        PoolResult ref = pc.expected();
        double[][] r = ReferenceLrp.readBatch(pc.r());
        int batch = r.length;
        if (ref.output() != null) {
            ReferenceRuleTest.assertClose(ctx + "output", ReferenceLrp.readBatch(res.output()), ref.output(), null);
        }
        assertThat(res.inputRelevances()).as(ctx + "one relevance per input").hasSize(pc.inputs().size());
        double[] inSum = new double[batch];
        for (int k = 0; k < pc.inputs().size(); k++) {
            INDArray got = res.inputRelevances().get(k);
            assertThat(got.shape()).as(ctx + "shape of R_in" + k).isEqualTo(pc.inputs().get(k).shape());
            double[][] g = ReferenceLrp.readBatch(got);
            ReferenceRuleTest.assertClose(ctx + "R_in" + k, g, ref.relevance().get(k), ref.magnitude().get(k));
            for (int n = 0; n < batch; n++) {
                double s = Arrays.stream(g[n]).sum();
                inSum[n] += s;
                if (pc.layer() instanceof Add || pc.layer() instanceof Concat) {
                    double expected = Arrays.stream(ref.relevance().get(k)[n]).sum();
                    double[] branch = res.branches().get("in" + k);
                    assertThat(branch).as(ctx + "branch in" + k).isNotNull();
                    assertThat(Math.abs(branch[n] - expected)).as(ctx + "branch in%d sample %d: library %s, "
                            + "reference %s", k, n, branch[n], expected).isLessThanOrEqualTo(TOL * Math.max(1,
                            ref.scale()[n]));
                }
            }
        }
        for (int n = 0; n < batch; n++) {
            double tol = TOL * Math.max(1, ref.scale()[n]);
            assertThat(res.bias()[n]).as(ctx + "bias share, sample %d", n).isZero();
            assertThat(Math.abs(res.stabilizer()[n] - ref.stabilizer()[n])).as(ctx + "stabilizer share, sample %d: "
                    + "library %s, reference %s", n, res.stabilizer()[n], ref.stabilizer()[n])
                    .isLessThanOrEqualTo(tol);
            double outSum = Arrays.stream(r[n]).sum();
            assertThat(Math.abs(inSum[n] + res.stabilizer()[n] - outSum)).as(ctx + "accounting, sample %d: in %s + "
                    + "stabilizer %s vs out %s", n, inSum[n], res.stabilizer()[n], outSum).isLessThanOrEqualTo(tol);
        }
    }
}
