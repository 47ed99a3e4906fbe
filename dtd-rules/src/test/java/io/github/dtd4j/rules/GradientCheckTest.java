package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static io.github.dtd4j.rules.ApiTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The vector-Jacobian products of every layer kind ({@code internal/Gradients}), checked through the public API
 * against central finite differences of the model's own forward pass: with {@link Propagations#gradient()} on every
 * node and a one-hot start relevance at class c, the input relevance is {@code ∂f_c/∂x}. A central difference is
 * exact up to rounding for the piecewise linear layers, and within O(h²) for the smooth ones (sigmoid, GELU,
 * products, quotients), wherever no ReLU, clip or max-pooling window switches within ±h; a coordinate where one does
 * (a kink) is recognised from the forward pass alone — its forward and backward one-sided differences disagree by
 * far more than curvature explains — and skipped (few are: inputs are continuous random values). A wrong vjp does
 * not make one-sided differences disagree, so skipping hides nothing.
 */
class GradientCheckTest {
    private static final double H = 1e-6;
    private static final double REL = 1e-6;

    private static Conv2d conv(SplittableRandom rnd, int out, int inPerGroup, int kh, int kw) {
        return Conv2d.of(gaussian(rnd, 0.5, out, inPerGroup, kh, kw), gaussian(rnd, 0.1, out));
    }

    private static Dense dense(SplittableRandom rnd, long in, long out) {
        return Dense.of(gaussian(rnd, 1 / Math.sqrt(in), in, out), gaussian(rnd, 0.1, out));
    }

    /** A network, the kinds it is meant to exercise, and its input. */
    record Net(String name, Graph graph, INDArray x, BatchNormMode batchNorm) {
        @Override
        public String toString() {
            return name + " (" + batchNorm + ")";
        }
    }

    /**
     * Convolution geometries: channel groups with stride (2,1), asymmetric padding and dilation 2; a stride whose
     * last window stops short of the padded input; a strided 1×1 convolution; BatchNorm on images.
     */
    static Net convolutions(BatchNormMode mode) {
        SplittableRandom rnd = new SplittableRandom(11);
        Graph g = Graph.builder(Shape.of(2, 9, 8))
                .add("c1", new Conv2d(gaussian(rnd, 0.5, 4, 1, 3, 3), gaussian(rnd, 0.1, 4), 2, 1, 1, 0, 2, 1, 2, 2,
                        2), "input")                                                  // [4,4,5]
                .add("bn1", ApiTestSupport.batchNorm(rnd, 4), "c1")
                .add("r1", new Relu(), "bn1")
                .add("c2", conv(rnd, 6, 4, 3, 3).withStride(2).withPadding(1), "r1")  // [6,2,3], 4+2-3 odd
                .add("r2", new Relu(), "c2")
                .add("c3", conv(rnd, 3, 6, 1, 1).withStride(2), "r2")                 // [3,1,2]
                .add("flat", new Flatten(), "c3")
                .add("fc", dense(rnd, 6, 3), "flat")
                .build();
        return new Net("convolutions", g, gaussian(rnd, 1, 2, 2, 9, 8), mode);
    }

    /**
     * Depthwise convolution; max-pooling overlapping with symmetric padding and with asymmetric padding on a signed
     * input; average pooling with and without count_include_pad on padded windows, and with asymmetric padding;
     * concatenation along channels.
     */
    static Net pools() {
        SplittableRandom rnd = new SplittableRandom(12);
        Graph g = Graph.builder(Shape.of(3, 8, 8))
                .add("dw", conv(rnd, 3, 1, 3, 3).withPadding(1).withGroups(3), "input")  // [3,8,8], signed
                .add("mp1", new MaxPool2d(3, 3, 2, 2, 1, 1, 1, 1), "dw")                 // [3,4,4]
                .add("mp2", new MaxPool2d(2, 2, 1, 1, 0, 1, 1, 0), "mp1")                // [3,4,4]
                .add("r", new Relu(), "mp2")
                .add("avgIn", new AvgPool2d(3, 3, 2, 2, 1, 1, 1, 1, true), "mp2")         // [3,2,2]
                .add("avgEx", new AvgPool2d(3, 3, 2, 2, 1, 1, 1, 1, false), "r")          // [3,2,2]
                .add("cat", Concat.channels(), "avgIn", "avgEx")                         // [6,2,2]
                .add("avgAsym", new AvgPool2d(2, 3, 1, 2, 0, 1, 1, 2, false), "cat")      // [6,2,2]
                .add("flat", new Flatten(), "avgAsym")
                .add("fc", dense(rnd, 24, 3), "flat")
                .build();
        return new Net("pools", g, gaussian(rnd, 1, 2, 3, 8, 8), BatchNormMode.BYPASS);
    }

