package io.github.dtd4j.onnx;

import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The "done means": a torchvision model exported to ONNX, imported and explained with DTD (z^B at the
 * first convolution, z⁺ above), gives the heatmap the reference rules give — the whole-graph loop reference of
 * dtd-rules' tests ({@link ReferenceGraph}, from the formulas of docs/conventions.md), on the graph as explained (BatchNorm folded,
 * DenseNet's unfoldable BatchNorms bypassed), for the signed and the positive split at sums, in float64.
 */
class ReferenceHeatmapTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vgg16", "vgg16_bn", "resnet18", "resnet50", "densenet121"})
    void importedModelsHeatmapEqualsTheLoopReference(String name) throws Exception {
        Graph net = OnnxModels.load(TorchVisionOnnxTest.resource(name + ".onnx"));
        INDArray x = Npy.read(TorchVisionOnnxTest.resource(name + ".input.npy")).castTo(DataType.DOUBLE);
        // VGG has no sum of signed values (its pools read ReLU outputs): one split is enough, and the 224×224
        // reference is the slow part of this test
        SumSplit[] splits = name.startsWith("vgg") ? new SumSplit[]{SumSplit.SIGNED} : SumSplit.values();
        for (SumSplit split : splits) {
            Explainer ex = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(split)
                    .precision(Precision.FLOAT64);
            Graph run = ex.compiledGraph();
            String first = run.nodes().stream().filter(Node::isLinear).findFirst().orElseThrow().name();
            try (Explanation e = ex.explain(x)) {
                double[][] ref = ReferenceGraph.inputRelevance(run, x, e.targets(), first, 0, 1,
                        split == SumSplit.POSITIVE, 1e-6);
                ReferenceGraph.assertAgrees(name + ", " + split + " split", e.inputRelevance(), ref, 1e-9, true);
            }
        }
    }
}
