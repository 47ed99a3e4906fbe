package io.github.dtd4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compares {@link Forward} with a slow, loop-based reference written straight from the PyTorch/ONNX definitions,
 * in float64 (to 1e-12) and float32 (to 1e-5 relative), and checks that the forward pass never writes to its
 * inputs or to the layers' arrays.
 */
class ForwardReferenceTest {
    private static final double TOL64 = 1e-12;
    private static final double TOL32 = 1e-5;

    /** A dense C-order array of doubles: the reference's own tensor, independent of ND4J. */
    record Arr(long[] shape, double[] v) {
        static Arr zeros(long... shape) {
            return new Arr(shape, new double[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)]);
        }

        static Arr random(Random rng, long... shape) {
            Arr a = zeros(shape);
            for (int i = 0; i < a.v.length; i++) {
                a.v[i] = rng.nextGaussian();
            }
            return a;
        }

        static Arr uniform(Random rng, double lo, double hi, long... shape) {
            Arr a = zeros(shape);
            for (int i = 0; i < a.v.length; i++) {
                a.v[i] = lo + (hi - lo) * rng.nextDouble();
            }
            return a;
        }

        static Arr of(INDArray a) {
            INDArray d = a.dup('c').castTo(DataType.DOUBLE);
            double[] v = new double[(int) a.length()];
            long[] s = a.shape();
            for (int i = 0; i < v.length; i++) {
                v[i] = d.getDouble(org.nd4j.linalg.api.shape.Shape.ind2subC(s, i));
            }
            return new Arr(s, v);
        }

        int off(long... idx) {
            long o = 0;
            for (int d = 0; d < shape.length; d++) {
                if (idx[d] < 0 || idx[d] >= shape[d]) {
                    throw new IndexOutOfBoundsException(Arrays.toString(idx));
                }
                o = o * shape[d] + idx[d];
            }
            return (int) o;
        }

        double at(long... idx) {
            return v[off(idx)];
        }

        void set(double value, long... idx) {
            v[off(idx)] = value;
        }

        long dim(int d) {
            return shape[d];
        }

        Arr reshape(long... s) {
            return new Arr(s, v.clone());
        }

