package io.github.dtd4j.rules;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.SequentialBuilder;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * Test-scope generator of random networks in the paper's detection-pooling style (§4, §5.2, §6.1): one to five
 * linear layers (dense, or convolutions with stride 1/2, padding 0/1, dilation 1/2, then dense), each followed by
 * a ReLU, sometimes by a pooling (sum-pooling for vectors, max/avg pooling for images), and a head that either
 * sum-pools everything into one output (so f(x) ≥ 0) or is a Dense layer to K classes.
 *
 * <p>Every network also comes as a list of {@link Op}s with plain-Java weights, and {@link Net#reference} runs
 * them with loops that share no code with the library: forward pass and input gradient of one logit.
 *
 * <p>The structure (layer counts, kinds, sizes, batch size) is drawn from the QuickTheories source so that it
 * shrinks; the numbers (weights, biases, inputs) come from a {@link SplittableRandom} seeded from the source.
 */
final class RandomNetworks {
    private RandomNetworks() {
    }

    /** Where inputs are drawn. */
    enum Domain {
        /** x ≥ 0 (the z⁺ domain), some exact zeros. */
        NON_NEGATIVE,
        /** l ≤ x ≤ h with l ≤ 0 ≤ h, scalar or per-channel bounds, some x exactly on a bound (the z^B domain). */
        BOX,
        /** any real value (the w² domain). */
        ANY
    }

    /** Signs of the biases. */
    enum Bias {
        /** b ≤ 0, some exactly 0 (the paper's constraint). */
        NON_POSITIVE,
        /** either sign. */
        ANY,
        /** no bias at all (layers built with a null bias). */
        NONE
    }

    /** What sits on top of the last hidden layer. */
    enum Head {
        /** flatten if needed, then sum-pool everything into one output: f(x) ≥ 0 */
        SUM_POOL,
        /** a Dense layer to K = 2..4 classes (bias as the other layers) */
        CLASSES,
        /** either, drawn */
        EITHER
    }

    /**
     * What to generate.
     *
     * @param domain              input domain
     * @param bias                bias signs
     * @param head                the head
     * @param conv                allow convolutional networks (else dense only)
     * @param proportionalPooling allow sum/avg pooling between linear layers (max pooling is always allowed)
     * @param dead                make f(x) = 0: the last hidden layer gets biases of −1000 (needs a SUM_POOL head)
     * @param maxBatch            batch size is drawn in 1..maxBatch
     * @param zeroWeights         some weights exactly 0 (about 1 in 20)
     */
    record Options(Domain domain, Bias bias, Head head, boolean conv, boolean proportionalPooling, boolean dead,
                   int maxBatch, boolean zeroWeights) {
        Options {
            if (dead && head != Head.SUM_POOL) {
                throw new IllegalArgumentException("dead networks need a sum-pool head");
            }
        }

        /** {@return the paper's setting: biases ≤ 0, either head, dense and conv, all poolings, batch 1..3} */
        static Options paper(Domain domain) {
            return new Options(domain, Bias.NON_POSITIVE, Head.EITHER, true, true, false, 3, true);
        }

        Options withBias(Bias b) {
            return new Options(domain, b, head, conv, proportionalPooling, dead, maxBatch, zeroWeights);
        }

        Options withHead(Head h) {
            return new Options(domain, bias, h, conv, proportionalPooling, dead, maxBatch, zeroWeights);
        }

        Options withProportionalPooling(boolean p) {
            return new Options(domain, bias, head, conv, p, dead, maxBatch, zeroWeights);
        }

        Options killed() {
            return new Options(domain, bias, Head.SUM_POOL, conv, proportionalPooling, true, maxBatch, zeroWeights);
        }

        Options withMaxBatch(int n) {
            return new Options(domain, bias, head, conv, proportionalPooling, dead, n, zeroWeights);
        }

        Options withZeroWeights(boolean z) {
            return new Options(domain, bias, head, conv, proportionalPooling, dead, maxBatch, z);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reference operations (plain Java, per sample)

    /** One layer of the reference network. Tensors are flat double arrays in C order with a per-sample shape. */
    sealed interface Op {
    }

    /** {@code y_j = Σ_i x_i w[i][j] + b_j}; {@code w} is {@code [in*out]} row-major; b may be null. */
    record DenseOp(int in, int out, double[] w, double[] b) implements Op {
    }

    /** Cross-correlation, weight {@code [out][in][k][k]} flat, square kernel, same stride/padding/dilation on both axes. */
    record ConvOp(int cin, int cout, int k, int stride, int pad, int dil, double[] w, double[] b) implements Op {
    }

    /** max(0, x). */
    record ReluOp() implements Op {
    }

    /** Sum of consecutive groups of k units of a vector. */
    record SumPoolOp(int k) implements Op {
    }

    /** Max pooling, square window k, stride s, padding p (padded positions never win); ties: first in row-major order. */
    record MaxPoolOp(int k, int s, int p) implements Op {
    }

    /** Average pooling, square window k, stride s, no padding. */
    record AvgPoolOp(int k, int s) implements Op {
    }

    /** [C,H,W] to [C*H*W], C order. */
    record FlattenOp() implements Op {
    }

    /**
     * A generated network.
     *
     * @param graph       the library graph (float64 parameters)
     * @param ops         the same network for the reference implementation
     * @param inShape     per-sample input shape
     * @param x           the input batch {@code [N, ...inShape]}, float64
     * @param low         z^B lower bounds (length 1 or one per input channel / feature); null unless Domain.BOX
     * @param high        z^B upper bounds
     * @param classes     number of outputs (1 for the sum-pool head)
     * @param linearNames names of the Dense/Conv2d nodes, input side first
     * @param description human-readable structure, for failure reports
     */
    record Net(Graph graph, List<Op> ops, int[] inShape, INDArray x, double[] low, double[] high, int classes,
               List<String> linearNames, String description) {
        int batch() {
            return (int) x.size(0);
        }

        /** {@return a z^B rule with this network's box} */
        ZBoxRule zBox() {
            return Rules.zBox(low, high);
        }

        /** {@return batch element n of x as a flat double array} */
        double[] sample(int n) {
            return x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(n)).dup('c').data().asDouble();
        }

        /** {@return the reference implementation} */
        Reference reference() {
            return new Reference(ops, inShape);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Generators

    /** {@return networks with the given options} @param o options */
    static Gen<Net> networks(Options o) {
        return in -> build(o, in);
    }

    private static int pick(RandomnessSource in, int lo, int hi) {
        return (int) in.next(Constraint.between(lo, hi));
    }

    private static Net build(Options o, RandomnessSource in) {
        int hidden = pick(in, 1, 5);
        boolean conv = o.conv() && pick(in, 0, 1) == 1;
        int nConv = conv ? pick(in, 1, Math.min(3, hidden)) : 0;
        Head head = o.head() == Head.EITHER ? (pick(in, 0, 1) == 0 ? Head.SUM_POOL : Head.CLASSES) : o.head();
        int batch = pick(in, 1, o.maxBatch());
        SplittableRandom rnd = new SplittableRandom(in.next(Constraint.none()));

        List<Op> ops = new ArrayList<>();
        List<String> linear = new ArrayList<>();
        StringBuilder desc = new StringBuilder();
        SequentialBuilder g;
        int[] inShape;
        int c = 0;
        int h = 0;
        int w = 0;
        int d = 0;
        if (conv) {
            c = 1 + rnd.nextInt(3);
            h = 4 + rnd.nextInt(6);
            w = 4 + rnd.nextInt(6);
            inShape = new int[]{c, h, w};
            g = Graph.sequential(Shape.of(c, h, w));
        } else {
            d = 2 + rnd.nextInt(11);
            inShape = new int[]{d};
            g = Graph.sequential(d);
        }
        desc.append("input ").append(Arrays.toString(inShape)).append(", batch ").append(batch);

        for (int layer = 1; layer <= hidden; layer++) {
            String name = "lin" + layer;
            linear.add(name);
            boolean last = layer == hidden;
            if (layer <= nConv) {
                int cout = 1 + rnd.nextInt(4);
                int k = 1 + rnd.nextInt(3);
                int s = 1 + rnd.nextInt(2);
                int dil = 1 + rnd.nextInt(2);
                // k = 1 with padding 1 gives border outputs that see only padding; w² and flat cannot redistribute
                // their relevance (no tap inside the image). Not a DTD configuration; left out.
                int p = k == 1 ? 0 : rnd.nextInt(2);
                if (convOut(h, k, s, p, dil) <= 0 || convOut(w, k, s, p, dil) <= 0) {
                    dil = 1;
                }
                if (convOut(h, k, s, p, dil) <= 0 || convOut(w, k, s, p, dil) <= 0) {
                    k = 1;
                    p = 0;
                }
                double[] wt = weights(rnd, o, cout, c * k * k, true);
                double[] b = biases(rnd, o, cout, last);
                ops.add(new ConvOp(c, cout, k, s, p, dil, wt, b));
                Conv2d layerDef = Conv2d.of(Nd4j.create(wt, new long[]{cout, c, k, k}, 'c'), vec(b))
                        .withStride(s).withPadding(p).withDilation(dil);
                g.conv(name, layerDef).relu();
                ops.add(new ReluOp());
                desc.append(String.format(Locale.ROOT, " | %s conv %d->%d k%d s%d p%d d%d", name, c, cout, k, s, p, dil));
                c = cout;
                h = convOut(h, k, s, p, dil);
                w = convOut(w, k, s, p, dil);
                desc.append(" relu");
                if (h >= 2 && w >= 2 && rnd.nextInt(2) == 0) {
                    int kind = rnd.nextInt(o.proportionalPooling() ? 5 : 3);
                    switch (kind) {
                        case 0 -> {
                            g.maxPool(2, 2);
                            ops.add(new MaxPoolOp(2, 2, 0));
                            h = poolOut(h, 2, 2, 0);
                            w = poolOut(w, 2, 2, 0);
                            desc.append(" maxpool2s2");
                        }
                        case 1 -> {
                            g.maxPool(2, 1);
                            ops.add(new MaxPoolOp(2, 1, 0));
                            h = poolOut(h, 2, 1, 0);
                            w = poolOut(w, 2, 1, 0);
                            desc.append(" maxpool2s1");
                        }
                        case 2 -> {
                            g.then(MaxPool2d.of(3, 2, 1));
                            ops.add(new MaxPoolOp(3, 2, 1));
                            h = poolOut(h, 3, 2, 1);
                            w = poolOut(w, 3, 2, 1);
                            desc.append(" maxpool3s2p1");
                        }
                        case 3 -> {
                            g.avgPool(2, 2);
                            ops.add(new AvgPoolOp(2, 2));
                            h = poolOut(h, 2, 2, 0);
                            w = poolOut(w, 2, 2, 0);
                            desc.append(" avgpool2s2");
                        }
                        default -> {
                            g.then(AvgPool2d.of(2, 1));
                            ops.add(new AvgPoolOp(2, 1));
                            h = poolOut(h, 2, 1, 0);
                            w = poolOut(w, 2, 1, 0);
                            desc.append(" avgpool2s1");
                        }
                    }
                }
                desc.append(" -> [").append(c).append(',').append(h).append(',').append(w).append(']');
            } else {
                if (d == 0) {
                    d = c * h * w;
                    g.flatten();
                    ops.add(new FlattenOp());
                    desc.append(" | flatten ").append(d);
                }
                int groups = 1 + rnd.nextInt(6);
                int k = 1 + rnd.nextInt(3);
                int out = groups * k;
                double[] wt = weights(rnd, o, out, d, false);
                double[] b = biases(rnd, o, out, last);
                ops.add(new DenseOp(d, out, wt, b));
                g.dense(name, Nd4j.create(wt, new long[]{d, out}, 'c'), vec(b)).relu();
                ops.add(new ReluOp());
                desc.append(String.format(Locale.ROOT, " | %s dense %d->%d relu", name, d, out));
                d = out;
                if (k > 1 && o.proportionalPooling()) {
                    g.sumPool(k);
                    ops.add(new SumPoolOp(k));
                    d = groups;
                    desc.append(" sumpool").append(k).append(" -> ").append(d);
                }
            }
        }
        if (d == 0) {
            d = c * h * w;
            g.flatten();
            ops.add(new FlattenOp());
            desc.append(" | flatten ").append(d);
        }
        int classes;
        if (head == Head.SUM_POOL) {
            g.sumPool(d);
            ops.add(new SumPoolOp(d));
            classes = 1;
            desc.append(" | sumpool to 1");
        } else {
            classes = 2 + rnd.nextInt(3);
            double[] wt = weights(rnd, o, classes, d, false);
            double[] b = biases(rnd, o, classes, false);
            ops.add(new DenseOp(d, classes, wt, b));
            g.dense("head", Nd4j.create(wt, new long[]{d, classes}, 'c'), vec(b));
            linear.add("head");
            desc.append(String.format(Locale.ROOT, " | head dense %d->%d", d, classes));
        }
        desc.append(" | bias ").append(o.bias()).append(o.dead() ? " (dead)" : "");

        double[] low = null;
        double[] high = null;
        int channels = inShape[0];
        int perSample = Arrays.stream(inShape).reduce(1, (a, b) -> a * b);
        double[] xs = new double[batch * perSample];
        switch (o.domain()) {
            case NON_NEGATIVE -> {
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = rnd.nextInt(7) == 0 ? 0 : 2 * rnd.nextDouble();
                }
            }
            case ANY -> {
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = rnd.nextInt(10) == 0 ? 0 : gaussian(rnd);
                }
            }
            case BOX -> {
                int nb = rnd.nextInt(2) == 0 ? 1 : channels;
                low = new double[nb];
                high = new double[nb];
                for (int j = 0; j < nb; j++) {
                    low[j] = rnd.nextInt(5) == 0 ? 0 : -2 * rnd.nextDouble();
                    high[j] = rnd.nextInt(5) == 0 ? 0 : 2 * rnd.nextDouble();
                }
                int area = perSample / channels;
                for (int i = 0; i < xs.length; i++) {
                    int ch = nb == 1 ? 0 : (i % perSample) / area;
                    int u = rnd.nextInt(10);
                    xs[i] = u == 0 ? low[ch] : u == 1 ? high[ch] : u == 2 ? 0
                            : low[ch] + (high[ch] - low[ch]) * rnd.nextDouble();
                }
                desc.append(" | box l=").append(Arrays.toString(low)).append(" h=").append(Arrays.toString(high));
            }
            default -> throw new IllegalStateException();
        }
        long[] xShape = new long[inShape.length + 1];
        xShape[0] = batch;
        for (int i = 0; i < inShape.length; i++) {
            xShape[i + 1] = inShape[i];
        }
        INDArray x = Nd4j.create(xs, xShape, 'c');
        desc.append(" | domain ").append(o.domain()).append(" | head ").append(head);
        return new Net(g.build(), List.copyOf(ops), inShape, x, low, high, classes, List.copyOf(linear),
                desc.toString());
    }

    static int convOut(int n, int k, int s, int p, int dil) {
        return Math.floorDiv(n + 2 * p - dil * (k - 1) - 1, s) + 1;
    }

    static int poolOut(int n, int k, int s, int p) {
        return Math.floorDiv(n + 2 * p - k, s) + 1;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * Gaussian weights with a positive mean drawn per layer (so deep nets stay alive), some exactly zero, but no
     * output without a nonzero incoming weight (a neuron that reads nothing is degenerate: w² could not
     * redistribute the relevance it receives from above).
     *
     * @param outs  outputs (dense) or output channels (conv)
     * @param fanIn inputs per output
     * @param conv  weight layout {@code [out][fanIn]} (conv) or {@code [fanIn][out]} (dense)
     */
    private static double[] weights(SplittableRandom rnd, Options o, int outs, int fanIn, boolean conv) {
        double mean = 0.6 * rnd.nextDouble();
        double scale = 1.5 / Math.sqrt(fanIn);
        double[] w = new double[outs * fanIn];
        for (int i = 0; i < w.length; i++) {
            w[i] = o.zeroWeights() && rnd.nextInt(20) == 0 ? 0 : (gaussian(rnd) + mean) * scale;
        }
        for (int j = 0; j < outs; j++) {
            boolean any = false;
            for (int i = 0; i < fanIn; i++) {
                any |= w[conv ? j * fanIn + i : i * outs + j] != 0;
            }
            if (!any) {
                int i = rnd.nextInt(fanIn);
                w[conv ? j * fanIn + i : i * outs + j] = scale;
            }
        }
        return w;
    }

    private static double[] biases(SplittableRandom rnd, Options o, int n, boolean lastHidden) {
        if (o.bias() == Bias.NONE) {
            return null;
        }
        double[] b = new double[n];
        for (int j = 0; j < n; j++) {
            if (o.dead() && lastHidden) {
                b[j] = -1000 - rnd.nextDouble();
            } else if (rnd.nextInt(5) == 0) {
                b[j] = 0;
            } else if (o.bias() == Bias.NON_POSITIVE) {
                b[j] = -0.3 * rnd.nextDouble();
            } else {
                b[j] = 0.5 * gaussian(rnd);
            }
        }
        return b;
    }

    private static INDArray vec(double[] b) {
        return b == null ? null : Nd4j.create(b, new long[]{b.length}, 'c');
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reference implementation

    /** Forward pass and input gradient with loops, sharing nothing with the library. */
    static final class Reference {
        private final List<Op> ops;
        private final int[] inShape;

        Reference(List<Op> ops, int[] inShape) {
            this.ops = ops;
            this.inShape = inShape;
        }

        /** {@return the outputs (logits) for one sample} @param x flat sample */
        double[] forward(double[] x) {
            return run(x, null);
        }

        /**
         * {@return ∂ logit_t / ∂ x for one sample} (subgradient: ReLU'(0) = 0, max-pool ties to the first in
         * row-major order)
         *
         * @param x flat sample
         * @param t class
         */
        double[] gradient(double[] x, int t) {
            List<double[]> inputs = new ArrayList<>();
            List<int[]> shapes = new ArrayList<>();
            double[] out = run(x, (v, s) -> {
                inputs.add(v);
                shapes.add(s);
            });
            double[] g = new double[out.length];
            g[t] = 1;
            for (int k = ops.size() - 1; k >= 0; k--) {
                g = backward(ops.get(k), inputs.get(k), shapes.get(k), g);
            }
            return g;
        }

        private interface Recorder {
            void record(double[] v, int[] shape);
        }

        private double[] run(double[] x, Recorder rec) {
            double[] v = x.clone();
            int[] s = inShape.clone();
            for (Op op : ops) {
                if (rec != null) {
                    rec.record(v, s);
                }
                int[][] shapeOut = new int[1][];
                v = forward(op, v, s, shapeOut);
                s = shapeOut[0];
            }
            return v;
        }

        private static double[] forward(Op op, double[] x, int[] s, int[][] shapeOut) {
            if (op instanceof DenseOp d) {
                double[] y = new double[d.out()];
                for (int j = 0; j < d.out(); j++) {
                    double z = 0;
                    for (int i = 0; i < d.in(); i++) {
                        z += x[i] * d.w()[i * d.out() + j];
                    }
                    y[j] = d.b() == null ? z : z + d.b()[j];
                }
                shapeOut[0] = new int[]{d.out()};
                return y;
            } else if (op instanceof ConvOp c) {
                int h = s[1];
                int w = s[2];
                int oh = convOut(h, c.k(), c.stride(), c.pad(), c.dil());
                int ow = convOut(w, c.k(), c.stride(), c.pad(), c.dil());
                double[] y = new double[c.cout() * oh * ow];
                for (int o = 0; o < c.cout(); o++) {
                    for (int r = 0; r < oh; r++) {
                        for (int q = 0; q < ow; q++) {
                            double z = c.b() == null ? 0 : c.b()[o];
                            for (int ci = 0; ci < c.cin(); ci++) {
                                for (int t = 0; t < c.k(); t++) {
                                    int ir = r * c.stride() - c.pad() + t * c.dil();
                                    if (ir < 0 || ir >= h) {
                                        continue;
                                    }
                                    for (int u = 0; u < c.k(); u++) {
                                        int iq = q * c.stride() - c.pad() + u * c.dil();
                                        if (iq < 0 || iq >= w) {
                                            continue;
                                        }
                                        z += x[(ci * h + ir) * w + iq] * c.w()[((o * c.cin() + ci) * c.k() + t) * c.k() + u];
                                    }
                                }
                            }
                            y[(o * oh + r) * ow + q] = z;
                        }
                    }
                }
                shapeOut[0] = new int[]{c.cout(), oh, ow};
                return y;
            } else if (op instanceof ReluOp) {
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    y[i] = Math.max(0, x[i]);
                }
                shapeOut[0] = s;
                return y;
            } else if (op instanceof SumPoolOp p) {
                double[] y = new double[x.length / p.k()];
                for (int i = 0; i < x.length; i++) {
                    y[i / p.k()] += x[i];
                }
                shapeOut[0] = new int[]{y.length};
                return y;
            } else if (op instanceof MaxPoolOp p) {
                int[] idx = maxIndices(p, x, s, shapeOut);
                double[] y = new double[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    y[i] = x[idx[i]];
                }
                return y;
            } else if (op instanceof AvgPoolOp p) {
                int ch = s[0];
                int h = s[1];
                int w = s[2];
                int oh = poolOut(h, p.k(), p.s(), 0);
                int ow = poolOut(w, p.k(), p.s(), 0);
                double[] y = new double[ch * oh * ow];
                for (int c = 0; c < ch; c++) {
                    for (int r = 0; r < oh; r++) {
                        for (int q = 0; q < ow; q++) {
                            double sum = 0;
                            for (int t = 0; t < p.k(); t++) {
                                for (int u = 0; u < p.k(); u++) {
                                    sum += x[(c * h + r * p.s() + t) * w + q * p.s() + u];
                                }
                            }
                            y[(c * oh + r) * ow + q] = sum / (p.k() * p.k());
                        }
                    }
                }
                shapeOut[0] = new int[]{ch, oh, ow};
                return y;
            } else if (op instanceof FlattenOp) {
                shapeOut[0] = new int[]{x.length};
                return x.clone();
            }
            throw new IllegalStateException(op.toString());
        }

        /** {@return for each output of a max pooling, the flat index of its first maximal input} */
        private static int[] maxIndices(MaxPoolOp p, double[] x, int[] s, int[][] shapeOut) {
            int ch = s[0];
            int h = s[1];
            int w = s[2];
            int oh = poolOut(h, p.k(), p.s(), p.p());
            int ow = poolOut(w, p.k(), p.s(), p.p());
            int[] idx = new int[ch * oh * ow];
            for (int c = 0; c < ch; c++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        int best = -1;
                        for (int t = 0; t < p.k(); t++) {
                            int ir = r * p.s() - p.p() + t;
                            if (ir < 0 || ir >= h) {
                                continue;
                            }
                            for (int u = 0; u < p.k(); u++) {
                                int iq = q * p.s() - p.p() + u;
                                if (iq < 0 || iq >= w) {
                                    continue;
                                }
                                int i = (c * h + ir) * w + iq;
                                if (best < 0 || x[i] > x[best]) {
                                    best = i;
                                }
                            }
                        }
                        idx[(c * oh + r) * ow + q] = best;
                    }
                }
            }
            shapeOut[0] = new int[]{ch, oh, ow};
            return idx;
        }

        private static double[] backward(Op op, double[] x, int[] s, double[] g) {
            double[] gx = new double[x.length];
            if (op instanceof DenseOp d) {
                for (int i = 0; i < d.in(); i++) {
                    double acc = 0;
                    for (int j = 0; j < d.out(); j++) {
                        acc += d.w()[i * d.out() + j] * g[j];
                    }
                    gx[i] = acc;
                }
            } else if (op instanceof ConvOp c) {
                int h = s[1];
                int w = s[2];
                int oh = convOut(h, c.k(), c.stride(), c.pad(), c.dil());
                int ow = convOut(w, c.k(), c.stride(), c.pad(), c.dil());
                for (int o = 0; o < c.cout(); o++) {
                    for (int r = 0; r < oh; r++) {
                        for (int q = 0; q < ow; q++) {
                            double go = g[(o * oh + r) * ow + q];
                            for (int ci = 0; ci < c.cin(); ci++) {
                                for (int t = 0; t < c.k(); t++) {
                                    int ir = r * c.stride() - c.pad() + t * c.dil();
                                    if (ir < 0 || ir >= h) {
                                        continue;
                                    }
                                    for (int u = 0; u < c.k(); u++) {
                                        int iq = q * c.stride() - c.pad() + u * c.dil();
                                        if (iq < 0 || iq >= w) {
                                            continue;
                                        }
                                        gx[(ci * h + ir) * w + iq] += go
                                                * c.w()[((o * c.cin() + ci) * c.k() + t) * c.k() + u];
                                    }
                                }
                            }
                        }
                    }
                }
            } else if (op instanceof ReluOp) {
                for (int i = 0; i < x.length; i++) {
                    gx[i] = x[i] > 0 ? g[i] : 0;
                }
            } else if (op instanceof SumPoolOp p) {
                for (int i = 0; i < x.length; i++) {
                    gx[i] = g[i / p.k()];
                }
            } else if (op instanceof MaxPoolOp p) {
                int[] idx = maxIndices(p, x, s, new int[1][]);
                for (int i = 0; i < idx.length; i++) {
                    gx[idx[i]] += g[i];
                }
            } else if (op instanceof AvgPoolOp p) {
                int ch = s[0];
                int h = s[1];
                int w = s[2];
                int oh = poolOut(h, p.k(), p.s(), 0);
                int ow = poolOut(w, p.k(), p.s(), 0);
                for (int c = 0; c < ch; c++) {
                    for (int r = 0; r < oh; r++) {
                        for (int q = 0; q < ow; q++) {
                            double go = g[(c * oh + r) * ow + q] / (p.k() * p.k());
                            for (int t = 0; t < p.k(); t++) {
                                for (int u = 0; u < p.k(); u++) {
                                    gx[(c * h + r * p.s() + t) * w + q * p.s() + u] += go;
                                }
                            }
                        }
                    }
                }
            } else if (op instanceof FlattenOp) {
                return g.clone();
            } else {
                throw new IllegalStateException(op.toString());
            }
            return gx;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Small helpers for the properties

    /** {@return Σ over all but the batch axis, per batch element, in double} @param a {@code [N, ...]} */
    static double[] perSample(INDArray a) {
        long n = a.size(0);
        double[] flat = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int per = (int) (flat.length / n);
        double[] s = new double[(int) n];
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = 0; j < per; j++) {
                acc += flat[i * per + j];
            }
            s[i] = acc;
        }
        return s;
    }

    /** {@return batch element n of a as a flat double array} @param a {@code [N, ...]} @param n index */
    static double[] row(INDArray a, int n) {
        double[] flat = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int per = (int) (flat.length / a.size(0));
        return Arrays.copyOfRange(flat, n * per, (n + 1) * per);
    }

    /** {@return every element of a, C order, as doubles} @param a any array */
    static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /** A running maximum that property lambdas can update (for reporting how close a bound came). */
    static final class AtomicMax {
        private final java.util.concurrent.atomic.AtomicLong bits = new java.util.concurrent.atomic.AtomicLong();

        void max(double v) {
            bits.updateAndGet(b -> Double.doubleToLongBits(Math.max(Double.longBitsToDouble(b), v)));
        }

        double getAndReset() {
            return Double.longBitsToDouble(bits.getAndSet(0));
        }
    }
}
