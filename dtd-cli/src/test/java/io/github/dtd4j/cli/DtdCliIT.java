package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Runs {@code java -jar dtd-cli/target/dtd.jar} as a user would, on the reduced-width torchvision ResNet-18
 * fixture (64×64 input, 10 classes) made by dtd-models' fixture script.
 */
class DtdCliIT {
    @TempDir
    static Path dir;

    static final Path FIXTURES = Path.of("../dtd-models/src/test/resources/torchvision").toAbsolutePath().normalize();
    static final Path MODEL = FIXTURES.resolve("resnet18.onnx");
    static final Path INPUT = FIXTURES.resolve("resnet18.input.npy");

    static Run dtd(String... args) throws IOException, InterruptedException {
        return DtdJar.dtd(dir, args);
    }

    /** One image of the size the model takes. */
    static Path png(String name, int seed) throws IOException {
        return DtdJar.png(dir, name, seed);
    }

    @BeforeAll
    static void jarExists() {
        assertThat(Path.of(System.getProperty("dtd.jar", "target/dtd.jar"))).exists();
    }

    @Test
    void explainsANpyTensorLikeTheLibraryDoes() throws Exception {
        Path out = dir.resolve("r.npy");
        Path ledger = dir.resolve("ledger.json");
        Path logits = dir.resolve("logits.npy");
        Run r = dtd("explain", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out", out.toString(),
                "--low", "0", "--high", "1", "--ledger", ledger.toString(), "--logits-out", logits.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        INDArray x = Npy.read(INPUT);
        INDArray rel = Npy.read(out);
        assertThat(rel.shape()).isEqualTo(x.shape());
        assertThat(rel.dataType()).isEqualTo(DataType.FLOAT);
        try (Explanation e = Explainer.of(OnnxModels.load(MODEL)).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            assertThat(rel.sub(e.inputRelevance()).amaxNumber().doubleValue())
                    .isLessThanOrEqualTo(1e-6 * e.inputRelevance().amaxNumber().doubleValue());
            assertThat(Npy.read(logits)).isEqualTo(e.logits());
            assertThat(r.out()).contains("class " + e.targets()[0]);
        }
        JsonNode j = new ObjectMapper().readTree(Files.readString(ledger));
        assertThat(j.get("nodes").size()).isGreaterThan(20);
        assertThat(Math.abs(j.get("imbalance").get(0).asDouble())).isLessThan(1e-3 * Math.abs(j.get("start").get(0).asDouble()));
    }

    @Test
    void everyRuleOptionIsAccepted() throws Exception {
        String[][] variants = {
                {"--rule", "zplus", "--first-rule", "zbox", "--low", "0", "--high", "1", "--zbox-bias", "as-neuron"},
                {"--rule", "epsilon", "--epsilon", "0.1"},
                {"--rule", "lrp0", "--bias", "ignore", "--stabilizer", "1e-9"},
                {"--conv-rule", "alphabeta", "--alpha", "1", "--beta", "0", "--dense-rule", "epsilon"},
                {"--rule", "gamma", "--gamma", "0.5", "--first-rule", "wsquare"},
                {"--rule", "flat", "--batchnorm", "affine"},
                {"--preset", "dtd-w2", "--maxpool", "proportional", "--batchnorm", "bypass"},
                {"--preset", "epsilon-zplus"},
                {"--preset", "dtd", "--low", "-3", "--high", "3", "--sum-split", "positive", "--bias", "ignore"},
                {"--preset", "epsilon-alphabeta", "--low", "0,0,0", "--high", "1,1,1", "--dtype", "float64"},
        };
        for (String[] v : variants) {
            Path out = dir.resolve("v" + Math.abs(String.join(" ", v).hashCode()) + ".npy");
            List<String> args = new ArrayList<>(List.of("explain", "--model", MODEL.toString(), "--input",
                    INPUT.toString(), "--out", out.toString(), "--target", "3"));
            args.addAll(List.of(v));
            Run r = dtd(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", v) + ": " + r.err()).isZero();
            assertThat(r.out()).contains("class 3");
            INDArray rel = Npy.read(out);
            assertThat(rel.dataType()).isEqualTo(List.of(v).contains("float64") ? DataType.DOUBLE : DataType.FLOAT);
        }
    }

    @Test
    void imagesAndDirectoriesGiveHeatmapPictures() throws Exception {
        Path img = png("one.png", 1);
        Path out = dir.resolve("one-heat.png");
        Run r = dtd("explain", "--model", MODEL.toString(), "--input", img.toString(), "--out", out.toString(),
                "--preprocess", "unit", "--colormap", "white-red", "--scale", "p99", "--labels", "imagenet");
        assertThat(r.exit()).as(r.err()).isZero();
        BufferedImage heat = ImageIO.read(out.toFile());
        assertThat(heat.getHeight()).isEqualTo(64);
        assertThat(heat.getWidth()).isEqualTo(64 + 2 + 64);
        assertThat(r.out()).containsAnyOf("tench", "goldfish", "great white shark", "tiger shark", "hammerhead",
                "electric ray", "stingray", "cock", "hen", "ostrich");

        png("imgs/a.png", 2);
        png("imgs/b.png", 3);
        Path outDir = dir.resolve("heat");
        Run d = dtd("explain", "--model", MODEL.toString(), "--input", dir.resolve("imgs").toString(), "--out",
                outDir.toString(), "--preprocess", "unit");
        assertThat(d.exit()).as(d.err()).isZero();
        assertThat(outDir.resolve("a.png")).exists();
        assertThat(outDir.resolve("b.npy")).exists();
        assertThat(d.err()).contains("2/2");
    }

    @Test
    void imagenetPreprocessingOverlayAndALabelFile() throws Exception {
        // the VGG16 fixture takes 3x224x224: a 300x400 photo-like picture is resized to 256, centre-cropped to 224
        BufferedImage img = new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(4);
        for (int y = 0; y < 300; y++) {
            for (int x = 0; x < 400; x++) {
                img.setRGB(x, y, rnd.nextInt(0xffffff));
            }
        }
        Path in = dir.resolve("photo.jpg");
        ImageIO.write(img, "jpg", in.toFile());
        Path labels = dir.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", java.util.stream.IntStream.range(0, 10).mapToObj(i -> "thing-" + i)
                .toList()));
        Path out = dir.resolve("photo-heat.png");
        Run r = dtd("explain", "--model", FIXTURES.resolve("vgg16.onnx").toString(), "--input", in.toString(), "--out",
                out.toString(), "--labels", labels.toString(), "--overlay", "0.5");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("thing-");
        BufferedImage heat = ImageIO.read(out.toFile());
        assertThat(heat.getHeight()).isEqualTo(224);
        assertThat(heat.getWidth()).isEqualTo(3 * 224 + 2 * 7);
    }