        INDArray nd(DataType t) {
            return Nd4j.create(v.clone(), shape, 'c').castTo(t);
        }
    }

    // ---------------------------------------------------------------- reference forward, one loop nest per kind

    static Arr dense(Arr x, Arr w, Arr b) {
        long n = x.dim(0);
        long in = w.dim(0);
        long out = w.dim(1);
        Arr y = Arr.zeros(n, out);
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < out; j++) {
                double s = b == null ? 0 : b.at(j);
                for (long k = 0; k < in; k++) {
                    s += x.at(i, k) * w.at(k, j);
                }
                y.set(s, i, j);
            }
        }
        return y;
    }

    static Arr conv(Arr x, Arr w, Arr b, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int groups) {
        long n = x.dim(0);
        long h = x.dim(2);
        long wd = x.dim(3);
        long o = w.dim(0);
        long cg = w.dim(1);
        long kh = w.dim(2);
        long kw = w.dim(3);
        long oh = (h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
        long ow = (wd + pl + pr - dw * (kw - 1) - 1) / sw + 1;
        long perGroup = o / groups;
        Arr y = Arr.zeros(n, o, oh, ow);
        for (long s = 0; s < n; s++) {
            for (long oc = 0; oc < o; oc++) {
                long g = oc / perGroup;
                for (long i = 0; i < oh; i++) {
                    for (long j = 0; j < ow; j++) {
                        double acc = b == null ? 0 : b.at(oc);
                        for (long ci = 0; ci < cg; ci++) {
                            for (long a = 0; a < kh; a++) {
                                for (long c = 0; c < kw; c++) {
                                    long r = i * sh - pt + a * dh;
                                    long q = j * sw - pl + c * dw;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        acc += x.at(s, g * cg + ci, r, q) * w.at(oc, ci, a, c);
                                    }
                                }
                            }
                        }
                        y.set(acc, s, oc, i, j);
                    }
                }
            }
        }
        return y;
    }

    /** Pooling over in-image taps only: max (padding never wins) or average. */
    static Arr pool(Arr x, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, String mode) {
        long n = x.dim(0);
        long c = x.dim(1);
        long h = x.dim(2);
        long w = x.dim(3);
        long oh = (h + pt + pb - kh) / sh + 1;
        long ow = (w + pl + pr - kw) / sw + 1;
        Arr y = Arr.zeros(n, c, oh, ow);
        for (long s = 0; s < n; s++) {
            for (long ch = 0; ch < c; ch++) {
                for (long i = 0; i < oh; i++) {
                    for (long j = 0; j < ow; j++) {
                        double max = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        int count = 0;
                        for (int a = 0; a < kh; a++) {
                            for (int b = 0; b < kw; b++) {
                                long r = i * sh - pt + a;
                                long q = j * sw - pl + b;
                                if (r >= 0 && r < h && q >= 0 && q < w) {
                                    double v = x.at(s, ch, r, q);
                                    max = Math.max(max, v);
                                    sum += v;
                                    count++;
                                }
                            }
                        }
                        double out = switch (mode) {
                            case "max" -> max;
                            case "avgIncludePad" -> sum / (kh * kw);
                            case "avgExcludePad" -> sum / count;
                            default -> throw new IllegalArgumentException(mode);
                        };
                        y.set(out, s, ch, i, j);
                    }
                }
            }
        }
        return y;
    }

    static Arr adaptive(Arr x, int oh, int ow) {
        long n = x.dim(0);
        long c = x.dim(1);
        long h = x.dim(2);
        long w = x.dim(3);
        Arr y = Arr.zeros(n, c, oh, ow);
        for (long s = 0; s < n; s++) {
            for (long ch = 0; ch < c; ch++) {
                for (long i = 0; i < oh; i++) {
                    // torch: start = floor(i*H/oh), end = ceil((i+1)*H/oh)
                    long r0 = (long) Math.floor((double) (i * h) / oh);
                    long r1 = (long) Math.ceil((double) ((i + 1) * h) / oh);
                    for (long j = 0; j < ow; j++) {
                        long q0 = (long) Math.floor((double) (j * w) / ow);
                        long q1 = (long) Math.ceil((double) ((j + 1) * w) / ow);
                        double sum = 0;
                        for (long r = r0; r < r1; r++) {
                            for (long q = q0; q < q1; q++) {
                                sum += x.at(s, ch, r, q);
                            }
                        }
                        y.set(sum / ((r1 - r0) * (q1 - q0)), s, ch, i, j);
                    }
                }
            }
        }
        return y;
    }

    static Arr sumPool(Arr x, int k) {
        long n = x.dim(0);
        long d = x.dim(1);
        Arr y = Arr.zeros(n, d / k);
        for (long s = 0; s < n; s++) {
            for (long j = 0; j < d / k; j++) {
                double acc = 0;
                for (long i = 0; i < k; i++) {
                    acc += x.at(s, j * k + i);
                }
                y.set(acc, s, j);
            }
        }
        return y;
    }

    static Arr relu(Arr x) {
        Arr y = Arr.zeros(x.shape().clone());
        for (int i = 0; i < x.v.length; i++) {
            y.v[i] = Math.max(0, x.v[i]);
        }
        return y;
    }

    static Arr batchNorm(Arr x, Arr gamma, Arr beta, Arr mean, Arr var, double eps) {
        Arr y = Arr.zeros(x.shape().clone());
        long c = x.dim(1);
        long inner = x.v.length / x.dim(0) / c;
        for (int i = 0; i < x.v.length; i++) {
            long ch = (i / inner) % c;
            y.v[i] = (x.v[i] - mean.at(ch)) / Math.sqrt(var.at(ch) + eps) * gamma.at(ch) + beta.at(ch);
        }
        return y;
    }

    static Arr add(Arr... xs) {
        Arr y = Arr.zeros(xs[0].shape().clone());
        for (Arr x : xs) {
            for (int i = 0; i < y.v.length; i++) {
                y.v[i] += x.v[i];
            }
        }
        return y;
    }

    /** Concatenation along full-array axis {@code axis}, by index arithmetic. */
    static Arr concat(int axis, Arr... xs) {
        long[] shape = xs[0].shape().clone();
        shape[axis] = 0;
        for (Arr x : xs) {
            shape[axis] += x.dim(axis);
        }
        Arr y = Arr.zeros(shape);
        long offset = 0;
        for (Arr x : xs) {
            for (int i = 0; i < x.v.length; i++) {
                long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(x.shape(), i);
                idx[axis] += offset;
                y.set(x.v[i], idx);
            }
            offset += x.dim(axis);
        }
        return y;
    }

    static Arr lrn(Arr x, int size, double alpha, double beta, double k) {
        Arr y = Arr.zeros(x.shape().clone());
        long n = x.dim(0);
        long c = x.dim(1);
        long h = x.dim(2);
        long w = x.dim(3);
        for (long s = 0; s < n; s++) {
            for (long ch = 0; ch < c; ch++) {
                for (long i = 0; i < h; i++) {
                    for (long j = 0; j < w; j++) {
                        double sq = 0;
                        for (long cc = ch - size / 2; cc <= ch + (size - 1) / 2; cc++) {
                            if (cc >= 0 && cc < c) {
                                sq += x.at(s, cc, i, j) * x.at(s, cc, i, j);
                            }
                        }
                        y.set(x.at(s, ch, i, j) / Math.pow(k + alpha / size * sq, beta), s, ch, i, j);
                    }
                }
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- comparison harness

    private final Random rng = new Random(20240611L);

    /**
     * Runs {@code layer} (built in each dtype) on the inputs in float64 and float32 and compares with the
     * reference; checks that neither the inputs nor the layer's arrays were written to, and that the output is a
     * new array.
     */
    private void check(Function<DataType, Layer> layer, List<Arr> inputs, Arr expected) {
        for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            Layer l = layer.apply(t);
            List<INDArray> ins = new ArrayList<>();
            List<INDArray> before = new ArrayList<>();
            for (Arr a : inputs) {
                INDArray nd = a.nd(t);
                ins.add(nd);
                before.add(nd.dup());
            }
            List<INDArray> params = Graph.parameters(l);
            List<INDArray> paramsBefore = params.stream().map(INDArray::dup).toList();

            INDArray out = Forward.apply(l, ins);

            assertClose(out, expected, t, l.kind());
            for (int i = 0; i < ins.size(); i++) {
                assertThat(ins.get(i)).as("input %d of %s must not be modified", i, l.kind()).isEqualTo(before.get(i));
                assertThat(out).as("output of %s must be a new array", l.kind()).isNotSameAs(ins.get(i));
            }
            for (int i = 0; i < params.size(); i++) {
                assertThat(params.get(i)).as("parameters of %s must not be modified", l.kind())
                        .isEqualTo(paramsBefore.get(i));
            }
            // writing into the output must not reach the input (no shared buffer)
            out.assign(12345.0);
            for (int i = 0; i < ins.size(); i++) {
                assertThat(ins.get(i)).as("output of %s shares memory with input %d", l.kind(), i)
                        .isEqualTo(before.get(i));
            }
        }
    }

    static void assertClose(INDArray actual, Arr expected, DataType t, String what) {
        assertThat(actual.dataType()).as("dtype of %s", what).isEqualTo(t);
        assertThat(actual.shape()).as("shape of %s", what).isEqualTo(expected.shape());
        double tol = t == DataType.DOUBLE ? TOL64 : TOL32;
        Arr got = Arr.of(actual);
        for (int i = 0; i < expected.v.length; i++) {
            double e = expected.v[i];
            double bound = tol * Math.max(1, Math.abs(e));
            if (!(Math.abs(got.v[i] - e) <= bound)) {
                throw new AssertionError(what + " (" + t + ") differs at "
                        + Arrays.toString(org.nd4j.linalg.api.shape.Shape.ind2subC(expected.shape(), i)) + ": got "
                        + got.v[i] + ", expected " + e + " (tolerance " + bound + ")");
            }
        }
    }

    private Arr img(long n, long c, long h, long w) {
        return Arr.random(rng, n, c, h, w);
    }

    // ---------------------------------------------------------------- Dense

    @Test
    void denseWithAndWithoutBias() {
        Arr x = Arr.random(rng, 3, 7);
        Arr w = Arr.random(rng, 7, 4);
        Arr b = Arr.random(rng, 4);
        check(t -> new Dense(w.nd(t), b.nd(t)), List.of(x), dense(x, w, b));
        check(t -> new Dense(w.nd(t), null), List.of(x), dense(x, w, null));
    }

    // ---------------------------------------------------------------- Conv2d

    private void checkConv(Arr x, Arr w, Arr b, int sh, int sw, int pt, int pl, int pb, int pr, int d, int g) {
        Arr expected = conv(x, w, b, sh, sw, pt, pl, pb, pr, d, d, g);
        check(t -> Conv2d.of(w.nd(t), b == null ? null : b.nd(t)).withStride(sh, sw).withPadding(pt, pl, pb, pr)
                .withDilation(d).withGroups(g), List.of(x), expected);
    }

    @Test
    void convPlain() {
        checkConv(img(2, 3, 6, 5), Arr.random(rng, 4, 3, 3, 3), Arr.random(rng, 4), 1, 1, 0, 0, 0, 0, 1, 1);
        checkConv(img(2, 3, 6, 5), Arr.random(rng, 4, 3, 3, 3), null, 1, 1, 0, 0, 0, 0, 1, 1);
    }

    @Test
    void convStrideAndSymmetricPadding() {
        checkConv(img(2, 3, 7, 7), Arr.random(rng, 5, 3, 3, 3), Arr.random(rng, 5), 2, 2, 1, 1, 1, 1, 1, 1);
        // unequal strides, a 2x3 kernel, and rows past the last window that no output reads
        checkConv(img(1, 2, 8, 9), Arr.random(rng, 3, 2, 2, 3), Arr.random(rng, 3), 3, 2, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void convAsymmetricPadding() {
        checkConv(img(2, 3, 6, 6), Arr.random(rng, 4, 3, 3, 3), Arr.random(rng, 4), 1, 1, 0, 1, 2, 1, 1, 1);
        checkConv(img(1, 2, 7, 6), Arr.random(rng, 3, 2, 3, 2), Arr.random(rng, 3), 2, 1, 2, 0, 1, 1, 1, 1);
    }

    @Test
    void convDilation() {
        checkConv(img(2, 2, 9, 8), Arr.random(rng, 3, 2, 3, 3), Arr.random(rng, 3), 1, 1, 2, 2, 2, 2, 2, 1);
        checkConv(img(1, 2, 11, 10), Arr.random(rng, 3, 2, 3, 3), null, 2, 2, 1, 2, 0, 1, 3, 1);
    }

    @Test
    void convGroups() {
        // 4 input channels, 2 groups of 2 -> 6 outputs (3 per group)
        checkConv(img(2, 4, 6, 6), Arr.random(rng, 6, 2, 3, 3), Arr.random(rng, 6), 1, 1, 1, 1, 1, 1, 1, 2);
        checkConv(img(1, 4, 7, 6), Arr.random(rng, 4, 2, 3, 3), null, 2, 2, 0, 1, 1, 0, 1, 2);
    }

    @Test
    void convDepthwise() {
        checkConv(img(2, 3, 6, 6), Arr.random(rng, 3, 1, 3, 3), Arr.random(rng, 3), 1, 1, 1, 1, 1, 1, 1, 3);
        // depth multiplier 2, stride 2
        checkConv(img(1, 3, 7, 7), Arr.random(rng, 6, 1, 3, 3), Arr.random(rng, 6), 2, 2, 1, 1, 1, 1, 1, 3);
    }

    @Test
    void convTransposeIsTheAdjointOfTheForwardIncludingDilation() {
        // <conv(x), s> = <x, convT(s)>: the rules' transposed pass must match the forward pass Forward uses
        int[][] geometries = {
            // sh, sw, pt, pl, pb, pr, d, groups
            {1, 1, 2, 2, 2, 2, 2, 1},
            {2, 2, 1, 2, 0, 1, 3, 1},
            {2, 1, 0, 1, 2, 1, 2, 2},
            {1, 2, 1, 1, 1, 1, 1, 4},
            // symmetric padding, the last window stops short of the padded input (ResNet's 7x7/2/3 stem on 224)
            {2, 2, 1, 1, 1, 1, 1, 1},
            {3, 3, 2, 2, 2, 2, 1, 1},
            {1, 1, 0, 0, 0, 0, 1, 1},
            {2, 2, 0, 0, 0, 0, 1, 1},
        };
        for (int[] gm : geometries) {
            Arr x = img(2, 4, 11, 10);
            Arr w = Arr.random(rng, 4, 4 / gm[7], 3, 3);
            for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
                Conv2d c = Conv2d.of(w.nd(t), null).withStride(gm[0], gm[1]).withPadding(gm[2], gm[3], gm[4], gm[5])
                        .withDilation(gm[6]).withGroups(gm[7]);
                INDArray xn = x.nd(t);
                INDArray y = Ops.conv2d(xn, c.weight(), null, c);
                assertClose(y, conv(x, w, null, gm[0], gm[1], gm[2], gm[3], gm[4], gm[5], gm[6], gm[6], gm[7]), t,
                        "conv " + Arrays.toString(gm));
                INDArray sv = Arr.random(rng, y.shape()).nd(t);
                INDArray g = Ops.conv2dTranspose(sv, c.weight(), c, xn.shape());
                assertThat(g.shape()).isEqualTo(xn.shape());
                double lhs = y.castTo(DataType.DOUBLE).mul(sv.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
                double rhs = xn.castTo(DataType.DOUBLE).mul(g.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
                double tol = (t == DataType.DOUBLE ? 1e-11 : 1e-4) * Math.max(1, Math.abs(lhs));
                assertThat(Math.abs(lhs - rhs)).as("adjoint %s %s", Arrays.toString(gm), t).isLessThanOrEqualTo(tol);
            }
        }
    }

    // ---------------------------------------------------------------- pooling

    @Test
    void poolingTransposesAreTheAdjoints() {
        Arr x = img(2, 3, 7, 8);
        for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            INDArray xn = x.nd(t);
            double tol = t == DataType.DOUBLE ? 1e-11 : 1e-4;
            for (AvgPool2d p : List.of(AvgPool2d.of(2, 2), AvgPool2d.of(3, 2), new AvgPool2d(3, 2, 2, 3, 1, 0, 1, 1, true),
                    new AvgPool2d(3, 3, 2, 2, 1, 1, 1, 1, false), new AvgPool2d(2, 3, 3, 2, 1, 2, 0, 1, false))) {
                INDArray y = Ops.avgPool(xn, p);
                INDArray sv = Arr.random(rng, y.shape()).nd(t);
                INDArray g = Ops.avgPoolTranspose(xn, sv, p);
                assertAdjoint(y, sv, xn, g, tol, p.toString());
            }
            for (AdaptiveAvgPool2d p : List.of(new AdaptiveAvgPool2d(3, 4), new AdaptiveAvgPool2d(3, 3),
                    new AdaptiveAvgPool2d(7, 8), new AdaptiveAvgPool2d(5, 1))) {
                INDArray y = Ops.adaptiveAvgPool(xn, p);
                INDArray sv = Arr.random(rng, y.shape()).nd(t);
                assertAdjoint(y, sv, xn, Ops.adaptiveAvgPoolTranspose(xn, sv, p), tol, p.toString());
            }
            for (MaxPool2d p : List.of(MaxPool2d.of(3, 2), MaxPool2d.of(3, 2, 1), new MaxPool2d(2, 3, 2, 2, 1, 0, 0, 2))) {
                Ops.Window w = Ops.Window.of(p);
                INDArray y = Ops.sumPool(xn, w);
                INDArray sv = Arr.random(rng, y.shape()).nd(t);
                assertAdjoint(y, sv, xn, Ops.sumPoolTranspose(xn, sv, w), tol, "sum " + p);
            }
        }
    }

    private static void assertAdjoint(INDArray y, INDArray s, INDArray x, INDArray g, double tol, String what) {
        assertThat(g.shape()).as(what).isEqualTo(x.shape());
        double lhs = y.castTo(DataType.DOUBLE).mul(s.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        double rhs = x.castTo(DataType.DOUBLE).mul(g.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        assertThat(Math.abs(lhs - rhs)).as("adjoint %s", what).isLessThanOrEqualTo(tol * Math.max(1, Math.abs(lhs)));
    }

    @Test
    void maxPoolPlainAndStrided() {
        Arr x = img(2, 3, 6, 7);
        check(t -> MaxPool2d.of(2, 2), List.of(x), pool(x, 2, 2, 2, 2, 0, 0, 0, 0, "max"));
        check(t -> MaxPool2d.of(3, 2), List.of(x), pool(x, 3, 3, 2, 2, 0, 0, 0, 0, "max"));
        check(t -> new MaxPool2d(2, 3, 1, 2, 0, 0, 0, 0), List.of(x), pool(x, 2, 3, 1, 2, 0, 0, 0, 0, "max"));
    }

    @Test
    void maxPoolPaddingNeverWins() {
        // all inputs negative: a zero-padded implementation would output 0 at the borders
        Arr x = Arr.uniform(rng, -3, -1, 2, 2, 5, 5);
        check(t -> MaxPool2d.of(3, 2, 1), List.of(x), pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "max"));
        check(t -> MaxPool2d.of(3, 1, 1), List.of(x), pool(x, 3, 3, 1, 1, 1, 1, 1, 1, "max"));
        Arr expected = pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "max");
        assertThat(Arrays.stream(expected.v).max().orElseThrow()).isLessThan(-0.5);
    }

    @Test
    void maxPoolAsymmetricPadding() {
        Arr x = Arr.uniform(rng, -3, -1, 2, 2, 6, 5);
        check(t -> new MaxPool2d(3, 3, 2, 2, 0, 1, 2, 1), List.of(x), pool(x, 3, 3, 2, 2, 0, 1, 2, 1, "max"));
        check(t -> new MaxPool2d(2, 3, 1, 2, 1, 0, 0, 2), List.of(x), pool(x, 2, 3, 1, 2, 1, 0, 0, 2, "max"));
        Arr y = img(1, 3, 5, 6);
        check(t -> new MaxPool2d(3, 2, 2, 1, 2, 1, 0, 0), List.of(y), pool(y, 3, 2, 2, 1, 2, 1, 0, 0, "max"));
    }

    @Test
    void avgPoolWithoutPadding() {
        Arr x = img(2, 3, 6, 7);
        check(t -> AvgPool2d.of(2, 2), List.of(x), pool(x, 2, 2, 2, 2, 0, 0, 0, 0, "avgIncludePad"));
        check(t -> AvgPool2d.of(3, 2), List.of(x), pool(x, 3, 3, 2, 2, 0, 0, 0, 0, "avgIncludePad"));
    }

    @Test
    void avgPoolCountIncludePadTrue() {
        Arr x = img(2, 3, 5, 6);
        check(t -> new AvgPool2d(3, 3, 2, 2, 1, 1, 1, 1, true), List.of(x),
                pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "avgIncludePad"));
        check(t -> new AvgPool2d(3, 2, 1, 2, 2, 0, 1, 1, true), List.of(x),
                pool(x, 3, 2, 1, 2, 2, 0, 1, 1, "avgIncludePad"));
    }

    @Test
    void avgPoolCountIncludePadFalse() {
        Arr x = img(2, 3, 5, 6);
        check(t -> new AvgPool2d(3, 3, 2, 2, 1, 1, 1, 1, false), List.of(x),
                pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "avgExcludePad"));
        check(t -> new AvgPool2d(3, 2, 1, 2, 2, 0, 1, 1, false), List.of(x),
                pool(x, 3, 2, 1, 2, 2, 0, 1, 1, "avgExcludePad"));
        // the two semantics really differ at the border
        Arr inc = pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "avgIncludePad");
        Arr exc = pool(x, 3, 3, 2, 2, 1, 1, 1, 1, "avgExcludePad");
        assertThat(inc.at(0, 0, 0, 0) * 9 / 4).isCloseTo(exc.at(0, 0, 0, 0), org.assertj.core.api.Assertions.within(1e-12));
    }

    @Test
    void globalAvgPool() {
        Arr x = img(2, 3, 4, 5);
        Arr expected = Arr.zeros(2, 3, 1, 1);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 5; j++) {
                        s += x.at(n, c, i, j);
                    }
                }
                expected.set(s / 20, n, c, 0, 0);
            }
        }
        check(t -> new GlobalAvgPool(), List.of(x), expected);
    }

    @Test
    void adaptiveAvgPoolDivisible() {
        Arr x = img(2, 3, 6, 8);
        check(t -> new AdaptiveAvgPool2d(3, 4), List.of(x), adaptive(x, 3, 4));
        check(t -> new AdaptiveAvgPool2d(1, 1), List.of(x), adaptive(x, 1, 1));
        check(t -> new AdaptiveAvgPool2d(6, 8), List.of(x), adaptive(x, 6, 8));
    }

    @Test
    void adaptiveAvgPoolNonDivisible() {
        Arr x = img(2, 3, 7, 5);
        check(t -> new AdaptiveAvgPool2d(3, 2), List.of(x), adaptive(x, 3, 2));
        check(t -> new AdaptiveAvgPool2d(4, 4), List.of(x), adaptive(x, 4, 4));
        // divisible in one direction only
        check(t -> new AdaptiveAvgPool2d(7, 3), List.of(x), adaptive(x, 7, 3));
        // more output cells than input rows: overlapping bins
        Arr small = img(1, 2, 3, 3);
        check(t -> new AdaptiveAvgPool2d(5, 4), List.of(small), adaptive(small, 5, 4));
    }

    @Test
    void adaptiveBinsAreTorchBins() {
        // hand-checked: H = 7, oh = 3 -> rows [0,3), [2,5), [4,7)
        Arr x = Arr.zeros(1, 1, 7, 1);
        for (int i = 0; i < 7; i++) {
            x.set(i, 0, 0, i, 0);
        }
        Arr expected = new Arr(new long[]{1, 1, 3, 1}, new double[]{1, 3, 5});
        assertThat(adaptive(x, 3, 1).v).containsExactly(1, 3, 5);
        check(t -> new AdaptiveAvgPool2d(3, 1), List.of(x), expected);
    }

    @Test
    void sumPool() {
        Arr x = Arr.random(rng, 3, 12);
        check(t -> new SumPool(4), List.of(x), sumPool(x, 4));
        check(t -> new SumPool(12), List.of(x), sumPool(x, 12));
        check(t -> new SumPool(1), List.of(x), sumPool(x, 1));
    }

    // ---------------------------------------------------------------- element-wise, normalisation

    @Test
    void relu() {
        Arr v = Arr.random(rng, 3, 10);
        check(t -> new Relu(), List.of(v), relu(v));
        Arr x = img(2, 3, 4, 4);
        check(t -> new Relu(), List.of(x), relu(x));
    }

    @Test
    void batchNormOnVectors() {
        Arr x = Arr.random(rng, 4, 5);
        Arr gamma = Arr.random(rng, 5);
        Arr beta = Arr.random(rng, 5);
        Arr mean = Arr.random(rng, 5);
        Arr var = Arr.uniform(rng, 0.2, 2, 5);
        check(t -> new BatchNorm(gamma.nd(t), beta.nd(t), mean.nd(t), var.nd(t), 1e-3), List.of(x),
                batchNorm(x, gamma, beta, mean, var, 1e-3));
    }

    @Test
    void batchNormOnImages() {
        Arr x = img(2, 3, 4, 5);
        Arr gamma = Arr.random(rng, 3);
        Arr beta = Arr.random(rng, 3);
        Arr mean = Arr.random(rng, 3);
        Arr var = Arr.uniform(rng, 0.2, 2, 3);
        check(t -> new BatchNorm(gamma.nd(t), beta.nd(t), mean.nd(t), var.nd(t), 1e-5), List.of(x),
                batchNorm(x, gamma, beta, mean, var, 1e-5));
        // eps = 0 and a variance of exactly 1: y = (x - mean)·gamma + beta
        Arr one = Arr.uniform(rng, 1, 1, 3);
        check(t -> new BatchNorm(gamma.nd(t), beta.nd(t), mean.nd(t), one.nd(t), 0), List.of(x),
                batchNorm(x, gamma, beta, mean, one, 0));
    }

    @Test
    void addThreeInputs() {
        Arr a = img(2, 3, 4, 4);
        Arr b = img(2, 3, 4, 4);
        Arr c = img(2, 3, 4, 4);
        check(t -> new Add(), List.of(a, b, c), add(a, b, c));
        Arr u = Arr.random(rng, 2, 6);
        Arr v = Arr.random(rng, 2, 6);
        check(t -> new Add(), List.of(u, v), add(u, v));
    }

    @Test
    void concatChannels() {
        Arr a = img(2, 2, 3, 4);
        Arr b = img(2, 3, 3, 4);
        Arr c = img(2, 1, 3, 4);
        check(t -> Concat.channels(), List.of(a, b, c), concat(1, a, b, c));
    }

    @Test
    void concatOtherAxes() {
        Arr a = img(2, 2, 3, 4);
        Arr b = img(2, 2, 5, 4);
        check(t -> new Concat(1), List.of(a, b), concat(2, a, b));
        Arr c = img(2, 2, 3, 1);
        Arr d = img(2, 2, 3, 4);
        check(t -> new Concat(2), List.of(c, d), concat(3, c, d));
        Arr u = Arr.random(rng, 2, 3);
        Arr v = Arr.random(rng, 2, 5);
        check(t -> new Concat(0), List.of(u, v), concat(1, u, v));
    }

    @Test
    void flattenIsCOrder() {
        Arr x = img(2, 3, 2, 4);
        Arr expected = Arr.zeros(2, 24);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 4; j++) {
                        expected.set(x.at(n, c, i, j), n, c * 8 + i * 4 + j);
                    }
                }
            }
        }
        check(t -> new Flatten(), List.of(x), expected);
    }

    @Test
    void flattenOfFortranOrderedAndViewInputs() {
        Arr x = img(2, 3, 2, 4);
        Arr expected = x.reshape(2, 24);
        for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            INDArray f = x.nd(t).dup('f');
            assertThat(f.ordering()).isEqualTo('f');
            assertClose(Forward.apply(new Flatten(), List.of(f)), expected, t, "Flatten of an f-order array");
            // a strided view: every other sample of a bigger batch
            INDArray big = Nd4j.concat(0, x.nd(t), x.nd(t).mul(-1));
            INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2));
            assertClose(Forward.apply(new Flatten(), List.of(view)), expected, t, "Flatten of a view");
        }
    }

    @Test
    void reshapeIsCOrder() {
        Arr x = img(2, 2, 3, 4);
        check(t -> new Reshape(Shape.of(6, 4)), List.of(x), x.reshape(2, 6, 4));
        Arr v = Arr.random(rng, 2, 24);
        check(t -> new Reshape(Shape.of(2, 3, 4)), List.of(v), v.reshape(2, 2, 3, 4));
        assertThat(v.reshape(2, 2, 3, 4).at(1, 1, 2, 3)).isEqualTo(v.at(1, 12 + 8 + 3));
    }

    @Test
    void dropoutAndIdentityCopy() {
        Arr x = img(2, 3, 2, 2);
        check(t -> new Dropout(0.5), List.of(x), x);
        check(t -> new Identity(), List.of(x), x);
        Arr v = Arr.random(rng, 3, 5);
        check(t -> new Dropout(0), List.of(v), v);
    }

    @Test
    void localResponseNorm() {
        Arr x = img(2, 5, 3, 3);
        check(t -> new LocalResponseNorm(3, 0.5, 0.75, 2), List.of(x), lrn(x, 3, 0.5, 0.75, 2));
        // even size: 2 channels before, 1 after
        check(t -> new LocalResponseNorm(4, 1.5, 0.6, 1), List.of(x), lrn(x, 4, 1.5, 0.6, 1));
        // window wider than the channels
        check(t -> new LocalResponseNorm(7, 1e-2, 0.75, 1), List.of(x), lrn(x, 7, 1e-2, 0.75, 1));
        check(t -> new LocalResponseNorm(1, 0.3, 1, 1), List.of(x), lrn(x, 1, 0.3, 1, 1));
    }

    @Test
    void lrnReferenceMatchesHandComputation() {
        // one pixel, channels (1, 2, 3), size 3, alpha 3, beta 1, k 1: b_1 = 2 / (1 + 3/3·(1+4+9)) = 2/15
        Arr x = new Arr(new long[]{1, 3, 1, 1}, new double[]{1, 2, 3});
        Arr y = lrn(x, 3, 3, 1, 1);
        assertThat(y.v[0]).isCloseTo(1.0 / (1 + 5), org.assertj.core.api.Assertions.within(1e-15));
        assertThat(y.v[1]).isCloseTo(2.0 / 15, org.assertj.core.api.Assertions.within(1e-15));
        assertThat(y.v[2]).isCloseTo(3.0 / (1 + 13), org.assertj.core.api.Assertions.within(1e-15));
        check(t -> new LocalResponseNorm(3, 3, 1, 1), List.of(x), y);
    }

    // ---------------------------------------------------------------- whole graph

    @Test
    void runRecordsEveryNodeAndMatchesReference() {
        Arr w1 = Arr.random(rng, 4, 2, 3, 3);
        Arr b1 = Arr.random(rng, 4);
        Arr gamma = Arr.random(rng, 4);
        Arr beta = Arr.random(rng, 4);
        Arr mean = Arr.random(rng, 4);
        Arr var = Arr.uniform(rng, 0.5, 1.5, 4);
        Arr w2 = Arr.random(rng, 4, 4, 1, 1);
        Arr w3 = Arr.random(rng, 2, 4, 3, 3);
        Arr wf = Arr.random(rng, 4 * 3 * 3 + 2 * 3 * 3, 3);
        Arr bf = Arr.random(rng, 3);
        Arr x = Arr.random(rng, 2, 2, 6, 6);

        Arr c1 = conv(x, w1, b1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Arr bn = batchNorm(c1, gamma, beta, mean, var, 1e-5);
        Arr r1 = relu(bn);
        Arr p1 = pool(r1, 2, 2, 2, 2, 0, 0, 0, 0, "max");
        Arr c2 = conv(p1, w2, null, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        Arr sum = add(p1, c2);
        Arr c3 = conv(p1, w3, null, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Arr cat = concat(1, sum, c3);
        Arr flat = cat.reshape(2, 54);
        Arr logits = dense(flat, wf, bf);

        for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            Graph g = Graph.builder(Shape.of(2, 6, 6))
                    .add("c1", Conv2d.of(w1.nd(t), b1.nd(t)).withPadding(1), "input")
                    .add("bn", new BatchNorm(gamma.nd(t), beta.nd(t), mean.nd(t), var.nd(t), 1e-5), "c1")
                    .add("r1", new Relu(), "bn")
                    .add("p1", MaxPool2d.of(2, 2), "r1")
                    .add("c2", Conv2d.of(w2.nd(t), null), "p1")
                    .add("sum", new Add(), "p1", "c2")
                    .add("c3", Conv2d.of(w3.nd(t), null).withPadding(1), "p1")
                    .add("cat", Concat.channels(), "sum", "c3")
                    .add("drop", new Dropout(0.3), "cat")
                    .add("flat", new Flatten(), "drop")
                    .add("fc", new Dense(wf.nd(t), bf.nd(t)), "flat")
                    .build();
            INDArray in = x.nd(t);
            INDArray inBefore = in.dup();
            Map<String, INDArray> out = Forward.run(g, in);

            assertThat(out.keySet()).containsExactly("input", "c1", "bn", "r1", "p1", "c2", "sum", "c3", "cat", "drop",
                    "flat", "fc");
            assertThat(out.get("input")).isSameAs(in);
            assertThat(in).isEqualTo(inBefore);
            assertClose(out.get("c1"), c1, t, "c1");
            assertClose(out.get("bn"), bn, t, "bn");
            assertClose(out.get("r1"), r1, t, "r1");
            assertClose(out.get("p1"), p1, t, "p1");
            assertClose(out.get("c2"), c2, t, "c2");
            assertClose(out.get("sum"), sum, t, "sum");
            assertClose(out.get("c3"), c3, t, "c3");
            assertClose(out.get("cat"), cat, t, "cat");
            assertClose(out.get("drop"), cat, t, "drop");
            assertClose(out.get("flat"), flat, t, "flat");
            assertClose(out.get("fc"), logits, t, "fc");
            assertClose(Forward.output(g, in), logits, t, "output");
            // every recorded output is its own array: no two entries alias
            for (String a : out.keySet()) {
                for (String b : out.keySet()) {
                    if (!a.equals(b)) {
                        assertThat(out.get(a)).as("%s vs %s", a, b).isNotSameAs(out.get(b));
                    }
                }
            }
        }
    }

    @Test
    void referenceConvMatchesHandComputation() {
        // 1x1x3x3 input 1..9, 2x2 kernel of ones, stride 1, pad (top 1, left 0, bottom 0, right 0)
        Arr x = Arr.zeros(1, 1, 3, 3);
        for (int i = 0; i < 9; i++) {
            x.v[i] = i + 1;
        }
        Arr w = new Arr(new long[]{1, 1, 2, 2}, new double[]{1, 1, 1, 1});
        Arr y = conv(x, w, null, 1, 1, 1, 0, 0, 0, 1, 1, 1);
        assertThat(y.shape()).containsExactly(1, 1, 3, 2);
        assertThat(y.v).containsExactly(3, 5, 12, 16, 24, 28);
    }

    // ---------------------------------------------------------------- modern architectures' layers

    /** erf from its Taylor series (|x| ≤ 3) or Lentz's continued fraction for erfc (beyond), to ~1e-15. */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a <= 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...))))
            double f = a;
            double c = a;
            double d = 0;
            for (int n = 1; n < 500; n++) {
                double an = n / 2.0;
                d = a + an * d;
                d = 1 / d;
                c = a + an / c;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) {
                    break;
                }
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    @Test
    void erfReferenceHasKnownValues() {
        assertThat(erf(0.5)).isCloseTo(0.5204998778130465, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(erf(-1.0)).isCloseTo(-0.8427007929497149, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(erf(3.5)).isCloseTo(0.9999992569016276, org.assertj.core.data.Offset.offset(1e-15));
    }

    static double activation(io.github.dtd4j.graph.Activation a, double x) {
        double al = a.alpha();
        double be = a.beta();
        return switch (a.function()) {
            case CLIP -> Math.min(Math.max(x, al), be);
            case LEAKY_RELU -> x > 0 ? x : al * x;
            case ELU -> x > 0 ? x : al * (Math.exp(x) - 1);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case HARD_SIGMOID -> Math.max(0, Math.min(1, al * x + be));
            case HARD_SWISH -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case TANH -> Math.tanh(x);
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    @Test
    void everyActivationMatchesItsDefinition() {
        Arr x = Arr.random(rng, 2, 3, 4, 5);
        for (int i = 0; i < x.v.length; i++) {
            x.v[i] *= 4; // reach the bends of the clips, hard sigmoid and hard swish (±3)
        }
        for (io.github.dtd4j.graph.Activation a : List.of(io.github.dtd4j.graph.Activation.relu6(),
                io.github.dtd4j.graph.Activation.clip(-1, 0.5), io.github.dtd4j.graph.Activation.clip(
                        Double.NEGATIVE_INFINITY, 1), io.github.dtd4j.graph.Activation.leakyRelu(0.1),
                io.github.dtd4j.graph.Activation.elu(0.8), io.github.dtd4j.graph.Activation.sigmoid(),
                io.github.dtd4j.graph.Activation.hardSigmoid(0.2, 0.5), io.github.dtd4j.graph.Activation.hardSwish(),
                io.github.dtd4j.graph.Activation.tanh(), io.github.dtd4j.graph.Activation.gelu(),
                io.github.dtd4j.graph.Activation.silu())) {
            Arr y = Arr.zeros(x.shape());
            for (int i = 0; i < x.v.length; i++) {
                y.v[i] = activation(a, x.v[i]);
            }
            check(t -> a, List.of(x), y);
        }
    }

    @Test
    void productsBroadcastLikeNumpy() {
        Arr a = Arr.random(rng, 2, 3, 4, 5);
        for (long[] bs : List.of(new long[]{2, 3, 1, 1}, new long[]{2, 1, 4, 1}, new long[]{2, 3, 4, 5})) {
            Arr b = Arr.uniform(rng, 0.5, 2, bs);
            for (boolean divide : new boolean[]{false, true}) {
                Arr y = Arr.zeros(2, 3, 4, 5);
                for (long n = 0; n < 2; n++) {
                    for (long c = 0; c < 3; c++) {
                        for (long h = 0; h < 4; h++) {
                            for (long w = 0; w < 5; w++) {
                                double g = b.at(n, bs[1] == 1 ? 0 : c, bs[2] == 1 ? 0 : h, bs[3] == 1 ? 0 : w);
                                y.set(divide ? a.at(n, c, h, w) / g : a.at(n, c, h, w) * g, n, c, h, w);
                            }
                        }
                    }
                }
                io.github.dtd4j.graph.Mul m = divide ? io.github.dtd4j.graph.Mul.divideByGate()
                        : io.github.dtd4j.graph.Mul.product();
                check(t -> m, List.of(a, b), y);
            }
        }
    }

    @Test
    void permuteMovesAxes() {
        Arr x = Arr.random(rng, 2, 3, 4, 5);
        Arr y = Arr.zeros(2, 4, 5, 3);
        for (long n = 0; n < 2; n++) {
            for (long c = 0; c < 3; c++) {
                for (long h = 0; h < 4; h++) {
                    for (long w = 0; w < 5; w++) {
                        y.set(x.at(n, c, h, w), n, h, w, c);
                    }
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.Permute(new int[]{1, 2, 0}), List.of(x), y);
    }

    @Test
    void sliceTakesStridedWindows() {
        Arr x = Arr.random(rng, 2, 6, 7, 5);
        // channels 1..4, rows 0, 3, 6, all columns
        Arr y = Arr.zeros(2, 4, 3, 5);
        for (long n = 0; n < 2; n++) {
            for (long c = 0; c < 4; c++) {
                for (long h = 0; h < 3; h++) {
                    for (long w = 0; w < 5; w++) {
                        y.set(x.at(n, 1 + c, 3 * h, w), n, c, h, w);
                    }
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.Slice(new int[]{0, 1}, new long[]{1, 0}, new long[]{5, 7},
                new long[]{1, 3}), List.of(x), y);
    }

    @Test
    void layerNormOverTheLastAxis() {
        Arr x = Arr.random(rng, 2, 3, 5);
        Arr gamma = Arr.random(rng, 5);
        Arr beta = Arr.random(rng, 5);
        Arr y = Arr.zeros(2, 3, 5);
        for (long n = 0; n < 2; n++) {
            for (long t = 0; t < 3; t++) {
                double mean = 0;
                for (long d = 0; d < 5; d++) {
                    mean += x.at(n, t, d) / 5;
                }
                double var = 0;
                for (long d = 0; d < 5; d++) {
                    var += (x.at(n, t, d) - mean) * (x.at(n, t, d) - mean) / 5;
                }
                for (long d = 0; d < 5; d++) {
                    y.set((x.at(n, t, d) - mean) / Math.sqrt(var + 1e-5) * gamma.at(d) + beta.at(d), n, t, d);
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.LayerNorm(gamma.nd(t), beta.nd(t), 1e-5), List.of(x), y);
    }

    @Test
    void constantFactorsBroadcast() {
        Arr x = Arr.random(rng, 2, 3, 4, 4);
        Arr f = Arr.random(rng, 3, 1, 1);
        Arr y = Arr.zeros(2, 3, 4, 4);
        Arr y2 = Arr.zeros(2, 3, 4, 4);
        for (int i = 0; i < x.v.length; i++) {
            long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(x.shape(), i);
            y.v[i] = x.v[i] * f.at(idx[1], 0, 0);
            y2.v[i] = x.v[i] * -0.25;
        }
        check(t -> new io.github.dtd4j.graph.ConstantMul(f.nd(t)), List.of(x), y);
        check(t -> new io.github.dtd4j.graph.ConstantMul(Nd4j.scalar(t, -0.25)), List.of(x), y2);
    }

    @Test
    void denseMapsTheLastAxisOfTokens() {
        Arr x = Arr.random(rng, 2, 3, 4, 5);
        Arr w = Arr.random(rng, 5, 6);
        Arr b = Arr.random(rng, 6);
        Arr y = dense(x.reshape(24, 5), w, b).reshape(2, 3, 4, 6);
        check(t -> new Dense(w.nd(t), b.nd(t)), List.of(x), y);
    }

    @Test
    void constantTermsAndAClassToken() {
        Arr x = Arr.random(rng, 2, 3, 4);
        Arr c = Arr.random(rng, 3, 4);
        Arr y = Arr.zeros(2, 3, 4);
        for (int i = 0; i < x.v.length; i++) {
            long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(x.shape(), i);
            y.v[i] = x.v[i] + c.at(idx[1], idx[2]);
        }
        check(t -> new io.github.dtd4j.graph.ConstantAdd(c.nd(t)), List.of(x), y);
        // one sample: the broadcast constant has the output's shape, and must still be a copy, not the layer's array
        Arr x1 = Arr.random(rng, 1, 3, 4);
        Arr y1 = Arr.zeros(1, 3, 4);
        for (int i = 0; i < x1.v.length; i++) {
            y1.v[i] = x1.v[i] + c.v[i];
        }
        check(t -> new io.github.dtd4j.graph.ConstantAdd(c.nd(t)), List.of(x1), y1);
        Arr token = Arr.random(rng, 1, 4);
        Arr before = Arr.zeros(2, 4, 4);
        Arr after = Arr.zeros(2, 4, 4);
        for (long n = 0; n < 2; n++) {
            for (long j = 0; j < 4; j++) {
                before.set(token.at(0, j), n, 0, j);
                after.set(token.at(0, j), n, 3, j);
                for (long t = 0; t < 3; t++) {
                    before.set(x.at(n, t, j), n, t + 1, j);
                    after.set(x.at(n, t, j), n, t, j);
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.ConstantConcat(0, token.nd(t), true), List.of(x), before);
        check(t -> new io.github.dtd4j.graph.ConstantConcat(0, token.nd(t), false), List.of(x), after);
    }

    @Test
    void batchedMatrixProductsAndSoftmax() {
        Arr a = Arr.random(rng, 2, 3, 4, 5);
        Arr b = Arr.random(rng, 2, 3, 5, 2);
        Arr y = Arr.zeros(2, 3, 4, 2);
        for (long n = 0; n < 2; n++) {
            for (long h = 0; h < 3; h++) {
                for (long i = 0; i < 4; i++) {
                    for (long j = 0; j < 2; j++) {
                        double sum = 0;
                        for (long k = 0; k < 5; k++) {
                            sum += a.at(n, h, i, k) * b.at(n, h, k, j);
                        }
                        y.set(sum, n, h, i, j);
                    }
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.MatMul(), List.of(a, b), y);
        // softmax over the last axis, with large inputs that overflow exp without the shift
        Arr x = Arr.random(rng, 2, 3, 6);
        for (int i = 0; i < x.v.length; i += 5) {
            x.v[i] += 200;
        }
        Arr s = Arr.zeros(2, 3, 6);
        for (long n = 0; n < 2; n++) {
            for (long r = 0; r < 3; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (long j = 0; j < 6; j++) {
                    max = Math.max(max, x.at(n, r, j));
                }
                double total = 0;
                for (long j = 0; j < 6; j++) {
                    total += Math.exp(x.at(n, r, j) - max);
                }
                for (long j = 0; j < 6; j++) {
                    s.set(Math.exp(x.at(n, r, j) - max) / total, n, r, j);
                }
            }
        }
        check(t -> new io.github.dtd4j.graph.Softmax(), List.of(x), s);
    }
}