    /** Adaptive pooling to sizes that do and do not divide the input, global average pooling, concatenated vectors. */
    static Net adaptive() {
        SplittableRandom rnd = new SplittableRandom(13);
        Graph g = Graph.builder(Shape.of(2, 7, 8))
                .add("c", conv(rnd, 3, 2, 1, 1), "input")
                .add("r", new Relu(), "c")
                .add("a33", new AdaptiveAvgPool2d(3, 3), "r")     // 7/3, 8/3: uneven bins
                .add("a74", new AdaptiveAvgPool2d(7, 4), "c")     // 7/7, 8/4: a plain average pooling
                .add("gap", new GlobalAvgPool(), "c")
                .add("f1", new Flatten(), "a33")
                .add("f2", new Flatten(), "a74")
                .add("f3", new Flatten(), "gap")
                .add("cat", Concat.channels(), "f1", "f2", "f3")  // 27 + 84 + 3
                .add("fc", dense(rnd, 114, 4), "cat")
                .build();
        return new Net("adaptive", g, gaussian(rnd, 1, 2, 2, 7, 8), BatchNormMode.BYPASS);
    }

    /** Vectors: BatchNorm on [N,C], sum pooling, dropout, identity, reshapes, a custom layer with a vjp. */
    static Net vectors(BatchNormMode mode) {
        SplittableRandom rnd = new SplittableRandom(14);
        Graph g = Graph.sequential(12)
                .then("d1", dense(rnd, 12, 8))
                .then("bn", ApiTestSupport.batchNorm(rnd, 8))
                .then("r", new Relu())
                .then("sum", new SumPool(2))
                .then("drop", new Dropout(0.5))
                .then("id", new Identity())
                .then("scale", new CustomLayerRuleTest.Scale(-1.5))
                .then("reshape", new Reshape(Shape.of(1, 2, 2)))
                .then("flat", new Flatten())
                .then("d2", dense(rnd, 4, 3))
                .build();
        return new Net("vectors", g, gaussian(rnd, 1, 3, 12), mode);
    }

    /**
     * Fan-out and joins: a three-input Add (the stem read by it and by two convolutions), concatenation along the
     * height and along the width, a node read twice by the same concatenation.
     */
    static Net joins() {
        SplittableRandom rnd = new SplittableRandom(15);
        Graph g = Graph.builder(Shape.of(2, 6, 6))
                .add("stem", conv(rnd, 3, 2, 3, 3).withPadding(1), "input")
                .add("stem.relu", new Relu(), "stem")
                .add("a", conv(rnd, 3, 3, 3, 3).withPadding(1), "stem.relu")
                .add("b", conv(rnd, 3, 3, 1, 1), "stem.relu")
                .add("add", new Add(), "stem.relu", "a", "b")
                .add("relu", new Relu(), "add")
                .add("catH", new Concat(1), "relu", "stem")           // [3,12,6]
                .add("catW", new Concat(2), "catH", "catH")           // [3,12,12], read twice
                .add("pool", MaxPool2d.of(2, 2), "catW")              // [3,6,6]
                .add("gap", new GlobalAvgPool(), "pool")
                .add("flat", new Flatten(), "gap")
                .add("fc", dense(rnd, 3, 3), "flat")
                .build();
        return new Net("joins", g, gaussian(rnd, 1, 2, 2, 6, 6), BatchNormMode.BYPASS);
    }

