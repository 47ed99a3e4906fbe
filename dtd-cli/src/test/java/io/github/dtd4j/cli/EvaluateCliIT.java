package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.eval.Conservation;
import io.github.dtd4j.eval.Continuity;
import io.github.dtd4j.eval.Perturbation;
import io.github.dtd4j.eval.Randomisation;
import io.github.dtd4j.eval.RegionPerturbation;
import io.github.dtd4j.eval.Selectivity;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code dtd evaluate} from dtd.jar: on a small model and input written here, its JSON holds what dtd-eval computes
 * with the same settings; it draws the charts and the table; bad input is one line and a non-zero exit; and the
 * shipped default run (with small samples, to keep the suite short) writes one directory per model.
 */
class EvaluateCliIT {
    @TempDir
    static Path dir;
    static Path model;
    static Path input;
    static Graph graph;
    static INDArray x;

    @BeforeAll
    static void write() throws Exception {
        assertThat(Path.of(System.getProperty("dtd.jar", "target/dtd.jar"))).exists();
        model = TinyOnnx.cnn(dir.resolve("tiny.onnx"), 11);
        Random r = Nd4j.getRandomFactory().getNewRandomInstance(5);
        x = Nd4j.rand(r, 6, 1, 8, 8).castTo(DataType.FLOAT);
        input = dir.resolve("x.npy");
        Npy.write(x, input);
        graph = OnnxModels.load(model);
    }

    static void close(JsonNode got, double want, String what) {
        assertThat(got.isNumber()).as(what + " is a number: " + got).isTrue();
        assertThat(got.asDouble()).as(what).isCloseTo(want, within(1e-6 * Math.max(Math.abs(want), 1e-9)));
    }

    static void close(JsonNode got, double[] want, String what) {
        assertThat(got.size()).as(what).isEqualTo(want.length);
        for (int i = 0; i < want.length; i++) {
            close(got.get(i), want[i], what + "[" + i + "]");
        }
    }

