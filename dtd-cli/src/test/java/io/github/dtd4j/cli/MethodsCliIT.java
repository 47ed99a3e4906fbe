package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.Quadrature;
import io.github.dtd4j.methods.SmoothGrad;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Rules;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code dtd explain --method} for every method this build has, and {@code dtd compare}, run from dtd.jar: the
 * written {@code .npy} is what the library computes with the same settings on the same model file and input.
 */
class MethodsCliIT {
    @TempDir
    static Path dir;
    static Graph graph;
    static INDArray x;
    static Path baseline;

    @BeforeAll
    static void load() {
        assertThat(Path.of(System.getProperty("dtd.jar", "target/dtd.jar"))).exists();
        graph = OnnxModels.load(DtdCliIT.MODEL);
        x = Npy.read(DtdCliIT.INPUT);
        // a baseline of the input's shape without the batch: a grey picture
        baseline = dir.resolve("grey.npy");
        Npy.write(Nd4j.valueArrayOf(graph.inputShape().withBatch(1), 0.25).castTo(DataType.FLOAT)
                .reshape(graph.inputShape().dims()), baseline);
    }

    /**
     * One method on the command line and in the library.
     *
     * @param method  --method
     * @param options its options
     * @param start   what --target means
     * @param library the same method made by the library
     */
    record Case(String method, List<String> options, Start start, Function<Graph, Attribution> library) {
    }

    static List<Case> cases() {
        // a convolution's output with more than one position, for the methods that read a layer
        String conv = graph.nodes().stream().filter(n -> n.layer() instanceof io.github.dtd4j.graph.Conv2d)
                .filter(n -> n.outputShape().rank() == 3 && n.outputShape().dim(1) * n.outputShape().dim(2) > 1)
                .reduce((a, b) -> b).orElseThrow().name();
        return List.of(
                new Case("lrp", List.of("--rule", "epsilon", "--epsilon", "0.1", "--target", "3"), Start.classes(3),
                        g -> Methods.lrp(Explainer.of(g).rule(Selector.all(), Rules.epsilon(0.1)))),
                new Case("gradient", List.of("--target", "3"), Start.classes(3), Methods::gradient),
                new Case("sensitivity", List.of(), Start.topClass(), Methods::sensitivity),
                new Case("gradient-input", List.of("--dtype", "float64"), Start.topClass(),
                        g -> Methods.gradientInput(g).withPrecision(Precision.FLOAT64)),
                new Case("integrated-gradients", List.of("--steps", "12", "--ig-method", "riemann-middle", "--baseline",
                        baseline.toString(), "--internal-batch-size", "5"), Start.topClass(),
                        g -> Methods.integratedGradients(g).withSteps(12).withQuadrature(Quadrature.RIEMANN_MIDDLE)
                                .withBaseline(Npy.read(baseline)).withInternalBatchSize(5)),
                new Case("smoothgrad", List.of("--samples", "3", "--noise", "0.1", "--seed", "7", "--smoothgrad-variant",
                        "vargrad"), Start.topClass(), g -> Methods.smoothGrad(g).withSamples(3).withNoise(0.1).withSeed(7)
                        .withVariant(SmoothGrad.Variant.VARGRAD)),
                new Case("guided-backprop", List.of(), Start.topClass(), Methods::guidedBackprop),
                new Case("deconvnet", List.of("--target", "1"), Start.classes(1), Methods::deconvnet),
                new Case("cam", List.of("--target", "2"), Start.classes(2), Methods::cam),
                new Case("grad-cam", List.of(), Start.topClass(), Methods::gradCam),
                new Case("grad-cam-pp", List.of("--layer", conv), Start.topClass(),
                        g -> Methods.gradCamPlusPlus(g).withLayer(conv)),
                new Case("guided-grad-cam", List.of(), Start.topClass(), Methods::guidedGradCam),
                new Case("deeplift", List.of("--baseline", baseline.toString()), Start.topClass(),
                        g -> Methods.deepLift(g).withBaseline(Npy.read(baseline))),
                new Case("occlusion", List.of("--window", "4", "--stride", "3"), Start.topClass(),
                        g -> Methods.occlusion(g).withWindow(4).withStride(3)),
                new Case("taylor", List.of("--dtype", "float64"), Start.topClass(),
                        g -> Methods.taylor(g).withPrecision(Precision.FLOAT64)),
                new Case("activation-maximization", List.of("--target", "0"), Start.classes(0),
                        Methods::activationMaximization),
                new Case("crp", List.of("--rule", "zplus", "--layer", conv, "--channels", "0,1"), Start.topClass(),
                        g -> Methods.crp(Explainer.of(g).rule(Selector.all(), Rules.Z_PLUS)).withLayer(conv)
                                .withChannels(0, 1)));
    }

