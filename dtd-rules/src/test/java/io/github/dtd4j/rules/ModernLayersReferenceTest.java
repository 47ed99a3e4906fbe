package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Mul;
import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.Slice;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The layers of modern architectures (docs/conventions.md#activations, #products, #routing) against the loop
 * reference ({@link ReferenceModern} inside {@link ReferenceGraph}), in float64 to 1e-10, on random networks of
 * random shapes: activations other than ReLU, a squeeze-and-excitation gate, a product of two signals, a division
 * by a gate, permutations (channels-last and back, a channel shuffle) and strided multi-axis slices and a channel
 * split. Conservation with biases ignored holds to rounding, and the gate's branch receives no relevance.
 */
class ModernLayersReferenceTest {
    private static final List<Activation> ACTIVATIONS = List.of(Activation.relu6(), Activation.leakyRelu(0.1),
            Activation.elu(1.0), Activation.hardSwish(), Activation.gelu(), Activation.silu(), Activation.tanh(),
            Activation.clip(-0.5, 0.5));

    private static Conv2d conv(SplittableRandom rnd, int out, int in, int k) {
        return Conv2d.of(gaussian(rnd, 0.5, out, in, k, k), gaussian(rnd, 0.1, out)).withPadding(k / 2);
    }

    /** A random network with every new kind; its input shape [3,H,W] and channel count vary with the seed. */
    static Graph net(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int c = 2 * (1 + rnd.nextInt(3));
        int h = 4 + rnd.nextInt(4);
        int w = 4 + rnd.nextInt(4);
        int hs = (h - 0 + 1) / 2;
        int ws = (w - 1 + 1) / 2;
        Activation act = ACTIVATIONS.get(rnd.nextInt(ACTIVATIONS.size()));
        Activation gate = rnd.nextBoolean() ? Activation.sigmoid() : Activation.hardSigmoid(1 / 6.0, 0.5);
        return Graph.builder(Shape.of(3, h, w))
                .add("c1", conv(rnd, c, 3, 3), "input")
                .add("act", act, "c1")
                .add("se.pool", new GlobalAvgPool(), "act")
                .add("se.fc1", conv(rnd, 2, c, 1), "se.pool")
                .add("se.relu", new Relu(), "se.fc1")
                .add("se.fc2", conv(rnd, c, 2, 1), "se.relu")
                .add("se.gate", gate, "se.fc2")
                .add("scale", Mul.gated(1), "act", "se.gate")
                .add("last", new Permute(new int[]{1, 2, 0}), "scale")                          // [h,w,c]
                .add("sub", new Slice(new int[]{0, 1}, new long[]{0, 1}, new long[]{h, w}, new long[]{2, 2}), "last")
                .add("first", new Permute(new int[]{2, 0, 1}), "sub")                          // [c,hs,ws]
                .add("shuf.r", new Reshape(Shape.of(2, c / 2, hs, ws)), "first")
                .add("shuf.t", new Permute(new int[]{1, 0, 2, 3}), "shuf.r")
                .add("shuf.b", new Reshape(Shape.of(c, hs, ws)), "shuf.t")
                .add("half.a", Slice.of(0, 0, c / 2), "shuf.b")
                .add("half.b", Slice.of(0, c / 2, c), "shuf.b")
                .add("prod", Mul.product(), "half.a", "half.b")
                .add("sig", Activation.sigmoid(), "half.b")
                .add("div", Mul.divideByGate(), "half.a", "sig")
                .add("cat", Concat.channels(), "prod", "div")                                  // [c,hs,ws]
                .add("flat", new Flatten(), "cat")
                .add("fc", Dense.of(gaussian(rnd, 0.5, (long) c * hs * ws, 4), gaussian(rnd, 0.1, 4)), "flat")
                .build();
    }

    /**
     * A ConvNeXt-like network: a patchifying convolution, then a block that works channels-last — a depthwise 3×3
     * convolution, Permute to [H,W,C], LayerNorm over C, Dense C→2C along the last axis, GELU, Dense 2C→C, Permute
     * back, a layer scale (ConstantMul [C,1,1]) — added to its input, then a channels-first LayerNorm (Permute,
     * LayerNorm, Permute) and global pooling.
     */
    static Graph convNextNet(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int c = 2 + rnd.nextInt(3);
        int side = 4 + 2 * rnd.nextInt(2);
        INDArray scale = gaussian(rnd, 0.5, c, 1, 1);
        return Graph.builder(Shape.of(3, side, side))
                .add("stem", Conv2d.of(gaussian(rnd, 0.5, c, 3, 2, 2), gaussian(rnd, 0.1, c)).withStride(2), "input")
                .add("dw", Conv2d.of(gaussian(rnd, 0.5, c, 1, 3, 3), gaussian(rnd, 0.1, c)).withPadding(1)
                        .withGroups(c), "stem")
                .add("last", new Permute(new int[]{1, 2, 0}), "dw")
                .add("norm", new io.github.dtd4j.graph.LayerNorm(gaussian(rnd, 0.3, c).addi(1), gaussian(rnd, 0.1, c),
                        1e-6), "last")
                .add("pw1", Dense.of(gaussian(rnd, 0.5, c, 2L * c), gaussian(rnd, 0.1, 2L * c)), "norm")
                .add("gelu", Activation.gelu(), "pw1")
                .add("pw2", Dense.of(gaussian(rnd, 0.5, 2L * c, c), gaussian(rnd, 0.1, c)), "gelu")
                .add("first", new Permute(new int[]{2, 0, 1}), "pw2")
                .add("layerScale", new io.github.dtd4j.graph.ConstantMul(scale), "first")
                .add("residual", new io.github.dtd4j.graph.Add(), "stem", "layerScale")
                .add("ln2d.in", new Permute(new int[]{1, 2, 0}), "residual")
                .add("ln2d", new io.github.dtd4j.graph.LayerNorm(gaussian(rnd, 0.3, c).addi(1), null, 1e-6), "ln2d.in")
                .add("ln2d.out", new Permute(new int[]{2, 0, 1}), "ln2d")
                .add("pool", new GlobalAvgPool(), "ln2d.out")
                .add("flat", new Flatten(), "pool")
                .add("head", Dense.of(gaussian(rnd, 0.5, c, 3), gaussian(rnd, 0.1, 3)), "flat")
                .build();
    }

    /**
     * A vision-transformer-like network: patches from a strided convolution, tokens {@code [T,D]}, a class token put
     * before them (ConstantConcat) and a position embedding added (ConstantAdd), one encoder block — LayerNorm,
     * multi-head self-attention written out as a packed projection, slices, head split (Reshape, Permute), a scale,
     * Q·Kᵀ and A·V (MatMul), Softmax, heads merged, out-projection; a residual; LayerNorm, MLP with GELU; a residual
     * — then the class token's features (Slice, Reshape) into a linear head.
     */
    static Graph vitNet(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int heads = 1 + rnd.nextInt(2);
        int width = 2 + rnd.nextInt(2);
        int d = heads * width;
        int patch = 2;
        int side = 4 + 2 * rnd.nextInt(2);
        int t = (side / patch) * (side / patch);
        return Graph.builder(Shape.of(3, side, side))
                .add("patches", Conv2d.of(gaussian(rnd, 0.5, d, 3, patch, patch), gaussian(rnd, 0.1, d))
                        .withStride(patch), "input")
                .add("flat", new Reshape(Shape.of(d, t)), "patches")
                .add("tokens", new Permute(new int[]{1, 0}), "flat")
                .add("cls", new io.github.dtd4j.graph.ConstantConcat(0, gaussian(rnd, 0.5, 1, d), true), "tokens")
                .add("pos", new io.github.dtd4j.graph.ConstantAdd(gaussian(rnd, 0.3, t + 1, d)), "cls")
                .add("ln1", new io.github.dtd4j.graph.LayerNorm(gaussian(rnd, 0.3, d).addi(1), gaussian(rnd, 0.1, d),
                        1e-6), "pos")
                .add("qkv", Dense.of(gaussian(rnd, 0.5, d, 3L * d), gaussian(rnd, 0.1, 3L * d)), "ln1")
                .add("q", Slice.of(1, 0, d), "qkv")
                .add("k", Slice.of(1, d, 2L * d), "qkv")
                .add("v", Slice.of(1, 2L * d, 3L * d), "qkv")
                .add("q.h", new Reshape(Shape.of(t + 1, heads, width)), "q")
                .add("q.p", new Permute(new int[]{1, 0, 2}), "q.h")
                .add("q.s", new io.github.dtd4j.graph.ConstantMul(Nd4j.scalar(1 / Math.sqrt(width))), "q.p")
                .add("k.h", new Reshape(Shape.of(t + 1, heads, width)), "k")
                .add("k.p", new Permute(new int[]{1, 2, 0}), "k.h")
                .add("v.h", new Reshape(Shape.of(t + 1, heads, width)), "v")
                .add("v.p", new Permute(new int[]{1, 0, 2}), "v.h")
                .add("scores", new io.github.dtd4j.graph.MatMul(), "q.s", "k.p")
                .add("softmax", new io.github.dtd4j.graph.Softmax(), "scores")
                .add("mixed", new io.github.dtd4j.graph.MatMul(), "softmax", "v.p")
                .add("merged.p", new Permute(new int[]{1, 0, 2}), "mixed")
                .add("merged", new Reshape(Shape.of(t + 1, d)), "merged.p")
                .add("out", Dense.of(gaussian(rnd, 0.5, d, d), gaussian(rnd, 0.1, d)), "merged")
                .add("res1", new io.github.dtd4j.graph.Add(), "pos", "out")
                .add("ln2", new io.github.dtd4j.graph.LayerNorm(gaussian(rnd, 0.3, d).addi(1), gaussian(rnd, 0.1, d),
                        1e-6), "res1")
                .add("mlp1", Dense.of(gaussian(rnd, 0.5, d, 2L * d), gaussian(rnd, 0.1, 2L * d)), "ln2")
                .add("gelu", Activation.gelu(), "mlp1")
                .add("mlp2", Dense.of(gaussian(rnd, 0.5, 2L * d, d), gaussian(rnd, 0.1, d)), "gelu")
                .add("res2", new io.github.dtd4j.graph.Add(), "res1", "mlp2")
                .add("token0", Slice.of(0, 0, 1), "res2")
                .add("features", new Reshape(Shape.of(d)), "token0")
                .add("head", Dense.of(gaussian(rnd, 0.5, d, 3), gaussian(rnd, 0.1, 3)), "features")
                .build();
    }

    @Test
    void attentionBlocksEqualTheLoopReference() {
        for (long seed = 1; seed <= 8; seed++) {
            Graph g = vitNet(seed);
            INDArray x = input(seed, g);
            for (SumSplit split : SumSplit.values()) {
                // ε on every dense layer (the usual choice for transformers), z^B on the patches
                Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                        .rule(Selector.kind(Dense.class), Rules.epsilon(0.01)).precision(Precision.FLOAT64);
                ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(g, 0, 1).withPositiveSplit(split == SumSplit.POSITIVE);
                for (String n : List.of("qkv", "out", "mlp1", "mlp2", "head")) {
                    s = s.withRule(n, new ReferenceLrp.Epsilon(0.01));
                }
                try (Explanation e = ex.explain(x)) {
                    // (the positive split can leave nothing to split at a residual sum of negative tokens)
                    ReferenceGraph.assertAgrees("vit seed " + seed + ", " + split, e.inputRelevance(),
                            ReferenceGraph.inputRelevance(g, x, e.targets(), s), 1e-10, split != SumSplit.POSITIVE);
                    // the ledger books what the constants, the softmax's zero-order term and the stabilizer took
                    for (double imbalance : e.ledger().imbalance()) {
                        assertThat(Math.abs(imbalance)).as("vit seed %d: ledger imbalance", seed)
                                .isLessThan(1e-9 * Math.max(1, Math.abs(e.ledger().start()[0])));
                    }
                }
            }
            // biases ignored: the position embedding is left out of its denominator too (the class token, which has
            // no input to give its relevance to, still absorbs it)
            Explainer ignored = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).biasPolicy(BiasPolicy.IGNORE)
                    .rule(Selector.kind(Dense.class), Rules.epsilon(0.01)).precision(Precision.FLOAT64);
            ReferenceGraph.Setup si = ReferenceGraph.Setup.dtd(g, 0, 1).withIgnoreBias(true);
            for (String n : List.of("qkv", "out", "mlp1", "mlp2", "head")) {
                si = si.withRule(n, new ReferenceLrp.Epsilon(0.01));
            }
            try (Explanation e = ignored.explain(x)) {
                ReferenceGraph.assertAgrees("vit seed " + seed + ", biases ignored", e.inputRelevance(),
                        ReferenceGraph.inputRelevance(g, x, e.targets(), si), 1e-10, true);
            }
            assertThat(ignored.coverage().propagationOf("pos")).isEqualTo("constant (ignored: bias policy)");
            Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)));
            assertThat(ex.coverage().propagationOf("scores")).isEqualTo("uniform (half each)");
            assertThat(ex.coverage().propagationOf("mixed")).isEqualTo("uniform (half each)");
            assertThat(ex.coverage().propagationOf("softmax")).isEqualTo("softmax (Taylor at x)");
            assertThat(ex.coverage().propagationOf("cls")).isEqualTo("constant (absorbs its share)");
            assertThat(ex.coverage().propagationOf("pos")).isEqualTo("constant (absorbs its share)");
        }
    }

    @Test
    void oneSampleAtATimeLeavesTheConstantsAsTheyWere() {
        // at batch 1 a broadcast constant has the shape of the activation: a rule or forward pass that wrote into
        // it would change the model (the position embedding of the next explanation)
        Graph g = vitNet(5);
        INDArray x = input(5, g).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)).dup();
        List<INDArray> before = g.nodes().stream().flatMap(n -> Graph.parameters(n.layer()).stream())
                .map(INDArray::dup).toList();
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)))
                .rule(Selector.kind(Dense.class), Rules.epsilon(0.01)).precision(Precision.FLOAT64);
        INDArray first;
        try (Explanation e = ex.explain(x)) {
            first = e.inputRelevance().dup();
            assertThat(Math.abs(e.ledger().imbalance()[0])).isLessThan(1e-9 * Math.max(1, Math.abs(e.ledger().start()[0])));
        }
        try (Explanation e = ex.explain(x)) {
            assertThat(e.inputRelevance()).isEqualTo(first);
        }
        List<INDArray> after = g.nodes().stream().flatMap(n -> Graph.parameters(n.layer()).stream()).toList();
        for (int k = 0; k < before.size(); k++) {
            assertThat(after.get(k)).isEqualTo(before.get(k));
        }
        ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(g, 0, 1);
        for (String n : List.of("qkv", "out", "mlp1", "mlp2", "head")) {
            s = s.withRule(n, new ReferenceLrp.Epsilon(0.01));
        }
        try (Explanation e = ex.explain(x)) {
            ReferenceGraph.assertAgrees("vit, one sample", e.inputRelevance(),
                    ReferenceGraph.inputRelevance(ex.compiledGraph(), x, e.targets(), s), 1e-9, true);
        }
    }

    @Test
    void attentionLayersCheckTheirShapes() {
        assertThatThrownBy(() -> Graph.builder(Shape.of(2, 3)).add("t", new Permute(new int[]{1, 0}), "input")
                .add("mm", new io.github.dtd4j.graph.MatMul(), "input", "input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("mm").hasMessageContaining("MatMul")
                .hasMessageContaining("[N,2,3]");
        assertThatThrownBy(() -> Graph.builder(Shape.of(2, 3))
                .add("cls", new io.github.dtd4j.graph.ConstantConcat(0, Nd4j.zeros(DataType.FLOAT, 1, 4), true),
                        "input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("cls")
                .hasMessageContaining("ConstantConcat").hasMessageContaining("[1,4]");
        assertThatThrownBy(() -> Graph.builder(Shape.of(2, 3))
                .add("pos", new io.github.dtd4j.graph.ConstantAdd(Nd4j.zeros(DataType.FLOAT, 3, 3)), "input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("pos")
                .hasMessageContaining("ConstantAdd").hasMessageContaining("[N,2,3]");
    }

    @Test
    void channelsLastBlocksEqualTheLoopReference() {
        for (long seed = 1; seed <= 8; seed++) {
            Graph g = convNextNet(seed);
            INDArray x = input(seed, g);
            for (SumSplit split : SumSplit.values()) {
                Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                        .precision(Precision.FLOAT64);
                try (Explanation e = ex.explain(x)) {
                    double[][] ref = ReferenceGraph.inputRelevance(g, x, e.targets(), ReferenceGraph.Setup.dtd(g, 0, 1)
                            .withPositiveSplit(split == SumSplit.POSITIVE));
                    ReferenceGraph.assertAgrees("convnext seed " + seed + ", " + split, e.inputRelevance(), ref,
                            1e-10, true);
                }
                // ε on the token-wise dense layers, z⁺ elsewhere: the dense layers' rule really is applied per position
                Explainer eps = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                        .rule(Selector.kind(Dense.class), Rules.epsilon(0.1)).precision(Precision.FLOAT64);
                try (Explanation e = eps.explain(x)) {
                    ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(g, 0, 1).withPositiveSplit(split == SumSplit.POSITIVE);
                    for (String d : List.of("pw1", "pw2", "head")) {
                        s = s.withRule(d, new ReferenceLrp.Epsilon(0.1));
                    }
                    ReferenceGraph.assertAgrees("convnext seed " + seed + ", " + split + ", ε on Dense",
                            e.inputRelevance(), ReferenceGraph.inputRelevance(g, x, e.targets(), s), 1e-10, true);
                }
            }
            Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)));
            assertThat(ex.coverage().propagationOf("norm")).isEqualTo("bypass");
            assertThat(ex.coverage().propagationOf("layerScale")).isEqualTo("pass-through");
            assertThat(ex.coverage().propagationOf("gelu")).isEqualTo("pass-through");
        }
    }

    static INDArray input(long seed, Graph g) {
        SplittableRandom rnd = new SplittableRandom(seed + 1000);
        long[] shape = g.inputShape().withBatch(2);
        double[] v = new double[(int) (2 * g.inputShape().size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextDouble();
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    @Test
    void engineEqualsTheLoopReferenceOnRandomNetworks() {
        for (long seed = 1; seed <= 12; seed++) {
            Graph g = net(seed);
            INDArray x = input(seed, g);
            for (SumSplit split : SumSplit.values()) {
                for (boolean uniform : new boolean[]{false, true}) {
                    Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                            .precision(Precision.FLOAT64);
                    ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(g, 0, 1)
                            .withPositiveSplit(split == SumSplit.POSITIVE);
                    if (uniform) {
                        ex = ex.rule(Selector.kind(Mul.class), Propagations.uniform());
                        s = s.withUniformGates(g);
                    }
                    try (Explanation e = ex.explain(x)) {
                        double[][] ref = ReferenceGraph.inputRelevance(g, x, e.targets(), s);
                        ReferenceGraph.assertAgrees("seed " + seed + ", " + split + (uniform ? ", uniform" : ""),
                                e.inputRelevance(), ref, 1e-10, true);
                    }
                }
            }
        }
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        Explainer ex = Explainer.of(net(3)).preset(Presets.dtd(Rules.zBox(0, 1)));
        assertThat(ex.coverage().propagationOf("act")).isEqualTo("pass-through");
        assertThat(ex.coverage().propagationOf("se.gate")).isEqualTo("pass-through");
        assertThat(ex.coverage().propagationOf("scale")).isEqualTo("gate (to the signal)");
        assertThat(ex.coverage().propagationOf("div")).isEqualTo("gate (to the signal)");
        assertThat(ex.coverage().propagationOf("prod")).isEqualTo("uniform (half each)");
        assertThat(ex.coverage().propagationOf("last")).isEqualTo("routing (exact)");
        assertThat(ex.coverage().propagationOf("sub")).isEqualTo("routing (exact)");
    }

    @Test
    void withBiasesIgnoredRelevanceIsConservedAndTheGateBranchGetsNone() {
        for (long seed = 1; seed <= 6; seed++) {
            Graph g = net(seed);
            INDArray x = input(seed, g);
            Explainer ex = Explainer.of(g).rule(Rules.Z_PLUS).biasPolicy(BiasPolicy.IGNORE)
                    .sumSplit(SumSplit.POSITIVE).precision(Precision.FLOAT64).recordLayers(true);
            try (Explanation e = ex.explain(x)) {
                double[] start = e.ledger().start();
                double[] absorbed = e.ledger().absorbedByStabilizer();
                for (int b = 0; b < 2; b++) {
                    double in = e.inputRelevance().slice(b).sumNumber().doubleValue();
                    assertThat(in + absorbed[b]).as("seed %d, element %d: input + stabilizer = logit", seed, b)
                            .isCloseTo(start[b], org.assertj.core.data.Offset.offset(1e-10 * Math.abs(start[b]) + 1e-12));
                    assertThat(Math.abs(absorbed[b])).as("the stabilizer takes little").isLessThan(1e-3 * Math.abs(start[b]));
                }
                assertThat(e.layerRelevance("se.gate").orElseThrow().amaxNumber().doubleValue()).as("gate branch")
                        .isZero();
                assertThat(e.layerRelevance("sig").orElseThrow().amaxNumber().doubleValue()).as("divisor")
                        .isZero();
            }
        }
    }

    @Test
    void aSliceGivesNothingToWhatItDidNotTake() {
        Graph g = net(5);
        INDArray x = input(5, g);
        try (Explanation e = Explainer.of(g).rule(Rules.Z_PLUS).precision(Precision.FLOAT64).recordLayers(true)
                .explain(x)) {
            INDArray atLast = e.layerRelevance("last").orElseThrow();       // [N,h,w,c], the slice took odd columns
            for (long col = 0; col < atLast.size(2); col += 2) {
                assertThat(atLast.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(col))
                        .amaxNumber().doubleValue()).as("column %d", col).isZero();
            }
        }
    }

    @Test
    void theGateRuleRefusesAProductWithoutAGateAndPassRefusesAPermutation() {
        Graph g = net(2);
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.name("prod"), Propagations.gate())
                .compile()).isInstanceOf(ConfigurationException.class).hasMessageContaining("prod");
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.name("last"), Propagations.pass())
                .compile()).isInstanceOf(ConfigurationException.class).hasMessageContaining("last");
    }

    @Test
    void badShapesAreNamed() {
        assertThatThrownBy(() -> Graph.builder(Shape.of(3, 4, 4))
                .add("p", new Permute(new int[]{1, 0}), "input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("'p'").hasMessageContaining("Permute");
        assertThatThrownBy(() -> Graph.builder(Shape.of(3, 4, 4))
                .add("s", Slice.of(1, 2, 9), "input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("'s'").hasMessageContaining("[N,3,4,4]");
        assertThatThrownBy(() -> Graph.builder(Shape.of(3, 4, 4))
                .add("a", new GlobalAvgPool(), "input")
                .add("f", new Flatten(), "a")
                .add("m", Mul.product(), "input", "f").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("'m'").hasMessageContaining("rank");
        assertThatThrownBy(() -> new Permute(new int[]{0, 0})).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> Activation.clip(2, 1)).isInstanceOf(InvalidGraphException.class);
    }
}