    /** Every element-wise activation, each on its own branch of one convolution's output, concatenated. */
    static Net activations() {
        SplittableRandom rnd = new SplittableRandom(17);
        GraphBuilder b = Graph.builder(Shape.of(2, 3, 3)).add("c", conv(rnd, 2, 2, 1, 1), "input");
        List<io.github.dtd4j.graph.Activation> all = List.of(io.github.dtd4j.graph.Activation.relu6(),
                io.github.dtd4j.graph.Activation.clip(-0.3, 0.4), io.github.dtd4j.graph.Activation.leakyRelu(0.2),
                io.github.dtd4j.graph.Activation.elu(0.7), io.github.dtd4j.graph.Activation.sigmoid(),
                io.github.dtd4j.graph.Activation.hardSigmoid(0.2, 0.5), io.github.dtd4j.graph.Activation.hardSwish(),
                io.github.dtd4j.graph.Activation.tanh(), io.github.dtd4j.graph.Activation.gelu(),
                io.github.dtd4j.graph.Activation.silu());
        String[] names = new String[all.size()];
        for (int i = 0; i < all.size(); i++) {
            names[i] = "a" + i;
            b.add(names[i], all.get(i), "c");
        }
        Graph g = b.add("cat", Concat.channels(), names)
                .add("flat", new Flatten(), "cat")
                .add("fc", dense(rnd, 2L * 9 * all.size(), 3), "flat")
                .build();
        // scaled so that the inputs of the activations reach their bends (|x| up to ~4)
        return new Net("activations", g, gaussian(rnd, 3, 2, 2, 3, 3), BatchNormMode.BYPASS);
    }

    /** Squeeze-and-excitation gate, products, a division, permutations, strided slices (a random modern net). */
    static Net modern() {
        Graph g = ModernLayersReferenceTest.net(4);
        return new Net("modern", g, ModernLayersReferenceTest.input(4, g), BatchNormMode.BYPASS);
    }

    /** Channels-last blocks: LayerNorm, Dense along the last axis of [H,W,C], GELU, a layer scale (ConvNeXt-like). */
    static Net convNext() {
        Graph g = ModernLayersReferenceTest.convNextNet(3);
        return new Net("convnext", g, ModernLayersReferenceTest.input(3, g), BatchNormMode.BYPASS);
    }

    /** Attention: class token, position embedding, MatMul of activations, Softmax (a ViT-like net). */
    static Net vit() {
        Graph g = ModernLayersReferenceTest.vitNet(2);
        return new Net("vit", g, ModernLayersReferenceTest.input(2, g), BatchNormMode.BYPASS);
    }

    static Stream<Arguments> nets() {
        return Stream.of(convolutions(BatchNormMode.BYPASS), convolutions(BatchNormMode.AFFINE),
                convolutions(BatchNormMode.FOLD), pools(), adaptive(), vectors(BatchNormMode.BYPASS),
                vectors(BatchNormMode.AFFINE), joins(), activations(), modern(), convNext(), vit()).map(Arguments::of);
    }