    @Test
    void everyMethodWritesWhatTheLibraryComputes() throws Exception {
        Set<String> tested = new TreeSet<>();
        for (Case c : cases()) {
            Path out = dir.resolve(c.method() + ".npy");
            List<String> args = new ArrayList<>(List.of("explain", "--method", c.method(), "--model",
                    DtdCliIT.MODEL.toString(), "--input", DtdCliIT.INPUT.toString(), "--out", out.toString()));
            args.addAll(c.options());
            Run r = DtdJar.dtd(dir, args.toArray(String[]::new));
            assertThat(r.exit()).as(c.method() + ": " + r.err()).isZero();
            INDArray cli = Npy.read(out);
            try (Attributions lib = c.library().apply(graph).attribute(x, c.start())) {
                INDArray want = lib.attribution();
                assertThat(cli.shape()).as(c.method()).isEqualTo(want.shape());
                assertThat(cli.dataType()).as(c.method()).isEqualTo(want.dataType());
                double scale = want.amaxNumber().doubleValue();
                assertThat(scale).as(c.method()).isGreaterThan(0);
                assertThat(cli.sub(want).amaxNumber().doubleValue()).as(c.method()).isLessThanOrEqualTo(1e-5 * scale);
                assertThat(r.out()).as(c.method()).contains("class " + lib.targets()[0]);
            }
            if (c.method().equals("integrated-gradients")) {
                assertThat(r.out()).contains("convergence delta");
            }
            tested.add(c.method());
        }
        assertThat(tested).containsExactlyInAnyOrderElementsOf(MethodRegistry.availableNames());
    }

    @Test
    void anotherMethodsHeatmapIsAPicture() throws Exception {
        Path img = DtdJar.png(dir, "methods-one.png", 5);
        Path out = dir.resolve("ig-heat.png");
        Run r = DtdJar.dtd(dir, "explain", "--method", "integrated-gradients", "--steps", "4", "--model",
                DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out", out.toString(), "--preprocess", "unit");
        assertThat(r.exit()).as(r.err()).isZero();
        // input and heatmap enlarged from 64 to 128 for display, a colour bar, a title above
        BufferedImage heat = ImageIO.read(out.toFile());
        assertThat(heat.getHeight()).isGreaterThan(128).isLessThan(128 + 40);
        assertThat(heat.getWidth()).isGreaterThan(2 * 128 + 4);
    }

    @Test
    void compareByDefaultDrawsThePapersNetworkAndTimesEachMethod() throws Exception {
        Path png = dir.resolve("default/compare.png");
        Path json = dir.resolve("default/compare.json");
        Run r = DtdJar.dtd(dir, "compare", "--out", png.toString(), "--json", json.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        BufferedImage panel = ImageIO.read(png.toFile());
        // 12 pairs of 56×28 pixels drawn twice as large, and 9 rows: the inputs and 8 methods
        assertThat(panel.getWidth()).isGreaterThan(ComparePanel.LABEL_WIDTH + 12 * 112);
        assertThat(panel.getHeight()).isGreaterThan(9 * 56);
        JsonNode j = new ObjectMapper().readTree(Files.readString(json));
        assertThat(j.get("inputs").asInt()).isEqualTo(12);
        List<String> names = new ArrayList<>();
        for (JsonNode m : j.get("methods")) {
            names.add(m.get("method").asText());
            assertThat(m.get("ms").asDouble()).isPositive();
            assertThat(m.get("settings").asText()).isNotEmpty();
            assertThat(m.get("targets").size()).isEqualTo(12);
        }
        assertThat(names).containsExactlyElementsOf(MethodRegistry.DEFAULT_COMPARISON);
        assertThat(j.get("methods").get(0).get("settings").asText()).isEqualTo("all -> z+, first -> zB[-0.5,1.5]");
        assertThat(j.get("methods").get(4).get("settings").asText()).isEqualTo("steps=50, gausslegendre, baseline zero");
        assertThat(j.get("methods").get(4).get("convergence_delta").size()).isEqualTo(12);
        assertThat(r.out()).contains("integrated-gradients", "wrote");
    }

    @Test
    void compareOnAModelFileWithOptions() throws Exception {
        Path png = dir.resolve("resnet.png");
        Path json = dir.resolve("resnet.json");
        Run r = DtdJar.dtd(dir, "compare", "--model", DtdCliIT.MODEL.toString(), "--input", DtdCliIT.INPUT.toString(),
                "--methods", "lrp,gradient,integrated-gradients", "--steps", "4", "--low", "0", "--high", "1",
                "--target", "2", "--out", png.toString(), "--json", json.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        BufferedImage panel = ImageIO.read(png.toFile());
        assertThat(panel.getWidth()).isEqualTo(ComparePanel.LABEL_WIDTH + 2 * (64 + 4) + 6);
        JsonNode j = new ObjectMapper().readTree(Files.readString(json));
        assertThat(j.get("methods").size()).isEqualTo(3);
        assertThat(j.get("methods").get(2).get("settings").asText()).startsWith("steps=4,");
        assertThat(j.get("methods").get(1).get("targets").get(0).asInt()).isEqualTo(2);
    }
}
