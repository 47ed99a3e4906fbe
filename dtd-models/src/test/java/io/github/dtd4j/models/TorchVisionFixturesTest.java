package io.github.dtd4j.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.internal.Forward;
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

        INDArray ours = Forward.output(Rewrites.castTo(g, DataType.DOUBLE), x.castTo(DataType.DOUBLE));
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
        // a convolution's signed output) RULES-SPEC splits relevance in proportion to signed inputs, so some conv
        // outputs receive negative relevance; where z+ finds no positive contribution (sum of z+ = 0) it cannot place
        // it and the stabilizer books it: then input + stabilizer = f(x) exactly, and the ledger shows how much.
        Explainer noBias = ex.biasPolicy(io.github.dtd4j.BiasPolicy.IGNORE).dtype(DataType.DOUBLE).stabilizer(1e-12);
        try (Explanation e = noBias.explain(x.castTo(DataType.DOUBLE))) {
            for (int i = 0; i < 2; i++) {
                double f = e.explainedScores()[i];
                double tol = 1e-6 * Math.max(1, Math.abs(f));
                assertThat(e.ledger().absorbedByBias()[i]).isEqualTo(0.0);
                double reached = e.ledger().inputRelevance()[i]
                        + (name.startsWith("vgg") ? 0 : e.ledger().absorbedByStabilizer()[i]);
                assertThat(reached).as("input relevance (+ stabilizer for signed splits), element " + i)
                        .isCloseTo(f, org.assertj.core.api.Assertions.within(tol));
                if (name.startsWith("vgg")) {
                    assertThat(Math.abs(e.ledger().absorbedByStabilizer()[i])).isLessThanOrEqualTo(tol);
                }
            }
        }
    }
}
