package io.github.dtd4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The evaluation models shipped under {@code models/} (trained by {@code scripts/train_models.py}, see
 * {@code models/README.md}), checked with dtd4j's own code: each file is the one its JSON describes (sha256); the
 * imported model computes torch's logits on the shipped 200-image sample (and ONNX Runtime's); the accuracy on the
 * sample is the one the JSON records, and the JSON's full-test-set accuracy reaches the target; DTD explains every
 * model with finite relevance of the input's shape and a balanced ledger.
 */
class ShippedModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Maven runs the tests in the module's directory: the models are at the repository's top level. */
    static Path dir(String dataset) {
        return Path.of("..", "models", dataset).toAbsolutePath().normalize();
    }

    static JsonNode json(Path file) throws Exception {
        return JSON.readTree(file.toFile());
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static INDArray sample(String dataset) {
        return Npy.read(dir(dataset).resolve("sample-images.npy"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fashion-mnist", "mnist"})
    void sampleIsTheFileItsJsonDescribes(String dataset) throws Exception {
        Path d = dir(dataset);
        JsonNode meta = json(d.resolve("sample.json"));
        assertThat(meta.path("dataset").asText()).isEqualTo(dataset);
        for (String f : new String[]{"sample-images.npy", "sample-labels.npy"}) {
            assertThat(sha256(d.resolve(f))).as(f).isEqualTo(meta.path("files").path(f).path("sha256").asText());
        }
        INDArray x = sample(dataset);
        assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(x.shape()).containsExactly(200, 1, 28, 28);
        assertThat(x.minNumber().doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(x.maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
        INDArray y = Npy.read(d.resolve("sample-labels.npy"));
        assertThat(y.shape()).containsExactly(200);
        assertThat(y.minNumber().intValue()).isGreaterThanOrEqualTo(0);
        assertThat(y.maxNumber().intValue()).isLessThanOrEqualTo(9);
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"fashion-mnist, vgg, 10000, 0.90", "fashion-mnist, resnet, 10000, 0.90",
            "fashion-mnist, mobilenet, 10000, 0.90", "fashion-mnist, vit, 10000, 0.85",
            "mnist, vgg, 2000, 0.97", "mnist, resnet, 2000, 0.97"})
    void modelComputesTorchsLogitsAndTheRecordedAccuracy(String dataset, String arch, int testImages,
                                                         double target) throws Exception {
        Path d = dir(dataset);
        Path onnx = d.resolve(arch + ".onnx");
        Path logitsFile = d.resolve(arch + "-sample-logits.npy");
        JsonNode meta = json(d.resolve(arch + ".json"));
        assertThat(sha256(onnx)).as("sha256 of " + onnx).isEqualTo(meta.path("sha256").asText());
        assertThat(sha256(logitsFile)).as("sha256 of " + logitsFile)
                .isEqualTo(meta.path("sample").path("logits_sha256").asText());
        assertThat(meta.path("opset").asLong()).isBetween(OnnxModels.MIN_OPSET, OnnxModels.MAX_OPSET);
        assertThat(meta.path("parameters").asLong()).isPositive().isLessThanOrEqualTo(300_000);

        Graph graph = OnnxModels.load(onnx);
        INDArray x = sample(dataset);
        INDArray ours = Explainer.of(graph).forward(x).castTo(DataType.DOUBLE);
        INDArray torch = Npy.read(logitsFile).castTo(DataType.DOUBLE);
        assertThat(ours.shape()).containsExactly(200, 10);
        double scale = torch.amaxNumber().doubleValue();
        assertThat(ours.sub(torch).amaxNumber().doubleValue()).as("ours vs PyTorch")
                .isLessThanOrEqualTo(1e-4 * scale);
        INDArray ort = OrtReference.run(onnx, x).logits().castTo(DataType.DOUBLE);
        assertThat(ours.sub(ort).amaxNumber().doubleValue()).as("ours vs ONNX Runtime")
                .isLessThanOrEqualTo(1e-4 * scale);

        int[] labels = Npy.read(d.resolve("sample-labels.npy")).castTo(DataType.INT).toIntVector();
        JsonNode sample = meta.path("sample");
        int recorded = sample.path("correct").asInt();
        assertThat(correct(ours, labels)).as("our accuracy on the sample").isEqualTo(recorded);
        assertThat(correct(torch, labels)).as("torch's accuracy on the sample").isEqualTo(recorded);
        assertThat(sample.path("accuracy").asDouble()).isEqualTo(recorded / 200.0);

        // the full test set: as recorded by the training script, and at least the target
        JsonNode test = meta.path("test");
        assertThat(test.path("images").asInt()).isEqualTo(testImages);
        assertThat(test.path("accuracy").asDouble())
                .isEqualTo(test.path("correct").asDouble() / testImages)
                .isGreaterThanOrEqualTo(target);
    }

    static int correct(INDArray logits, int[] labels) {
        long[] predicted = logits.argMax(1).toLongVector();
        int n = 0;
        for (int i = 0; i < labels.length; i++) {
            n += predicted[i] == labels[i] ? 1 : 0;
        }
        return n;
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"fashion-mnist, vgg", "fashion-mnist, resnet", "fashion-mnist, mobilenet", "fashion-mnist, vit",
            "mnist, vgg", "mnist, resnet"})
    void dtdExplainsTheModel(String dataset, String arch) throws Exception {
        Graph graph = OnnxModels.load(dir(dataset).resolve(arch + ".onnx"));
        INDArray x = sample(dataset).get(NDArrayIndex.interval(0, 16)).dup();
        try (Explanation e = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            INDArray r = e.inputRelevance();
            assertThat(r.shape()).containsExactly(x.shape());
            assertThat(r.isNaN().any() || r.isInfinite().any()).as("non-finite relevance").isFalse();
            assertThat(e.targets()).containsExactly(Explainer.of(graph).forward(x).argMax(1).toIntVector());
            double[] start = e.ledger().start();
            double[] imbalance = e.ledger().imbalance();
            for (int i = 0; i < start.length; i++) {
                assertThat(r.get(NDArrayIndex.point(i)).amaxNumber().doubleValue()).as("relevance of image " + i)
                        .isPositive();
                assertThat(Math.abs(imbalance[i])).as("ledger imbalance of image " + i)
                        .isLessThanOrEqualTo(1e-4 * Math.max(1, Math.abs(start[i])));
            }
        }
    }

    /**
     * CAM's precondition (dtd-methods' {@code Cam}): the last residual block's output goes through global average
     * pooling and Flatten into one Dense layer.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fashion-mnist", "mnist"})
    void resnetEndsInGlobalAveragePoolingAndOneDense(String dataset) {
        Graph graph = OnnxModels.load(dir(dataset).resolve("resnet.onnx"));
        List<String> tail = new ArrayList<>();
        String at = graph.outputName();
        for (int i = 0; i < 4; i++) {
            Node n = graph.node(at).orElseThrow();
            tail.add(0, n.kind());
            at = n.inputs().get(0);
        }
        assertThat(tail).containsExactly("Relu", "GlobalAvgPool", "Flatten", "Dense");
        assertThat(graph.node(at).orElseThrow().kind()).as("the last block's residual sum").isEqualTo("Add");
    }
}
