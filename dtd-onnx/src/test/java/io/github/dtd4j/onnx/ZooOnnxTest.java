package io.github.dtd4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.ReferenceLrp;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Small versions of torchvision's modern architectures, exported by torch ({@code make_zoo_fixtures.py}: opset 17
 * with constant folding, and opset 11 or 13 without), imported and explained: the logits equal ONNX Runtime's and
 * PyTorch's; the DTD heatmap equals the whole-graph loop reference (with the references of the new layers) for both
 * splits at sums, in float64; with biases ignored and the positive split, the pixels receive the explained logit
 * less what the ledger books (only the stabilizer absorbs then, where a z⁺ denominator is zero).
 */
class ZooOnnxTest {
    static final String[] MODELS = {"mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "regnet_y",
        "shufflenet_v2", "squeezenet1_1", "googlenet", "mnasnet", "convnext", "vit", "swin"};

    static Path resource(String name) {
        return Path.of("src/test/resources/zoo", name).toAbsolutePath();
    }

    static Stream<Arguments> exports() {
        return Stream.of(MODELS).flatMap(m -> Stream.of(Arguments.of(m, m + ".onnx"), Arguments.of(m, m + ".nofold.onnx")));
    }

    /** The convolutional ones: no constant terms or softmax that absorb relevance whatever the bias policy. */
    static Stream<Arguments> convolutional() {
        return exports().filter(a -> !a.get()[0].equals("vit") && !a.get()[0].equals("swin"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("exports")
    void logitsEqualOnnxRuntimeAndPyTorch(String model, String file) throws Exception {
        Path onnx = resource(file);
        INDArray x = Npy.read(resource(model + ".input.npy"));
        INDArray torch = Npy.read(resource(model + ".logits.npy")).castTo(DataType.DOUBLE);
        double scale = Math.max(1, torch.amaxNumber().doubleValue());
        Graph g = OnnxModels.load(onnx);
        INDArray ours = Explainer.of(g).forward(x).castTo(DataType.DOUBLE);
        INDArray ort = OrtReference.run(onnx, x).logits().castTo(DataType.DOUBLE);
        assertThat(ours.sub(ort).amaxNumber().doubleValue()).as("ours vs ONNX Runtime").isLessThanOrEqualTo(1e-4 * scale);
        assertThat(ours.sub(torch).amaxNumber().doubleValue()).as("ours vs PyTorch").isLessThanOrEqualTo(1e-4 * scale);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("exports")
    void heatmapEqualsTheLoopReference(String model, String file) throws Exception {
        Graph net = OnnxModels.load(resource(file));
        INDArray x = Npy.read(resource(model + ".input.npy")).castTo(DataType.DOUBLE);
        for (SumSplit split : SumSplit.values()) {
            Explainer ex = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                    .precision(Precision.FLOAT64);
            Graph run = ex.compiledGraph();
            try (Explanation e = ex.explain(x)) {
                double[][] ref = ReferenceGraph.inputRelevance(run, x, e.targets(), ReferenceGraph.Setup.dtd(run, 0, 1)
                        .withPositiveSplit(split == SumSplit.POSITIVE));
                ReferenceGraph.assertAgrees(file + ", " + split + " split", e.inputRelevance(), ref, 1e-9, true);
            }
        }
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("convolutional")
    void withBiasesIgnoredThePixelsReceiveTheLogitLessWhatTheLedgerBooks(String model, String file) throws Exception {
        Graph net = OnnxModels.load(resource(file));
        INDArray x = Npy.read(resource(model + ".input.npy")).castTo(DataType.DOUBLE);
        Explainer ex = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).biasPolicy(BiasPolicy.IGNORE)
                .sumSplit(SumSplit.POSITIVE).precision(Precision.FLOAT64);
        double[] stabSmall;
        try (Explanation tiny = ex.stabilizer(1e-9).explain(x)) {
            stabSmall = tiny.ledger().absorbedByStabilizer();
        }
        try (Explanation e = ex.explain(x)) {
            double[] start = e.ledger().start();
            double[] stab = e.ledger().absorbedByStabilizer();
            double[] bias = e.ledger().absorbedByBias();
            for (int b = 0; b < start.length; b++) {
                double pixels = e.inputRelevance().slice(b).sumNumber().doubleValue();
                assertThat(bias[b]).as("%s element %d: no bias absorbs with biases ignored", file, b).isZero();
                assertThat(pixels + stab[b]).as("%s element %d: pixels + stabilizer = logit", file, b)
                        .isCloseTo(start[b], org.assertj.core.data.Offset.offset(1e-9 * Math.abs(start[b])));
                // what the stabilizer takes barely depends on ε (1e-6 against 1e-9): it is the relevance of units
                // whose denominator is exactly 0. Two kinds occur in these random networks, both found by dumping the
                // ledger: a depthwise convolution whose one input channel is all zero after its ReLU, so its output is
                // its (BatchNorm-folded) bias alone, which this policy leaves out (ShuffleNet, MobileNet); and, under
                // the positive split, a global pooling or residual Add whose inputs are all negative — SiLU and
                // hard-swish outputs — where z⁺ above sent relevance through negative weights (EfficientNet). The
                // ε-sized share of live units is what remains, below 0.2 % of the logit
                assertThat(stab[b]).as("%s element %d: the stabilizer's share with ε = 1e-6 and 1e-9", file, b)
                        .isCloseTo(stabSmall[b], org.assertj.core.data.Offset.offset(2e-3 * Math.abs(start[b])));
            }
        }
        // every node of a new kind has the documented default rule
        for (Node n : ex.compiledGraph().nodes()) {
            String rule = ex.coverage().propagationOf(n.name());
            switch (n.kind()) {
                case "Mul", "Div" -> assertThat(rule).as(n.name()).isIn("gate (to the signal)", "uniform (half each)");
                case "Permute", "Slice" -> assertThat(rule).as(n.name()).isEqualTo("routing (exact)");
                case "ReLU6", "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Gelu", "ConstantMul" ->
                        assertThat(rule).as(n.name()).isEqualTo("pass-through");
                case "LayerNorm" -> assertThat(rule).as(n.name()).isEqualTo("bypass");
                default -> { }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vit.onnx", "vit.nofold.onnx", "swin.onnx", "swin.nofold.onnx"})
    void attentionIsImportedBatchFirstAndExplainedWithItsDefaults(String file) throws Exception {
        Graph net = OnnxModels.load(resource(file));
        boolean vit = file.startsWith("vit");
        if (vit) {
            assertThat(net.provenance().toString()).contains("multi-head attention");
        }
        INDArray x = Npy.read(resource((vit ? "vit" : "swin") + ".input.npy")).castTo(DataType.DOUBLE);
        // ε on the dense layers (the usual choice for transformers), and γ = 0.25 (the how-to's and the benchmark's):
        // the heatmap equals the loop reference (the last block's dense layers see the class token alone)
        Explainer ex = null;
        Graph run = null;
        for (boolean gamma : new boolean[]{false, true}) {
            io.github.dtd4j.spi.Rule rule = gamma ? Rules.gamma(0.25) : Rules.epsilon(0.01);
            ReferenceLrp.RefRule ref = gamma ? new ReferenceLrp.Gamma(0.25) : new ReferenceLrp.Epsilon(0.01);
            ex = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1)))
                    .rule(Selector.kind(io.github.dtd4j.graph.Dense.class), rule)
                    .precision(Precision.FLOAT64);
            run = ex.compiledGraph();
            ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(run, 0, 1);
            for (Node n : run.nodes()) {
                if (n.layer() instanceof io.github.dtd4j.graph.Dense) {
                    s = s.withRule(n.name(), ref);
                }
            }
            String what = file + (gamma ? ", γ on Dense" : ", ε on Dense");
            try (Explanation e = ex.explain(x)) {
                ReferenceGraph.assertAgrees(what, e.inputRelevance(),
                        ReferenceGraph.inputRelevance(run, x, e.targets(), s), 1e-9, true);
                double[] imbalance = e.ledger().imbalance();
                for (int b = 0; b < imbalance.length; b++) {
                    assertThat(Math.abs(imbalance[b])).as("%s element %d: the ledger balances", what, b)
                            .isLessThan(1e-9 * Math.max(1, Math.abs(e.ledger().start()[b])));
                }
            }
        }
        java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
        for (Node n : run.nodes()) {
            kinds.merge(n.kind(), 1L, Long::sum);
            String rule = ex.coverage().propagationOf(n.name());
            switch (n.kind()) {
                case "MatMul" -> assertThat(rule).as(n.name()).isEqualTo("uniform (half each)");
                case "Softmax" -> assertThat(rule).as(n.name()).isEqualTo("softmax (Taylor at x)");
                case "ConstantAdd", "ConstantConcat" -> assertThat(rule).as(n.name())
                        .isEqualTo("constant (absorbs its share)");
                default -> { }
            }
        }
        if (vit) {
            // two blocks: two softmaxes, four matrix products of activations, one class token, one position embedding
            assertThat(kinds).containsEntry("Softmax", 2L).containsEntry("MatMul", 4L)
                    .containsEntry("ConstantConcat", 1L).containsEntry("ConstantAdd", 1L);
        } else {
            // four blocks: four softmaxes and eight matrix products of activations over windows that merge the batch;
            // a relative position bias per block and a shifted windows' mask per second block (ConstantAdd); the
            // zeros that pad 10x10 and 5x5 tokens to whole windows, one block per padded side of each block
            // (ConstantConcat: 2 per block), and the patch merging's odd rows (none: 10 is even)
            assertThat(kinds).containsEntry("Softmax", 4L).containsEntry("MatMul", 8L)
                    .containsEntry("ConstantAdd", 6L).containsEntry("ConstantConcat", 8L);
        }
    }
}