    /**
     * The finite-difference Jacobian of the logits, {@code [N][K][D]}, from one forward pass of a batch holding
     * x and x ± h·e_i for every sample and coordinate; NaN where the coordinate sits at a kink.
     */
    private static double[][][] finiteDifferences(Explainer ex, INDArray x) {
        int n = (int) x.size(0);
        int d = (int) (x.length() / n);
        long[] shape = x.shape();
        double[] xs = values(x);
        double[] batch = new double[n * (2 * d + 1) * d];
        for (int s = 0; s < n; s++) {
            for (int row = 0; row < 2 * d + 1; row++) {
                int base = (s * (2 * d + 1) + row) * d;
                System.arraycopy(xs, s * d, batch, base, d);
                if (row > 0) {
                    batch[base + (row - 1) / 2] += (row % 2 == 1 ? H : -H);
                }
            }
        }
        long[] bshape = shape.clone();
        bshape[0] = (long) n * (2 * d + 1);
        double[] y = values(ex.forward(Nd4j.create(batch, bshape, DataType.DOUBLE)));
        int k = y.length / (n * (2 * d + 1));
        double[][][] jac = new double[n][k][d];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < k; c++) {
                double f0 = y[(s * (2 * d + 1)) * k + c];
                for (int i = 0; i < d; i++) {
                    double plus = y[(s * (2 * d + 1) + 1 + 2 * i) * k + c];
                    double minus = y[(s * (2 * d + 1) + 2 + 2 * i) * k + c];
                    double fwd = (plus - f0) / H;
                    double bwd = (f0 - minus) / H;
                    double central = (plus - minus) / (2 * H);
                    // a kink changes the slope by O(1) within ±h; curvature (sigmoid, products, quotients) only by O(h·f'')
                    boolean kink = Math.abs(fwd - bwd) > 1e-4 * Math.max(1, Math.abs(central));
                    jac[s][c][i] = kink ? Double.NaN : central;
                }
            }
        }
        return jac;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nets")
    void gradientRuleEqualsFiniteDifferences(Net net) {
        Graph g = net.graph();
        INDArray x = net.x();
        Explainer ex = Explainer.of(g).precision(Precision.FLOAT64).batchNorm(net.batchNorm())
                .rule(Propagations.gradient());
        // the same rule given to the linear nodes through an explicit all() selector changes nothing
        Explainer viaAll = Explainer.of(g).precision(Precision.FLOAT64).batchNorm(net.batchNorm())
                .rule(Selector.all(), Propagations.gradient());
        for (Node node : ex.compiledGraph().nodes()) {
            assertThat(ex.coverage().propagationOf(node.name())).as(node.name()).isEqualTo("gradient");
        }
        double[][][] jac = finiteDifferences(ex, x);
        int n = jac.length;
        int k = jac[0].length;
        int d = jac[0][0].length;
        int kinks = 0;
        for (int c = 0; c < k; c++) {
            INDArray oneHot = Nd4j.zeros(DataType.DOUBLE, n, k);
            for (int s = 0; s < n; s++) {
                oneHot.putScalar(s, c, 1.0);
            }
            double[] grad = values(ex.explain(x, Start.relevance(oneHot)).inputRelevance());
            ApiTestSupport.assertSameValues(net + ", class " + c + ": all() selector",
                    viaAll.explain(x, Start.relevance(oneHot)).inputRelevance(),
                    ex.explain(x, Start.relevance(oneHot)).inputRelevance());
            for (int s = 0; s < n; s++) {
                double scale = 0;
                for (int i = 0; i < d; i++) {
                    scale = Math.max(scale, Math.abs(grad[s * d + i]));
                }
                assertThat(scale).as("%s, class %d, sample %d: a gradient that is not all zero", net, c, s)
                        .isPositive();
                for (int i = 0; i < d; i++) {
                    double fd = jac[s][c][i];
                    if (Double.isNaN(fd)) {
                        kinks++;
                        continue;
                    }
                    double got = grad[s * d + i];
                    if (!(Math.abs(got - fd) <= REL * scale)) {
                        throw new AssertionError(net + ", class " + c + ", sample " + s + ", input " + i
                                + ": vjp " + got + ", finite difference " + fd + " (max |grad| " + scale + ")");
                    }
                }
            }
        }
        assertThat(kinks).as("%s: coordinates skipped at kinks", net).isLessThanOrEqualTo(n * k * d / 20);
    }

    @Test
    void theNetworksCoverEveryLayerKindWithAVjp() {
        Set<String> kinds = new TreeSet<>();
        nets().forEach(a -> ((Net) a.get()[0]).graph().nodes().forEach(nd -> kinds.add(nd.kind())));
        assertThat(kinds).contains("Dense", "Conv2d", "Relu", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
                "GlobalAvgPool", "SumPool", "BatchNorm", "Add", "Concat", "Flatten", "Reshape", "Dropout", "Identity",
                "Scale", "ReLU6", "Clip", "LeakyRelu", "Elu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu",
                "SiLU", "Mul", "Div", "Permute", "Slice", "LayerNorm", "ConstantMul", "ConstantAdd", "ConstantConcat",
                "MatMul", "Softmax");
    }

    @Test
    void localResponseNormHasNoVjpAndSaysSo() {
        SplittableRandom rnd = new SplittableRandom(16);
        GraphBuilder b = Graph.builder(Shape.of(3, 4, 4))
                .add("c", conv(rnd, 4, 3, 3, 3).withPadding(1), "input")
                .add("lrn", new LocalResponseNorm(3, 1e-4, 0.75, 2), "c")
                .add("flat", new Flatten(), "lrn")
                .add("fc", dense(rnd, 64, 2), "flat");
        Explainer ex = Explainer.of(b.build()).precision(Precision.FLOAT64).rule(Propagations.gradient());
        INDArray x = gaussian(rnd, 1, 1, 3, 4, 4);
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(Nd4j.create(new double[][]{{1, 0}}))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("LocalResponseNorm")
                .hasMessageContaining("vector-Jacobian");
        // the default for LocalResponseNorm (bypass) needs none
        Layer lrn = ex.compiledGraph().node("lrn").orElseThrow().layer();
        assertThat(lrn).isInstanceOf(LocalResponseNorm.class);
        assertThat(Explainer.of(b.build()).precision(Precision.FLOAT64).rule(Rules.LRP_0).explain(x).inputRelevance()
                .shape()).containsExactly(1, 3, 4, 4);
    }
}
