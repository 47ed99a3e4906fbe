package io.github.dtd4j.cli;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.rules.ZBoxRule;
import io.github.dtd4j.spi.Rule;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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

    /**
     * The dtd-onnx fixture for the rule options: torchvision's ResNet-18 at widths 8-16-32-64 on 3×32×32, exported with
     * its BatchNorms kept (the torchvision fixtures have them fused into the convolutions, where --batchnorm could
     * not change anything), with max pooling, residual Adds, and biases once BatchNorm is folded.
     */
    static final Path RULES_MODEL = Path.of("../dtd-onnx/src/test/resources/onnx/resnet_op13.onnx").toAbsolutePath()
            .normalize();

    /**
     * One CLI run for the rule options: the arguments, the explainer the library builds for the same settings, and
     * for each option of the run, the explainer without that option or with another value (the rest unchanged).
     */
    record OptionRun(List<String> args, Function<Graph, Explainer> expected,
                     Map<String, Function<Graph, Explainer>> without) {
    }

    static Explainer dtdPreset(Graph g, ZBoxRule box) {
        return Explainer.of(g).preset(Presets.dtd(box));
    }

    static Explainer rules(Graph g, Rule all) {
        return Explainer.of(g).rule(Selector.all(), all);
    }

    /**
     * Every rule option changes the relevance the CLI writes as it should: for each run, the .npy equals the library's
     * result under the same settings, built here from the API (not from the CLI's option parsing); and for each
     * option of the run, the library's result without that option (or, where the rest would leave layers without a
     * rule, with another value) differs by more than 1e-3 of max |R|, so the equality could not hold if the CLI had
     * dropped or misread it. Thirteen runs cover every option and every rule name; --dtype float64 changes the type,
     * not the numbers beyond rounding.
     */
    @Test
    void everyRuleOptionChangesTheResultAsTheLibraryDoes() throws Exception {
        Graph g = OnnxModels.load(RULES_MODEL);
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(12);
        INDArray x = org.nd4j.linalg.factory.Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
        Path input = dir.resolve("rules-x.npy");
        Npy.write(x, input);
        ZBoxRule unit = Rules.zBox(0, 1);
        INDArray logits = dtdPreset(g, unit).forward(x);
        int target = (logits.getRow(0).argMax().getInt(0) + 1) % (int) logits.size(1);
        Rule eps25 = Rules.epsilon(0.25);
        List<OptionRun> runs = List.of(
                new OptionRun(List.of("--low", "0", "--high", "1"), m -> dtdPreset(m, unit), Map.of()),
                new OptionRun(List.of("--rule", "epsilon", "--epsilon", "0.1"), m -> rules(m, Rules.epsilon(0.1)),
                        Map.of("--rule", m -> dtdPreset(m, unit), "--epsilon", m -> rules(m, eps25))),
                new OptionRun(List.of("--rule", "zplus", "--conv-rule", "alphabeta", "--alpha", "3", "--beta", "2"),
                        m -> rules(m, Rules.Z_PLUS).rule(Selector.conv(), Rules.alphaBeta(3, 2)),
                        Map.of("--conv-rule", m -> rules(m, Rules.Z_PLUS),
                                "--alpha/--beta", m -> rules(m, Rules.Z_PLUS).rule(Selector.conv(), Rules.ALPHA2_BETA1))),
                new OptionRun(List.of("--rule", "zplus", "--dense-rule", "gamma", "--gamma", "0.5", "--first-rule",
                        "wsquare"),
                        m -> rules(m, Rules.Z_PLUS).rule(Selector.dense(), Rules.gamma(0.5))
                                .rule(Selector.first(), Rules.W_SQUARE),
                        Map.of("--dense-rule", m -> rules(m, Rules.Z_PLUS).rule(Selector.first(), Rules.W_SQUARE),
                                "--gamma", m -> rules(m, Rules.Z_PLUS).rule(Selector.dense(), Rules.gamma(0.25))
                                        .rule(Selector.first(), Rules.W_SQUARE),
                                "--first-rule", m -> rules(m, Rules.Z_PLUS).rule(Selector.dense(), Rules.gamma(0.5)))),
                new OptionRun(List.of("--rule", "lrp0", "--dense-rule", "flat", "--first-rule", "zbox", "--low", "0",
                        "--high", "1"),
                        m -> rules(m, Rules.LRP_0).rule(Selector.dense(), Rules.FLAT).rule(Selector.first(), unit),
                        Map.of("--rule lrp0 (zplus instead)", m -> rules(m, Rules.Z_PLUS).rule(Selector.dense(),
                                        Rules.FLAT).rule(Selector.first(), unit),
                                "--dense-rule flat", m -> rules(m, Rules.LRP_0).rule(Selector.first(), unit),
                                "--first-rule zbox", m -> rules(m, Rules.LRP_0).rule(Selector.dense(), Rules.FLAT))),
                new OptionRun(List.of("--preset", "dtd-w2"), m -> Explainer.of(m).preset(Presets.dtdWSquare()),
                        Map.of("--preset", m -> dtdPreset(m, unit))),
                new OptionRun(List.of("--preset", "epsilon-zplus"),
                        m -> Explainer.of(m).preset(Presets.epsilonZPlus(0.25)),
                        Map.of("--preset", m -> dtdPreset(m, unit))),
                new OptionRun(List.of("--preset", "epsilon-alphabeta", "--low", "0,0,-1", "--high", "1,1,2"),
                        m -> Explainer.of(m).preset(Presets.epsilonAlphaBeta(Rules.zBox(new double[]{0, 0, -1},
                                new double[]{1, 1, 2}), 0.25)),
                        Map.of("--preset", m -> dtdPreset(m, Rules.zBox(new double[]{0, 0, -1}, new double[]{1, 1, 2})),
                                "--low/--high per channel", m -> Explainer.of(m).preset(Presets.epsilonAlphaBeta(unit,
                                        0.25)))),
                new OptionRun(List.of("--low", "-1", "--high", "2", "--zbox-bias", "as-neuron"),
                        m -> dtdPreset(m, Rules.zBox(-1, 2).withPositiveBias()),
                        Map.of("--low/--high", m -> dtdPreset(m, unit.withPositiveBias()),
                                "--zbox-bias", m -> dtdPreset(m, Rules.zBox(-1, 2)))),
                new OptionRun(List.of("--low", "0", "--high", "1", "--bias", "ignore", "--stabilizer", "0.5"),
                        m -> dtdPreset(m, unit).biasPolicy(BiasPolicy.IGNORE).stabilizer(0.5),
                        Map.of("--bias", m -> dtdPreset(m, unit).stabilizer(0.5),
                                "--stabilizer", m -> dtdPreset(m, unit).biasPolicy(BiasPolicy.IGNORE))),
                new OptionRun(List.of("--low", "0", "--high", "1", "--batchnorm", "bypass", "--maxpool", "proportional"),
                        m -> dtdPreset(m, unit).batchNorm(BatchNormMode.BYPASS).maxPool(MaxPoolMode.PROPORTIONAL),
                        Map.of("--batchnorm bypass", m -> dtdPreset(m, unit).maxPool(MaxPoolMode.PROPORTIONAL),
                                "--maxpool", m -> dtdPreset(m, unit).batchNorm(BatchNormMode.BYPASS))),
                new OptionRun(List.of("--low", "0", "--high", "1", "--batchnorm", "affine", "--sum-split", "positive"),
                        m -> dtdPreset(m, unit).batchNorm(BatchNormMode.AFFINE).sumSplit(SumSplit.POSITIVE),
                        Map.of("--batchnorm affine", m -> dtdPreset(m, unit).sumSplit(SumSplit.POSITIVE),
                                "--sum-split", m -> dtdPreset(m, unit).batchNorm(BatchNormMode.AFFINE))),
                new OptionRun(List.of("--low", "0", "--high", "1", "--dtype", "float64", "--target",
                        Integer.toString(target)),
                        m -> dtdPreset(m, unit).precision(Precision.FLOAT64),
                        Map.of("--target", m -> dtdPreset(m, unit).precision(Precision.FLOAT64))));
        for (OptionRun run : runs) {
            String what = String.join(" ", run.args());
            Path out = dir.resolve("rules-" + Math.abs(what.hashCode()) + ".npy");
            List<String> args = new ArrayList<>(List.of("explain", "--model", RULES_MODEL.toString(), "--input",
                    input.toString(), "--out", out.toString()));
            args.addAll(run.args());
            Run r = dtd(args.toArray(String[]::new));
            assertThat(r.exit()).as(what + ": " + r.err()).isZero();
            boolean targeted = run.args().contains("--target");
            Explainer expected = run.expected().apply(g);
            DataType dt = expected.precision().dataType();
            INDArray cli = Npy.read(out);
            assertThat(cli.dataType()).as(what).isEqualTo(dt);
            try (Explanation e = targeted ? expected.explain(x.castTo(dt), target) : expected.explain(x.castTo(dt))) {
                double scale = e.inputRelevance().amaxNumber().doubleValue();
                assertThat(scale).as("%s: a heatmap that is not all zero", what).isPositive();
                assertThat(cli.sub(e.inputRelevance()).amaxNumber().doubleValue()).as("%s: CLI vs library", what)
                        .isLessThanOrEqualTo((dt == DataType.DOUBLE ? 1e-10 : 1e-5) * scale);
                for (int i = 0; i < 2; i++) {
                    assertThat(r.out()).as(what).contains("class " + e.targets()[i]);
                }
                for (Map.Entry<String, Function<Graph, Explainer>> w : run.without().entrySet()) {
                    Explainer other = w.getValue().apply(g);
                    try (Explanation o = w.getKey().equals("--target") ? other.explain(x.castTo(dt))
                            : targeted ? other.explain(x.castTo(other.precision().dataType()), target)
                            : other.explain(x.castTo(other.precision().dataType()))) {
                        assertThat(e.inputRelevance().sub(o.inputRelevance().castTo(dt)).amaxNumber().doubleValue())
                                .as("%s: the result without %s differs", what, w.getKey())
                                .isGreaterThan(1e-3 * scale);
                    }
                }
                if (dt == DataType.DOUBLE) {
                    // float64 changes the type and rounding only: the float32 library result is within 1e-4
                    try (Explanation f = dtdPreset(g, unit).explain(x, target)) {
                        assertThat(cli.sub(f.inputRelevance().castTo(dt)).amaxNumber().doubleValue())
                                .isLessThanOrEqualTo(1e-4 * scale);
                    }
                }
            }
        }
    }

    @Test
    void imagesAndDirectoriesGiveHeatmapPictures() throws Exception {
        Path img = png("one.png", 1);
        Path out = dir.resolve("one-heat.png");
        Run r = dtd("explain", "--model", MODEL.toString(), "--input", img.toString(), "--out", out.toString(),
                "--preprocess", "unit", "--colormap", "white-red", "--scale", "p99");
        assertThat(r.exit()).as(r.err()).isZero();
        // a 64x64 input is enlarged to 128 for display: input and heatmap side by side, a colour bar, a title above
        BufferedImage heat = ImageIO.read(out.toFile());
        assertThat(heat.getHeight()).isGreaterThan(128).isLessThan(128 + 40);
        assertThat(heat.getWidth()).isGreaterThan(2 * 128 + 4);
        // without labels the class is its index alone
        assertThat(r.out()).containsPattern("one: class \\d+, logit").doesNotContain("(class");

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
        // photo, heatmap and overlay at 224 (no enlargement), a colour bar, a title above
        BufferedImage heat = ImageIO.read(out.toFile());
        assertThat(heat.getHeight()).isGreaterThan(224).isLessThan(224 + 40);
        assertThat(heat.getWidth()).isGreaterThan(3 * 224 + 3 * 7);
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
        // 64 rows enlarged to 128 for display, under a title
        assertThat(ImageIO.read(raw.toFile()).getHeight()).isGreaterThan(128).isLessThan(128 + 40);
    }

    @Test
    void inspectAndBench() throws Exception {
        Run i = dtd("inspect", "--model", MODEL.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("/layer1/layer1.0/conv1/Conv").contains("rule z+").contains("winner-take-all");
        // what --engine auto (the default) picks, and why: this ResNet compiles
        assertThat(i.out()).contains("engine: onnxruntime (auto: every node compiles, float32)");
        assertThat(dtd("inspect", "--model", MODEL.toString(), "--engine", "nd4j").out()).contains("engine: nd4j\n");
        Run mobile = dtd("inspect", "--model", Path.of("../models/fashion-mnist/mobilenet.onnx").toAbsolutePath()
                .toString(), "--preprocess", "unit", "--grayscale", "--resize");
        assertThat(mobile.exit()).as(mobile.err()).isZero();
        assertThat(mobile.out()).contains("engine: nd4j (auto: toOnnx: ").contains("(Mul)");
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
