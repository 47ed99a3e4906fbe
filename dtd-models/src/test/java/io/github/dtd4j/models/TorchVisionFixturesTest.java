package io.github.dtd4j.models;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reduced-width torchvision models made by {@code src/test/fixtures/make_torchvision_fixtures.py} (PyTorch 1.13,
 * torchvision 0.14, seeded random weights, randomised BatchNorm statistics): the builder fed the model's
 * {@code state_dict} (.npz) computes the logits PyTorch computed, and DTD explains it with a balancing ledger.
 */
class TorchVisionFixturesTest {
    static Path resource(String name) throws URISyntaxException {
        return Path.of(TorchVisionFixturesTest.class.getResource("/torchvision/" + name).toURI());
    }

    static Stream<Arguments> fixtures() {
        return Stream.of(
                Arguments.of("vgg16", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::vgg16, 16, 224),
                Arguments.of("vgg16_bn", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::vgg16bn, 16, 224),
                Arguments.of("resnet18", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet18, 8, 64),
                Arguments.of("resnet50", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::resnet50, 8, 64),
                Arguments.of("densenet121", (BiFunction<Weights, TorchVision.Options, Graph>) TorchVision::densenet121, 8, 64));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void npzRouteReproducesPyTorchsLogits(String name, BiFunction<Weights, TorchVision.Options, Graph> build, int div,
                                          int side) throws Exception {
        TorchVision.Options o = TorchVision.Options.imageNet().withClasses(10).withWidthDivisor(div).withInput(3, side, side);
        Graph g = build.apply(Weights.fromNpz(resource(name + ".npz")), o);
        INDArray x = Npy.read(resource(name + ".input.npy"));
        INDArray expected = Npy.read(resource(name + ".logits.npy")).castTo(DataType.DOUBLE);
        double scale = expected.amaxNumber().doubleValue();

        INDArray ours = io.github.dtd4j.rules.Forwards.output(Rewrites.castTo(g, io.github.dtd4j.graph.Precision.FLOAT64), x.castTo(DataType.DOUBLE));
        assertThat(ours.sub(expected).amaxNumber().doubleValue()).as("float64 forward vs PyTorch")
                .isLessThanOrEqualTo(1e-4 * scale);

        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)));
        try (Explanation e = ex.explain(x)) {
            assertThat(e.logits().castTo(DataType.DOUBLE).sub(expected).amaxNumber().doubleValue())
                    .as("float32 explainer logits (BatchNorm folded) vs PyTorch").isLessThanOrEqualTo(1e-4 * scale);
            for (int i = 0; i < 2; i++) {
                double f = e.explainedScores()[i];
                assertThat(Math.abs(e.ledger().imbalance()[i])).isLessThanOrEqualTo(1e-4 * Math.max(1, Math.abs(f)));
            }
        }
        // With biases left out of every denominator, nothing is absorbed by biases, and on the VGG family (no signed
        // split anywhere) the pixels receive the whole logit. In ResNet (residual Add) and DenseNet (average pooling of
        // a convolution's signed output) docs/conventions.md#sums-and-average-pooling splits relevance in proportion to signed inputs, so some conv
        // outputs receive negative relevance; where z+ finds no positive contribution (sum of z+ = 0) it cannot place
        // it and the stabilizer books it: then input + stabilizer = f(x) exactly, and the ledger shows how much.
        Explainer noBias = ex.biasPolicy(io.github.dtd4j.BiasPolicy.IGNORE).precision(Precision.FLOAT64).stabilizer(1e-12);
        try (Explanation e = noBias.explain(x.castTo(DataType.DOUBLE))) {
            for (int i = 0; i < 2; i++) {
                double f = e.explainedScores()[i];
                double tol = 1e-6 * Math.max(1, Math.abs(f));
                assertThat(e.ledger().absorbedByBias()[i]).isEqualTo(0.0);
                double reached = e.ledger().inputSums()[i]
                        + (name.startsWith("vgg") ? 0 : e.ledger().absorbedByStabilizer()[i]);
                assertThat(reached).as("input relevance (+ stabilizer for signed splits), element " + i)
                        .isCloseTo(f, org.assertj.core.api.Assertions.within(tol));
                if (name.startsWith("vgg")) {
                    assertThat(Math.abs(e.ledger().absorbedByStabilizer()[i])).isLessThanOrEqualTo(tol);
                }
            }
        }
    }

    /**
     * The positive split at sums (z⁺ on the unit weights of Add and average pooling) with biases left out of every
     * denominator: the pixels receive the whole logit, except the relevance that reaches "pure-bias" units — units of
     * a z⁺ layer that fire only because of their (folded, positive) bias, every input contribution x_i·w_ij being
     * ≤ 0. With biases ignored such a unit has nowhere to send its relevance; the stabilizer books it. This test
     * computes that relevance independently (the units whose z⁺ denominator is exactly 0, and the relevance recorded
     * at them) and checks that it is exactly what the ledger's stabilizer column holds, and that on a copy of the
     * model whose biases are clipped to ≤ 0 (the paper's condition, §4) the pixels receive the whole logit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void positiveSplitWithBiasesIgnoredSendsTheWholeLogitToThePixels(String name,
                                                                     BiFunction<Weights, TorchVision.Options, Graph> build,
                                                                     int div, int side) throws Exception {
        TorchVision.Options o = TorchVision.Options.imageNet().withClasses(10).withWidthDivisor(div).withInput(3, side, side);
        Graph g = build.apply(Weights.fromNpz(resource(name + ".npz")), o);
        INDArray x = Npy.read(resource(name + ".input.npy")).castTo(DataType.DOUBLE);
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(SumSplit.POSITIVE)
                .biasPolicy(BiasPolicy.IGNORE).precision(Precision.FLOAT64).stabilizer(1e-12).recordLayers(true);
        try (Explanation e = ex.explain(x)) {
            double[] pureBias = pureBiasRelevance(ex.compiledGraph(), x, e);
            for (int i = 0; i < x.size(0); i++) {
                double f = e.explainedScores()[i];
                double tol = 1e-6 * Math.max(1, Math.abs(f));
                assertThat(e.ledger().absorbedByBias()[i]).isEqualTo(0.0);
                assertThat(e.inputRelevance().slice(i).minNumber().doubleValue()).as("positive, element " + i)
                        .isGreaterThanOrEqualTo(0.0);
                assertThat(e.ledger().absorbedByStabilizer()[i]).as("stabilizer = relevance of pure-bias units, "
                        + "element " + i).isCloseTo(pureBias[i], within(tol));
                assertThat(e.ledger().inputSums()[i] + pureBias[i]).as("pixels + pure-bias units, element " + i)
                        .isCloseTo(f, within(tol));
                if (!name.equals("resnet50")) {
                    // in these fixtures no relevant unit fires on its bias alone
                    assertThat(e.ledger().inputSums()[i]).as("pixels, element " + i).isCloseTo(f, within(tol));
                }
            }
        }
        // the paper's condition: biases <= 0 (after folding); then no unit fires on its bias alone
        Graph clipped = clipBiases(Rewrites.foldBatchNorm(Rewrites.castTo(g, io.github.dtd4j.graph.Precision.FLOAT64)));
        try (Explanation e = Explainer.of(clipped).preset(Presets.dtd(Rules.zBox(0, 1))).sumSplit(SumSplit.POSITIVE)
                .biasPolicy(BiasPolicy.IGNORE).precision(Precision.FLOAT64).stabilizer(1e-12).explain(x)) {
            for (int i = 0; i < x.size(0); i++) {
                double f = e.explainedScores()[i];
                assertThat(f).as("a positive logit to explain").isPositive();
                assertThat(e.ledger().inputSums()[i]).as("biases <= 0: pixels receive the logit, element " + i)
                        .isCloseTo(f, within(1e-6 * Math.max(1, f)));
            }
        }
    }

    /** Σ of the relevance recorded at units of z⁺ layers whose z⁺ denominator Σ_i max(0, x_i w_ij) is exactly 0. */
    private static double[] pureBiasRelevance(Graph run, INDArray x, Explanation e) {
        java.util.Map<String, INDArray> acts = io.github.dtd4j.rules.Forwards.run(run, x);
        double[] total = new double[(int) x.size(0)];
        boolean first = true;
        for (Node n : run.nodes()) {
            if (!n.isLinear()) {
                continue;
            }
            if (first) {
                first = false; // z^B: its denominator does not vanish on these inputs (checked by the ledger test)
                continue;
            }
            INDArray in = acts.get(n.inputs().get(0));
            INDArray xp = Transforms.max(in, 0.0);
            INDArray xn = Transforms.min(in, 0.0);
            INDArray d;
            if (n.layer() instanceof Conv2d c) {
                d = io.github.dtd4j.rules.Forwards.conv(xp, Transforms.max(c.weight(), 0.0), null, c)
                        .addi(io.github.dtd4j.rules.Forwards.conv(xn, Transforms.min(c.weight(), 0.0), null, c));
            } else {
                Dense dn = (Dense) n.layer();
                d = xp.mmul(Transforms.max(dn.weight(), 0.0)).addi(xn.mmul(Transforms.min(dn.weight(), 0.0)));
            }
            INDArray r = e.layerRelevance(n.name()).orElseThrow();
            INDArray atZero = r.mul(d.eq(0.0).castTo(DataType.DOUBLE));
            for (int i = 0; i < total.length; i++) {
                total[i] += atZero.slice(i).sumNumber().doubleValue();
            }
        }
        return total;
    }

    private static Graph clipBiases(Graph g) {
        GraphBuilder b = Graph.builder(g.inputName(), g.inputShape());
        for (Node n : g.nodes()) {
            Layer l = n.layer();
            if (l instanceof Conv2d c && c.bias() != null) {
                l = c.withWeights(c.weight(), Transforms.min(c.bias(), 0.0));
            } else if (l instanceof Dense d && d.bias() != null) {
                l = new Dense(d.weight(), Transforms.min(d.bias(), 0.0));
            }
            b.add(n.name(), l, n.inputs());
        }
        return b.output(g.outputName()).build();
    }
}