    /** The run both tests below read: two methods, every metric, settings that differ from every default. */
    static synchronized JsonNode run() throws Exception {
        Path json = dir.resolve("tiny/evaluate-tiny.json");
        if (!Files.exists(json)) {
            Run r = DtdJar.dtd(dir, "evaluate", "--model", model.toString(), "--input", input.toString(), "--method",
                    "lrp", "--method", "gradient", "--low", "0", "--high", "1", "--dtype", "float64", "--patch", "2",
                    "--steps", "10", "--selectivity-steps", "3", "--shift", "2", "--perturbation", "uniform", "--seed",
                    "5", "--json", json.toString(), "--out", dir.resolve("tiny").toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("| lrp |", "| gradient |", "random order (baseline)");
        }
        return new ObjectMapper().readTree(Files.readString(json));
    }

    @Test
    void theNumbersAreTheLibrarys() throws Exception {
        JsonNode j = run();
        Precision p = Precision.FLOAT64;
        Perturbation pert = Perturbation.uniform(5);
        RegionPerturbation rp = RegionPerturbation.of(graph).withPrecision(p).withPerturbation(pert).withPatch(2)
                .withSteps(10);
        Selectivity sel = Selectivity.of(graph).withPrecision(p).withPerturbation(pert).withSteps(3);
        Continuity cont = Continuity.of(graph).withPrecision(p).withTranslations(2);
        Randomisation rand = Randomisation.of(graph).withPrecision(p).withSeed(5);
        Conservation cons = Conservation.of(graph).withPrecision(p);
        Map<String, Function<Graph, Attribution>> methods = Map.of(
                "lrp", g -> Methods.lrp(Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1))).precision(p)),
                "gradient", g -> Methods.gradient(g).withPrecision(p));
        assertThat(j.get("images").asInt()).isEqualTo(6);
        assertThat(j.get("seed").asLong()).isEqualTo(5);
        assertThat(j.get("dtype").asText()).isEqualTo("float64");
        assertThat(j.get("threads").asInt()).isEqualTo(1);
        assertThat(j.get("settings").get("region_perturbation").get("settings").asText()).isEqualTo(rp.settings());
        assertThat(j.get("settings").get("selectivity").get("settings").asText()).isEqualTo(sel.settings());
        assertThat(j.get("settings").get("continuity").get("settings").asText()).isEqualTo(cont.settings());
        assertThat(j.get("settings").get("randomisation").get("settings").asText()).isEqualTo(rand.settings());
        assertThat(j.get("settings").get("conservation").get("settings").asText()).isEqualTo(cons.settings());
        for (JsonNode s : j.get("settings")) {
            assertThat(s.get("images").asInt()).isEqualTo(6);
        }
        for (Map.Entry<String, Function<Graph, Attribution>> m : methods.entrySet()) {
            String n = m.getKey();
            JsonNode mj = j.get("methods").get(n);
            Attribution a = m.getValue().apply(graph);
            assertThat(mj.get("settings").asText()).isEqualTo(a.settings());
            RegionPerturbation.Result r = rp.evaluate(a, x);
            JsonNode rj = mj.get("region_perturbation");
            close(rj.get("morf"), r.morf(), n + " morf");
            close(rj.get("lerf"), r.lerf(), n + " lerf");
            close(rj.get("aopc_morf"), r.aopcMorf(), n + " aopc_morf");
            close(rj.get("aopc_lerf"), r.aopcLerf(), n + " aopc_lerf");
            close(rj.get("abpc"), r.abpc(), n + " abpc");
            assertThat(rj.get("morf").size()).isEqualTo(11);
            Selectivity.Result s = sel.evaluate(a, x);
            close(mj.get("selectivity").get("curve"), s.curve(), n + " selectivity");
            close(mj.get("selectivity").get("auc"), s.auc(), n + " auc");
            Continuity.Result c = cont.evaluate(a, x);
            close(mj.get("continuity").get("mean"), c.mean(), n + " continuity");
            close(mj.get("continuity").get("per_image"), c.perImage(), n + " continuity per image");
            Randomisation.Result ra = rand.evaluate(m.getValue(), x);
            close(mj.get("randomisation").get("spearman"), ra.spearman(), n + " spearman");
            close(mj.get("randomisation").get("spearman_abs"), ra.spearmanAbs(), n + " spearman_abs");
            assertThat(mj.get("randomisation").get("stages").size()).isEqualTo(ra.stages().size()).isEqualTo(4);
            Conservation.Result co = cons.evaluate(a, x);
            JsonNode cj = mj.get("conservation");
            close(cj.get("max_rel_error"), co.maxRelError(), n + " max_rel_error");
            close(cj.get("median_rel_error"), co.medianRelError(), n + " median_rel_error");
            close(cj.get("mean_ratio"), co.meanRatio(), n + " mean_ratio");
            close(cj.get("negative_mass"), co.negativeMass(), n + " negative_mass");
            close(cj.get("negative_elements"), co.negativeElements(), n + " negative_elements");
            for (String metric : List.of("region_perturbation", "selectivity", "continuity", "randomisation",
                    "conservation")) {
                assertThat(mj.get(metric).get("ms").asDouble()).as(n + " " + metric).isPositive();
            }
        }
        RegionPerturbation.Result random = rp.randomOrder(x, 5);
        JsonNode rj = j.get("methods").get("random").get("region_perturbation");
        close(rj.get("morf"), random.morf(), "random morf");
        close(rj.get("lerf"), random.lerf(), "random lerf");
        close(rj.get("aopc_morf"), random.aopcMorf(), "random aopc_morf");
        close(rj.get("abpc"), random.abpc(), "random abpc");
        // LRP (z^B, z+) on a ReLU network is positive; conservative up to what the biases take
        assertThat(j.get("methods").get("lrp").get("conservation").get("negative_mass").asDouble()).isZero();
    }

    @Test
    void theChartsAndTheTableNameTheMethods() throws Exception {
        run();
        Path out = dir.resolve("tiny");
        for (String png : List.of("morf.png", "lerf.png", "selectivity.png", "randomisation.png", "continuity.png",
                "compare.png")) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).as(png).isGreaterThan(200);
            assertThat(img.getHeight()).as(png).isGreaterThan(100);
        }
        String md = Files.readString(out.resolve("results.md"));
        assertThat(md).contains("| lrp |", "| gradient |", "| random order (baseline) |", "AOPC MoRF", "ABPC",
                "selectivity AUC", "continuity", "Spearman", "max rel. error", "negative mass",
                "region-perturbation on the first 6 images: patch=2, steps=10");
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("evaluate.json")));
        assertThat(j.get("methods").has("lrp")).isTrue();
        assertThat(j.get("files").toString()).contains("morf.png", "compare.png");
    }

    @Test
    void badInputIsOneLineAndANonZeroExit() throws Exception {
        String m = model.toString();
        String in = input.toString();
        Path a = DtdJar.png(dir, "mixed/a.png", 1);
        BufferedImage small = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        ImageIO.write(small, "png", dir.resolve("mixed/b.png").toFile());
        Object[][] cases = {
                {List.of("--patch", "9"), "the patch 9x9 is larger than the image 8x8"},
                {List.of("--patch", "4", "--steps", "5"), "between 1 and the number of 4x4 patches, 4, got 5"},
                {List.of("--metric", "faithfulness"), "unknown metric 'faithfulness'"},
                {List.of("--method", "lrp,gradcam"), "unknown method 'gradcam'"},
                {List.of("--method", "crp"), "--method crp needs --layer"},
                {List.of("--input", a.getParent().toString(), "--preprocess", "unit"),
                        "the images differ in size: a.png is 1x64x64, b.png is 1x32x32"},
                {List.of("--input", a.toString()), "the images are 3x224x224 after --preprocess imagenet, the model"
                        + " takes 1x8x8"},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            List<String> extra = (List<String>) c[0];
            List<String> args = new java.util.ArrayList<>(List.of("evaluate", "--model", m, "--out",
                    dir.resolve("bad").toString(), "--method", "gradient"));
            if (!extra.contains("--input")) {
                args.addAll(List.of("--input", in));
            }
            args.addAll(extra);
            Run r = DtdJar.dtd(dir, args.toArray(String[]::new));
            assertThat(r.exit()).as(extra + ": " + r.err()).isNotZero();
            assertThat(r.err()).as(extra.toString()).startsWith("dtd: ").contains((String) c[1])
                    .doesNotContain("\tat ");
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        }
    }

    /**
     * The shipped run, as {@code dtd evaluate} without arguments runs it but on a few images per metric (the full run
     * is the few-minute job the README times): every method but activation-maximization on both models.
     */
    @Test
    void theShippedRunWritesADirectoryPerModel() throws Exception {
        Path out = dir.resolve("shipped");
        Run r = DtdJar.dtd(dir, "evaluate", "--out", out.toString(), "--sample",
                "region-perturbation=3,selectivity=2,continuity=1,randomisation=2,conservation=4", "--steps", "4",
                "--selectivity-steps", "2", "--ig-steps", "4");
        assertThat(r.exit()).as(r.err()).isZero();
        String top = Files.readString(out.resolve("results.md"));
        assertThat(top).contains("## vgg", "## resnet", "activation-maximization: not evaluated");
        for (String name : MethodRegistry.availableNames()) {
            if (!name.equals("activation-maximization")) {
                assertThat(top).contains("| " + name + " |");
            }
        }
        for (String m : EvaluateCommand.SHIPPED_MODELS) {
            JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve(m).resolve("evaluate.json")));
            assertThat(j.get("settings").get("region_perturbation").get("images").asInt()).isEqualTo(3);
            assertThat(j.get("settings").get("region_perturbation").get("settings").asText())
                    .startsWith("patch=" + EvaluateCommand.DEFAULT_PATCH + ", steps=4");
            assertThat(j.get("settings").get("conservation").get("images").asInt()).isEqualTo(4);
            assertThat(j.get("methods").get("random").get("region_perturbation").get("morf").size()).isEqualTo(5);
            assertThat(j.get("methods").get("lrp").get("conservation").get("max_rel_error").isNumber()).isTrue();
            for (String png : List.of("morf.png", "lerf.png", "selectivity.png", "randomisation.png",
                    "continuity.png", "compare.png", "results.md", "evaluate.json")) {
                assertThat(out.resolve(m).resolve(png)).as(m + "/" + png).isNotEmptyFile();
            }
        }
        // CAM needs global average pooling then one dense layer: the ResNet has it, the VGG does not
        JsonNode vgg = new ObjectMapper().readTree(Files.readString(out.resolve("vgg/evaluate.json")));
        JsonNode resnet = new ObjectMapper().readTree(Files.readString(out.resolve("resnet/evaluate.json")));
        assertThat(vgg.get("methods").get("cam").get("skipped").asText()).contains("global average pooling");
        assertThat(resnet.get("methods").get("cam").has("region_perturbation")).isTrue();
    }
}
