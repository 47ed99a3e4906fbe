package io.github.dtd4j.onnx;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.models.TorchVision;
import io.github.dtd4j.models.Weights;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reduced-width torchvision fixtures of dtd-models ({@code make_torchvision_fixtures.py}: VGG16, VGG16-BN,
 * ResNet-18, ResNet-50, DenseNet-121 exported by torch at opset 13): the imported ONNX model computes ONNX
 * Runtime's logits, PyTorch's logits, and the same logits and the same DTD heatmap as the builder fed the model's
 * state_dict.
 */
class TorchVisionOnnxTest {

    static Path resource(String name) throws Exception {
        // the fixtures live with the builders they were made for (dtd-models/src/test/fixtures)
        return Path.of("../dtd-models/src/test/resources/torchvision", name).toAbsolutePath().normalize();
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
    void onnxImportMatchesOnnxRuntimePyTorchAndTheNpzRoute(String name,
                                                           BiFunction<Weights, TorchVision.Options, Graph> build,
                                                           int div, int side) throws Exception {
        Path onnx = resource(name + ".onnx");
        INDArray x = Npy.read(resource(name + ".input.npy"));
        INDArray torch = Npy.read(resource(name + ".logits.npy")).castTo(DataType.DOUBLE);
        double scale = torch.amaxNumber().doubleValue();

        Graph imported = OnnxModels.load(onnx);
        INDArray ours = io.github.dtd4j.rules.Forwards.output(imported, x).castTo(DataType.DOUBLE);
        INDArray ort = OrtReference.run(onnx, x).logits().castTo(DataType.DOUBLE);
        assertThat(ours.sub(ort).amaxNumber().doubleValue()).as("ours vs ONNX Runtime").isLessThanOrEqualTo(1e-4 * scale);
        assertThat(ours.sub(torch).amaxNumber().doubleValue()).as("ours vs PyTorch").isLessThanOrEqualTo(1e-4 * scale);

        Graph built = build.apply(Weights.fromNpz(resource(name + ".npz")),
                TorchVision.Options.imageNet().withClasses(10).withWidthDivisor(div).withInput(3, side, side));
        INDArray viaNpz = io.github.dtd4j.rules.Forwards.output(built, x).castTo(DataType.DOUBLE);
        assertThat(viaNpz.sub(ours).amaxNumber().doubleValue()).as("npz route vs ONNX route").isLessThanOrEqualTo(1e-4 * scale);

        // the same heatmap from both routes, in float64. torch's exporter fuses each BatchNorm into its convolution in
        // float32, while the builder folds the state_dict's BatchNorm in float64: the weights differ by float32
        // rounding (~1e-7 relative), which moves the heatmap by ~1e-6 of its maximum (measured: 1e-7 to 2e-6)
        INDArray x64 = x.castTo(DataType.DOUBLE);
        try (Explanation a = Explainer.of(imported).preset(Presets.dtd(Rules.zBox(0, 1))).precision(Precision.FLOAT64).explain(x64);
             Explanation b = Explainer.of(built).preset(Presets.dtd(Rules.zBox(0, 1))).precision(Precision.FLOAT64).explain(x64)) {
            double rmax = a.inputRelevance().amaxNumber().doubleValue();
            assertThat(a.inputRelevance().sub(b.inputRelevance()).amaxNumber().doubleValue()).as("heatmaps")
                    .isLessThanOrEqualTo(1e-5 * Math.max(rmax, 1e-12));
            assertThat(Math.abs(a.ledger().imbalance()[0])).isLessThanOrEqualTo(1e-9 * Math.max(1, Math.abs(a.explainedScores()[0])));
        }
        assertThat(Rewrites.foldBatchNorm(imported).nodes().stream().filter(n -> n.kind().equals("BatchNorm")).count())
                .isEqualTo(Rewrites.foldBatchNorm(built).nodes().stream().filter(n -> n.kind().equals("BatchNorm")).count());
    }
}