    @Test
    void kerasAndDl4jModelFilesAndRawPixels() throws Exception {
        Path keras = Path.of("../dtd-dl4j/src/test/resources/keras").toAbsolutePath().normalize();
        Path out = dir.resolve("keras-r.npy");
        Run k = dtd("explain", "--model", keras.resolve("keras2-layout-mlp.h5").toString(), "--input",
                keras.resolve("keras2-layout-mlp.input.npy").toString(), "--out", out.toString(), "--rule", "epsilon");
        assertThat(k.exit()).as(k.err()).isZero();
        assertThat(Npy.read(out).shape()).containsExactly(4, 8);

        // a DL4J model zip (dense network: DL4J keeps no input shape, dtd4j infers it from the first layer)
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(3).list()
                        .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(12).nOut(7)
                                .activation(org.nd4j.linalg.activations.Activation.RELU).build())
                        .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                                org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nIn(7).nOut(4)
                                .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                        .build());
        net.init();
        Path zip = dir.resolve("mlp.zip");
        org.deeplearning4j.util.ModelSerializer.writeModel(net, zip.toFile(), false);
        Path x = dir.resolve("mlp-x.npy");
        Npy.write(org.nd4j.linalg.factory.Nd4j.rand(DataType.FLOAT, 2, 12), x);
        Path rz = dir.resolve("mlp-r.npy");
        Run z = dtd("explain", "--model", zip.toString(), "--input", x.toString(), "--out", rz.toString(),
                "--preset", "dtd", "--low", "0", "--high", "1", "--target", "2");
        assertThat(z.exit()).as(z.err()).isZero();
        assertThat(z.out()).contains("class 2");
        assertThat(Npy.read(rz).shape()).containsExactly(2, 12);

        // --preprocess none: raw 0-255 pixels, box [0,255] by default
        Path raw = dir.resolve("raw-heat.png");
        Run n = dtd("explain", "--model", MODEL.toString(), "--input", png("raw.png", 9).toString(), "--out",
                raw.toString(), "--preprocess", "none");
        assertThat(n.exit()).as(n.err()).isZero();
        assertThat(ImageIO.read(raw.toFile()).getHeight()).isEqualTo(64);
    }

    @Test
    void inspectAndBench() throws Exception {
        Run i = dtd("inspect", "--model", MODEL.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("/layer1/layer1.0/conv1/Conv").contains("rule z+").contains("winner-take-all");
        Run b = dtd("bench", "--model", MODEL.toString(), "--batch", "2", "--repeat", "2", "--warmup", "1");
        assertThat(b.exit()).as(b.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(b.out());
        for (String k : List.of("forward_ms_median", "explain_ms_median", "peak_rss_mb", "batch", "threads")) {
            assertThat(j.has(k)).as(k).isTrue();
        }
        assertThat(j.get("batch").asInt()).isEqualTo(2);
        assertThat(j.get("explain_ms_median").asDouble()).isGreaterThan(0);
    }

    @Test
    void errorsAreOneLineWithoutStackTraces() throws Exception {
        Run missing = dtd("explain", "--model", "nope.onnx", "--input", INPUT.toString(), "--out", "x.npy");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err().strip()).startsWith("dtd: ").contains("nope.onnx").doesNotContain("\n\tat ");

        Run badRule = dtd("explain", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                dir.resolve("y.npy").toString(), "--rule", "bogus");
        assertThat(badRule.exit()).isNotZero();
        assertThat(badRule.err()).contains("unknown rule 'bogus'").doesNotContain("\tat ");

        Run outside = dtd("explain", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                dir.resolve("z.npy").toString(), "--low", "0.5", "--high", "1");
        assertThat(outside.exit()).isNotZero();
        assertThat(outside.err()).contains("outside the z^B box").contains("conv1").doesNotContain("\tat ");

        Run noBox = dtd("explain", "--model", MODEL.toString(), "--input", INPUT.toString(), "--out",
                dir.resolve("w.npy").toString());
        assertThat(noBox.exit()).isNotZero();
        assertThat(noBox.err()).contains("--low and --high");

        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, "not a model".getBytes(StandardCharsets.US_ASCII));
        Run bad = dtd("inspect", "--model", junk.toString(), "--verbose");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("junk.onnx").contains("\tat ");
    }
}
