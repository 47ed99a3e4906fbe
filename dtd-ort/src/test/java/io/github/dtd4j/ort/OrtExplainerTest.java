package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.spi.LinearRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The explanation compiled into one ONNX graph and run by ONNX Runtime equals the reference engine's, for every
 * rule and setting the compiler accepts, on networks with every node kind it accepts: convolutions with stride,
 * padding, dilation and groups, BatchNorm (folded, bypassed, affine), residual Add, max, average (with and without
 * counting padding) and global average pooling, Flatten, Dense. Float32: within 1e-5 of the largest relevance.
 */
class OrtExplainerTest {
    private static INDArray randn(Random rng, long... shape) {
        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT).muli(0.5);
    }

    /** A network with every node kind the compiler accepts. */
    static Graph cnn(long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return Graph.builder(Shape.of(3, 12, 12))
                .add("conv1", Conv2d.of(randn(rng, 4, 3, 3, 3), randn(rng, 4)).withStride(1).withPadding(1), "input")
                .add("bn1", new BatchNorm(randn(rng, 4).addi(1), randn(rng, 4), randn(rng, 4),
                        Nd4j.rand(rng, 4).castTo(DataType.FLOAT).addi(0.5), 1e-5), "conv1")
                .add("relu1", new Relu(), "bn1")
                .add("pool1", MaxPool2d.of(2, 2), "relu1")
                .add("conv2", new Conv2d(randn(rng, 6, 4, 3, 3), randn(rng, 6), 2, 2, 1, 1, 1, 1, 1, 1, 1), "pool1")
                .add("relu2", new Relu(), "conv2")
                .add("conv3", Conv2d.of(randn(rng, 6, 6, 3, 3), randn(rng, 6)).withPadding(1), "relu2")
                .add("relu3", new Relu(), "conv3")
                .add("sum", new Add(), "relu2", "relu3")
                .add("avg", new AvgPool2d(2, 2, 1, 1, 1, 1, 0, 0, false), "sum")
                .add("dw", new Conv2d(randn(rng, 6, 1, 3, 3), randn(rng, 6), 1, 1, 2, 2, 2, 2, 2, 2, 6), "avg")
                .add("relu4", new Relu(), "dw")
                .add("avg2", new AvgPool2d(3, 3, 1, 1, 1, 1, 1, 1, true), "relu4")
                .add("gap", new GlobalAvgPool(), "avg2")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(randn(rng, 6, 5), randn(rng, 5)), "flat")
                .build();
    }

    private static void assertSame(Explainer e, INDArray x, int[] targets, String what) {
        try (Explainer ort = e.engine(ExplanationEngine.ONNX_RUNTIME)) {
            List<Start> starts = new ArrayList<>(List.of(Start.topClass(), Start.oneHot()));
            if (targets != null) {
                starts.add(Start.classes(targets));
                starts.add(Start.oneHot(targets));
                INDArray soft = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(5), targets.length,
                        e.compiledGraph().outputShape().dim(0)).castTo(DataType.FLOAT).subi(0.3);
                starts.add(Start.relevance(soft));
            }
            for (Start start : starts) {
                String how = what + " (" + start.getClass().getSimpleName() + ")";
                try (Explanation ref = e.explain(x, start); Explanation got = ort.explain(x, start)) {
                    assertThat(got.targets()).as(how).containsExactly(ref.targets());
                    double scale = Math.max(1e-30, ref.inputRelevance().amaxNumber().doubleValue());
                    double diff = got.inputRelevance().castTo(DataType.DOUBLE)
                            .sub(ref.inputRelevance().castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
                    assertThat(diff / scale).as(how).isLessThanOrEqualTo(1e-5);
                    double logits = got.logits().castTo(DataType.DOUBLE).sub(ref.logits().castTo(DataType.DOUBLE))
                            .amaxNumber().doubleValue();
                    assertThat(logits).as(how + " logits").isLessThanOrEqualTo(1e-5 * Math.max(1,
                            ref.logits().amaxNumber().doubleValue()));
                    assertSameLedger(ref.ledger(), got.ledger(), how);
                }
            }
        }
    }

    /** The compiled graph's ledger has the reference's entries, in its order, with its sums. */
    private static void assertSameLedger(Ledger ref, Ledger got, String what) {
        double scale = Math.max(1e-12, java.util.Arrays.stream(ref.start()).map(Math::abs).max().orElse(0));
        close(got.start(), ref.start(), scale, what + ": start");
        close(got.inputSums(), ref.inputSums(), scale, what + ": input");
        assertThat(got.entries()).extracting(LedgerEntry::node).as(what)
                .containsExactlyElementsOf(ref.entries().stream().map(LedgerEntry::node).toList());
        for (int k = 0; k < ref.entries().size(); k++) {
            LedgerEntry a = ref.entries().get(k);
            LedgerEntry b = got.entries().get(k);
            String where = what + ": " + a.node();
            assertThat(b.propagation()).as(where).isEqualTo(a.propagation());
            close(b.in(), a.in(), scale, where + " in");
            close(b.out(), a.out(), scale, where + " out");
            close(b.bias(), a.bias(), scale, where + " bias");
            close(b.stabilizer(), a.stabilizer(), scale, where + " stabilizer");
            assertThat(b.branches().keySet()).as(where).containsExactlyElementsOf(a.branches().keySet());
            for (String branch : a.branches().keySet()) {
                close(b.branches().get(branch), a.branches().get(branch), scale, where + " branch " + branch);
            }
        }
    }

    private static void close(double[] got, double[] want, double scale, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as(what + "[" + i + "]: " + got[i] + " vs " + want[i])
                    .isLessThanOrEqualTo(1e-5 * scale);
        }
    }

    @Test
    void everyRuleAndSettingGivesTheReferenceEnginesRelevance() {
        Graph g = cnn(7);
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(3), 3, 3, 12, 12)
                .castTo(DataType.FLOAT).muli(3).subi(1);
        Map<String, LinearRule> rules = new LinkedHashMap<>();
        rules.put("z+", Rules.Z_PLUS);
        rules.put("epsilon", Rules.epsilon(0.25));
        rules.put("lrp0", Rules.LRP_0);
        rules.put("alpha2beta1", Rules.ALPHA2_BETA1);
        rules.put("alpha1beta0", Rules.ALPHA1_BETA0);
        rules.put("gamma", Rules.gamma(0.25));
        rules.put("w2", Rules.W_SQUARE);
        rules.put("flat", Rules.FLAT);
        int[] targets = {4, 0, 2};
        for (Map.Entry<String, LinearRule> r : rules.entrySet()) {
            assertSame(Explainer.of(g).rule(r.getValue()), x, targets, r.getKey());
        }
        List<Map.Entry<String, UnaryOperator<Explainer>>> variants = new ArrayList<>();
        variants.add(Map.entry("dtd preset", e -> e.preset(Presets.dtd(Rules.zBox(-1, 2)))));
        variants.add(Map.entry("dtd preset, per-channel box, positive bias", e -> e.preset(Presets.dtd(
                Rules.zBox(new double[]{-1, -1.5, -1}, new double[]{2, 2, 2.5}).withPositiveBias()))));
        variants.add(Map.entry("epsilon-z+", e -> e.preset(Presets.epsilonZPlus(0.25))));
        variants.add(Map.entry("epsilon-alphabeta", e -> e.preset(Presets.epsilonAlphaBeta(Rules.zBox(-1, 2), 0.25))));
        variants.add(Map.entry("positive sums, proportional max pooling", e -> e.rule(Rules.Z_PLUS)
                .sumSplit(SumSplit.POSITIVE).maxPool(MaxPoolMode.PROPORTIONAL)));
        variants.add(Map.entry("signed max pooling as sum", e -> e.rule(Rules.epsilon(0.1))
                .maxPool(MaxPoolMode.PROPORTIONAL)));
        variants.add(Map.entry("bias ignored, stabilizer 1e-3", e -> e.rule(Rules.gamma(0.5))
                .biasPolicy(BiasPolicy.IGNORE).stabilizer(1e-3)));
        variants.add(Map.entry("BatchNorm bypassed", e -> e.rule(Rules.Z_PLUS).batchNorm(BatchNormMode.BYPASS)));
        variants.add(Map.entry("BatchNorm affine", e -> e.rule(Rules.ALPHA2_BETA1)
                .batchNorm(BatchNormMode.AFFINE)));
        variants.add(Map.entry("mixed by selectors", e -> e.rule(Rules.Z_PLUS).rule(Selector.name("fc"),
                Rules.epsilon(0.5)).rule(Selector.first(), Rules.W_SQUARE)));
        for (Map.Entry<String, UnaryOperator<Explainer>> v : variants) {
            assertSame(v.getValue().apply(Explainer.of(g)), x, targets, v.getKey());
        }
    }

    /** {@return n 3×12×12 images in [−1, 2), the same for a given n} */
    private static INDArray images(int n) {
        return Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(3), n, 3, 12, 12).castTo(DataType.FLOAT).muli(3)
                .subi(1);
    }

    /** A MobileNet-like network with every element-wise activation between convolutions. */
    static Graph activations(long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        GraphBuilder b = Graph.builder(Shape.of(3, 12, 12))
                .add("c1", Conv2d.of(randn(rng, 6, 3, 3, 3), randn(rng, 6)).withPadding(1), "input")
                .add("relu6", new Activation(Activation.Function.CLIP, 0, 6), "c1")
                .add("dw", Conv2d.of(randn(rng, 6, 1, 3, 3), randn(rng, 6)).withPadding(1).withGroups(6), "relu6")
                .add("hardSwish", new Activation(Activation.Function.HARD_SWISH, 0, 0), "dw");
        String last = "hardSwish";
        List<Activation> acts = List.of(new Activation(Activation.Function.LEAKY_RELU, 0.1, 0),
                new Activation(Activation.Function.ELU, 0.7, 0), new Activation(Activation.Function.SIGMOID, 0, 0),
                new Activation(Activation.Function.HARD_SIGMOID, 0.2, 0.5),
                new Activation(Activation.Function.TANH, 0, 0), new Activation(Activation.Function.GELU, 0, 0),
                new Activation(Activation.Function.SILU, 0, 0),
                new Activation(Activation.Function.CLIP, Double.NEGATIVE_INFINITY, 1.5));
        for (int k = 0; k < acts.size(); k++) {
            b.add("pw" + k, Conv2d.of(randn(rng, 6, 6, 1, 1).muli(2), randn(rng, 6)), last)
                    .add("act" + k, acts.get(k), "pw" + k);
            last = "act" + k;
        }
        return b.add("sum", new Add(), last, "relu6")
                .add("gap", new GlobalAvgPool(), "sum")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(randn(rng, 6, 5), randn(rng, 5)), "flat")
                .build();
    }

    /**
     * Element-wise activations compile (ReLU6 and clips, leaky ReLU, ELU, sigmoid, hard sigmoid, hard swish, tanh,
     * GELU, SiLU): their forward pass, the relevance passed through them, and their derivative for the gradient,
     * as the reference engine computes them.
     */
    @Test
    void everyActivationGivesTheReferenceEnginesRelevanceAndGradient() {
        Graph g = activations(5);
        INDArray x = images(3);
        int[] targets = {4, 0, 2};
        assertSame(Explainer.of(g).preset(Presets.dtd(Rules.zBox(-1, 2))), x, targets, "dtd preset");
        assertSame(Explainer.of(g).rule(Rules.epsilon(0.25)), x, targets, "epsilon");
        assertSame(Explainer.of(g).rule(Rules.gamma(0.25)), x, targets, "gamma");
        assertSame(Explainer.of(g).rule(io.github.dtd4j.Propagations.gradient()), x, targets, "gradient");
        assertSame(Explainer.of(g).rule(Rules.ALPHA1_BETA0), x, targets, "alpha1beta0");
    }

    /** The zoo's MobileNetV2 (torchvision's architecture at reduced width, exported by the committed script). */
    @Test
    void theZoosMobileNetV2GivesTheReferenceEnginesRelevance() {
        java.nio.file.Path zoo = java.nio.file.Path.of("../dtd-onnx/src/test/resources/zoo");
        Graph g = io.github.dtd4j.onnx.OnnxModels.load(zoo.resolve("mobilenet_v2.onnx"));
        INDArray x = io.github.dtd4j.io.Npy.read(zoo.resolve("mobilenet_v2.input.npy")).castTo(DataType.FLOAT);
        try (Explainer e = Explainer.of(g).preset(Presets.dtd(Rules.zBoxImageNet()))) {
            assertThat(e.engine(ExplanationEngine.AUTO).engineInUse()).isEqualTo(ExplanationEngine.ONNX_RUNTIME);
            assertSame(e, x, null, "mobilenet_v2 dtd");
        }
        assertSame(Explainer.of(g).rule(io.github.dtd4j.Propagations.gradient()), x, null, "mobilenet_v2 gradient");
    }

    /**
     * An explainer that stops at a node compiles too: the graph's relevance is the relevance at that node's output
     * (the sweep passes only through the nodes between it and the output, as the reference engine's), for stops
     * before, inside and after a residual branch, on LRP rules and on the gradient (Grad-CAM's backward pass).
     */
    @Test
    void stoppingAtANodeGivesTheReferenceEnginesRelevanceThere() {
        Graph g = cnn(7);
        INDArray x = images(3);
        int[] targets = {4, 0, 2};
        for (String stop : List.of("pool1", "relu2", "conv3", "sum", "gap")) {
            assertSame(Explainer.of(g).rule(Rules.Z_PLUS).stopAt(stop), x, targets, "z+ to " + stop);
            assertSame(Explainer.of(g).rule(Rules.epsilon(0.25)).sumSplit(SumSplit.POSITIVE).stopAt(stop), x, targets,
                    "epsilon to " + stop);
            assertSame(Explainer.of(g).rule(io.github.dtd4j.Propagations.gradient())
                    .batchNorm(BatchNormMode.BYPASS).stopAt(stop), x, targets, "gradient to " + stop);
            try (Explainer ort = Explainer.of(g).rule(Rules.Z_PLUS).stopAt(stop).engine(ExplanationEngine.ONNX_RUNTIME);
                 Explanation e = ort.explain(x)) {
                assertThat(e.end()).isEqualTo(stop);
                assertThat(e.inputRelevance().shape()).isEqualTo(ort.compiledGraph().shapeOf(stop).withBatch(3));
            }
        }
    }

    @Test
    void aDenseNetworkWithPerFeatureBoxes() {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(11);
        Graph g = Graph.builder(Shape.of(8))
                .add("d1", Dense.of(randn(rng, 8, 10), randn(rng, 10)), "input")
                .add("r1", new Relu(), "d1")
                .add("d2", Dense.of(randn(rng, 10, 4), randn(rng, 4)), "r1")
                .build();
        INDArray x = Nd4j.rand(rng, 5, 8).castTo(DataType.FLOAT);
        double[] low = new double[8];
        double[] high = new double[8];
        java.util.Arrays.fill(high, 1);
        assertSame(Explainer.of(g).preset(Presets.dtd(Rules.zBox(low, high))), x, new int[]{0, 1, 2, 3, 0}, "mlp");
    }

    /**
     * Float64 explainers compile to a float64 graph: ONNX Runtime runs a dense network's to 1e-10 of the reference
     * engine; its CPU build has no float64 convolution, which the error says.
     */
    @Test
    void float64AgreesToOneInTenBillion() {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(11);
        Graph mlp = Graph.builder(Shape.of(8))
                .add("d1", Dense.of(randn(rng, 8, 10), randn(rng, 10)), "input")
                .add("r1", new Relu(), "d1")
                .add("d2", Dense.of(randn(rng, 10, 6), randn(rng, 6)), "r1")
                .add("r2", new Relu(), "d2")
                .add("d3", Dense.of(randn(rng, 6, 4), null), "r2")
                .build();
        INDArray x = Nd4j.rand(rng, 5, 8).castTo(DataType.DOUBLE);
        for (Explainer e : List.of(Explainer.of(mlp).preset(Presets.dtd(Rules.zBox(0, 1))),
                Explainer.of(mlp).rule(Rules.gamma(0.25)).rule(Selector.first(), Rules.FLAT),
                Explainer.of(mlp).rule(Rules.ALPHA2_BETA1).rule(Selector.name("d3"), Rules.epsilon(0.1)))) {
            Explainer ref = e.precision(io.github.dtd4j.graph.Precision.FLOAT64);
            try (Explainer ort = ref.engine(ExplanationEngine.ONNX_RUNTIME);
                 Explanation a = ref.explain(x); Explanation b = ort.explain(x)) {
                assertThat(b.inputRelevance().dataType()).isEqualTo(DataType.DOUBLE);
                double scale = a.inputRelevance().amaxNumber().doubleValue();
                assertThat(b.inputRelevance().sub(a.inputRelevance()).amaxNumber().doubleValue() / scale)
                        .isLessThanOrEqualTo(1e-10);
            }
        }
        try (Explainer conv = Explainer.of(cnn(7)).rule(Rules.Z_PLUS).precision(io.github.dtd4j.graph.Precision.FLOAT64)
                .engine(ExplanationEngine.ONNX_RUNTIME)) {
            INDArray img = Nd4j.rand(DataType.DOUBLE, 1, 3, 12, 12);
            assertThatThrownBy(() -> conv.explain(img)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("float64").hasMessageContaining("Conv");
        }
    }

    @Test
    void badInputIsRefusedAsTheReferenceEngineRefusesIt() {
        Explainer e = Explainer.of(cnn(7)).preset(Presets.dtd(Rules.zBox(-1, 2)));
        try (Explainer ort = e.engine(ExplanationEngine.ONNX_RUNTIME)) {
            INDArray wrong = Nd4j.rand(DataType.FLOAT, 1, 3, 11, 12);
            assertThatThrownBy(() -> ort.explain(wrong)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("expected [N,3,12,12]");
            INDArray nan = Nd4j.rand(DataType.FLOAT, 1, 3, 12, 12);
            nan.putScalar(0, 1, 2, 3, Double.NaN);
            assertThatThrownBy(() -> ort.explain(nan)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("NaN");
            INDArray outside = Nd4j.rand(DataType.FLOAT, 1, 3, 12, 12).addi(5);
            assertThatThrownBy(() -> ort.explain(outside)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("z^B box");
            INDArray ok = Nd4j.rand(DataType.FLOAT, 2, 3, 12, 12);
            assertThatThrownBy(() -> ort.explain(ok, new int[]{1})).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> ort.explain(ok, 5)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("not in [0,5)");
            INDArray copy = ok.dup();
            ort.explain(ok).close();
            assertThat(ok).as("the input is not modified").isEqualTo(copy);
        }
    }

    /** A rule of one's own that does not say how it compiles: relevance handed on, as pass-through. */
    private record OwnPass() implements io.github.dtd4j.spi.Rule {
        @Override
        public String name() {
            return "own pass";
        }

        @Override
        public boolean accepts(io.github.dtd4j.graph.Layer layer) {
            return layer instanceof Relu;
        }

        @Override
        public List<INDArray> propagate(io.github.dtd4j.spi.NodeContext ctx) {
            return List.of(ctx.relevance());
        }
    }

    /** A linear rule of one's own that does not say how it compiles: LRP-0's formula. */
    private record OwnLrp0() implements LinearRule {
        @Override
        public String name() {
            return "own lrp0";
        }

        @Override
        public INDArray propagate(io.github.dtd4j.spi.RuleContext ctx) {
            io.github.dtd4j.spi.LinearLayer l = ctx.layer();
            INDArray s = ctx.divide(ctx.relevance(), l.forward(ctx.input(), l.weight()), ctx.bias());
            return ctx.input().mul(l.transpose(s, l.weight()));
        }
    }

    @Test
    void whatCannotBeCompiledIsListedAtOnce() {
        Explainer e = Explainer.of(cnn(7)).rule(Rules.Z_PLUS).rule(Selector.name("relu1", "relu3"), new OwnPass())
                .rule(Selector.name("conv2"), new OwnLrp0());
        assertThatThrownBy(e::toOnnx).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("3 node(s)").hasMessageContaining("'relu1'").hasMessageContaining("'relu3'")
                .hasMessageContaining("'conv2'").hasMessageContaining("own lrp0");
        // the reference engine runs them
        e.explain(Nd4j.rand(DataType.FLOAT, 1, 3, 12, 12)).close();
    }

    /**
     * {@code AUTO} runs on ONNX Runtime what compiles in float32 (the same numbers as choosing it) and on ND4J the rest
     * (float64, recorded layers, nodes or rules that do not compile, starts at an intermediate node: the reference's
     * numbers), and says which and why.
     */
    @Test
    void autoPicksOnnxRuntimeWhereItRunsTheExplainerAndTheReferenceElsewhere() {
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(3), 2, 3, 12, 12)
                .castTo(DataType.FLOAT).muli(3).subi(1);
        Explainer base = Explainer.of(cnn(7)).rule(Rules.Z_PLUS);
        try (Explainer auto = base.engine(ExplanationEngine.AUTO);
             Explainer ort = base.engine(ExplanationEngine.ONNX_RUNTIME);
             Explanation a = auto.explain(x); Explanation o = ort.explain(x)) {
            assertThat(auto.engine()).isEqualTo(ExplanationEngine.AUTO);
            assertThat(auto.engineInUse()).isEqualTo(ExplanationEngine.ONNX_RUNTIME);
            assertThat(auto.engineChoice()).startsWith("onnxruntime (auto: ");
            assertThat(a.inputRelevance()).isEqualTo(o.inputRelevance());
            assertThat(auto.forward(x)).isEqualTo(ort.forward(x));
        }
        assertSame(base.engine(ExplanationEngine.AUTO).engine(ExplanationEngine.ND4J), x, new int[]{1, 2}, "auto");
        Explainer uncompilable = Explainer.of(cnn(7)).rule(Rules.Z_PLUS).rule(Selector.name("conv2"), new OwnLrp0());
        Map<String, Explainer> reference = new LinkedHashMap<>();
        reference.put("float64", base.precision(io.github.dtd4j.graph.Precision.FLOAT64));
        reference.put("recordLayers", base.recordLayers(true));
        reference.put("own lrp0", uncompilable);
        for (Map.Entry<String, Explainer> c : reference.entrySet()) {
            Explainer auto = c.getValue().engine(ExplanationEngine.AUTO);
            try (Explanation a = auto.explain(x); Explanation r = c.getValue().explain(x)) {
                assertThat(auto.engineInUse()).as(c.getKey()).isEqualTo(ExplanationEngine.ND4J);
                assertThat(auto.engineChoice()).as(c.getKey()).startsWith("nd4j (auto: ").contains(c.getKey());
                assertThat(a.inputRelevance()).as(c.getKey()).isEqualTo(r.inputRelevance());
            }
        }
        // a start at an intermediate node runs on the reference engine, whichever AUTO picked
        INDArray atSum = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(4),
                base.compiledGraph().shapeOf("sum").withBatch(2)).castTo(DataType.FLOAT);
        try (Explainer auto = base.engine(ExplanationEngine.AUTO);
             Explanation a = auto.explain(x, Start.relevance("sum", atSum));
             Explanation r = base.explain(x, Start.relevance("sum", atSum))) {
            assertThat(a.inputRelevance()).isEqualTo(r.inputRelevance());
        }
    }
}
