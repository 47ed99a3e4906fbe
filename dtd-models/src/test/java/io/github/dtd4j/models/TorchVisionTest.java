package io.github.dtd4j.models;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TorchVisionTest {
    @TempDir
    Path dir;

    static final TorchVision.Options SMALL = TorchVision.Options.imageNet().withClasses(10).withWidthDivisor(8)
            .withInput(3, 64, 64);

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("vgg16", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::vgg16, 16, 0, 3),
                Arguments.of("vgg16_bn", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::vgg16bn, 16, 13, 3),
                Arguments.of("vgg19", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::vgg19, 19, 0, 3),
                Arguments.of("resnet18", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet18, 21, 20, 1),
                Arguments.of("resnet34", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet34, 37, 36, 1),
                Arguments.of("resnet50", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet50, 54, 53, 1),
                Arguments.of("resnet101", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet101, 105, 104, 1),
                Arguments.of("densenet121", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::densenet121, 121, 121, 1));
    }

    /** Layer counts are torchvision's: e.g. ResNet-50 has 53 convolutions + 1 fc and 53 BatchNorms. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void buildsWithTorchvisionStructureAndExplains(String name, BiFunction<Weights, TorchVision.Options, Graph> build,
                                                   int linear, int batchNorms, int dense) {
        Graph g = build.apply(Weights.random(1), SMALL);
        assertThat(g.nodes().stream().filter(Node::isLinear).count()).isEqualTo(linear);
        assertThat(g.nodes().stream().filter(n -> n.kind().equals("BatchNorm")).count()).isEqualTo(batchNorms);
        assertThat(g.nodes().stream().filter(n -> n.kind().equals("Dense")).count()).isEqualTo(dense);
        assertThat(g.outputShape().dim(0)).isEqualTo(10);

        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        // BatchNorm folding leaves the logits unchanged (BNs that cannot fold stay, as in DenseNet)
        INDArray before = io.github.dtd4j.rules.Forwards.output(Rewrites.castTo(g, Precision.FLOAT64), x.castTo(DataType.DOUBLE));
        Graph folded = Rewrites.foldBatchNorm(Rewrites.castTo(g, Precision.FLOAT64));
        INDArray after = io.github.dtd4j.rules.Forwards.output(folded, x.castTo(DataType.DOUBLE));
        assertThat(after.sub(before).amaxNumber().doubleValue())
                .isLessThanOrEqualTo(1e-9 * Math.max(1, before.amaxNumber().doubleValue()));

        // DTD in float64 with biases left out of the denominators (BiasPolicy.IGNORE): the heatmap is the whole-graph
        // loop reference's on the graph as explained (BatchNorm folded, DenseNet's unfoldable ones bypassed), each
        // element explaining the other's top class; and with no bias taking a share, what the input receives is
        // f(x) less the stabilizer's share (the ledger, an extra check)
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).biasPolicy(BiasPolicy.IGNORE)
                .precision(Precision.FLOAT64);
        Graph run = ex.compiledGraph();
        INDArray x64 = x.castTo(DataType.DOUBLE);
        int[] targets = ReferenceGraph.nextElementsTopClass(before);
        try (Explanation e = ex.explain(x64, targets)) {
            ReferenceGraph.assertAgrees(name, e.inputRelevance(), ReferenceGraph.inputRelevance(run, x64, targets,
                    ReferenceGraph.Setup.dtd(run, 0, 1).withIgnoreBias(true)), 1e-9, true);
            double[] f = e.explainedScores();
            for (int i = 0; i < 2; i++) {
                assertThat(e.ledger().absorbedByBias()[i]).isZero();
                assertThat(Math.abs(e.ledger().inputSums()[i] + e.ledger().absorbedByStabilizer()[i] - f[i]))
                        .isLessThanOrEqualTo(1e-8 * Math.max(1, Math.abs(f[i])));
            }
            assertThat(e.logits().sub(before).amaxNumber().doubleValue())
                    .isLessThanOrEqualTo(1e-9 * Math.max(1, before.amaxNumber().doubleValue()));
        }
    }

    @Test
    void resnetNodeNamesAreStateDictPrefixes() {
        Graph g = TorchVision.resnet50(Weights.random(2), SMALL);
        assertThat(g.node("conv1")).isPresent();
        assertThat(g.node("layer1.0.downsample.0")).isPresent();
        assertThat(g.node("layer4.2.conv3")).isPresent();
        assertThat(g.node("fc")).isPresent();
        Graph v = TorchVision.vgg16bn(Weights.random(2), SMALL);
        assertThat(v.node("features.0").orElseThrow().kind()).isEqualTo("Conv2d");
        assertThat(v.node("features.1").orElseThrow().kind()).isEqualTo("BatchNorm");
        assertThat(v.node("classifier.6").orElseThrow().kind()).isEqualTo("Dense");
    }

    @Test
    void npzOfAStateDictGivesTheSameModel() {
        Graph g = TorchVision.resnet18(Weights.random(3), SMALL);
        // a state_dict as PyTorch writes it: Linear weights [out,in], num_batches_tracked present
        Map<String, INDArray> sd = new HashMap<>();
        for (Node n : g.nodes()) {
            if (n.layer() instanceof io.github.dtd4j.graph.Conv2d c) {
                sd.put(n.name() + ".weight", c.weight());
            } else if (n.layer() instanceof io.github.dtd4j.graph.Dense d) {
                sd.put(n.name() + ".weight", d.weight().transpose().dup('c'));
                sd.put(n.name() + ".bias", d.bias());
            } else if (n.layer() instanceof io.github.dtd4j.graph.BatchNorm b) {
                sd.put(n.name() + ".weight", b.gamma());
                sd.put(n.name() + ".bias", b.beta());
                sd.put(n.name() + ".running_mean", b.mean());
                sd.put(n.name() + ".running_var", b.var());
                sd.put(n.name() + ".num_batches_tracked", Nd4j.scalar(0L));
            }
        }
        Path p = dir.resolve("resnet18.npz");
        Npy.writeNpz(sd, p);
        Graph h = TorchVision.resnet18(Weights.fromNpz(p), SMALL);
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        assertThat(io.github.dtd4j.rules.Forwards.output(h, x)).isEqualTo(io.github.dtd4j.rules.Forwards.output(g, x));

        sd.remove("layer2.0.conv1.weight");
        sd.put("fc.weight", Nd4j.zeros(DataType.FLOAT, 3, 3));
        sd.put("extra.weight", Nd4j.zeros(DataType.FLOAT, 1));
        assertThatThrownBy(() -> TorchVision.resnet18(Weights.of(sd), SMALL)).isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("missing 'layer2.0.conv1.weight'").hasMessageContaining("'fc.weight' has shape [3,3]")
                .hasMessageContaining("extra.weight");
    }

    @Test
    void denseNetBatchNormsAfterConcatFallBackAndSaySo() {
        Graph g = TorchVision.densenet121(Weights.random(4), SMALL);
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)));
        String cov = ex.coverage().toString();
        assertThat(ex.coverage().propagationOf("features.denseblock1.denselayer1.norm1")).isEqualTo("bypass");
        assertThat(cov).contains("cannot fold");
        Explainer affine = ex.batchNorm(BatchNormMode.FOLD, BatchNormMode.AFFINE);
        assertThat(affine.coverage().propagationOf("features.norm5")).isEqualTo("rule z+");
    }
}
