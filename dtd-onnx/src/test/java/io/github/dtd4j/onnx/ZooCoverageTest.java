package io.github.dtd4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The zoo coverage test: every classification model of the installed torchvision, as torchvision defines it (full
 * size, random weights), exported by {@code src/test/fixtures/zoo_coverage.py} at opset 17 with constant folding, is
 * imported, its logits compared with torch's, and explained (DTD, z^B on [0,1] below z⁺). The outcome of every model —
 * "works", or the reason it does not — is written to {@code target/zoo/coverage.json} and must equal the committed
 * list {@code docs/results/zoo-coverage.json}, so that a model that stops working, or starts to, changes the list in
 * the same commit. The models are too large for the repository: the test runs only where {@code /usr/bin/python3}
 * has torch and torchvision and {@code -Ddtd.zoo=true} asks for it ({@code scripts/zoo-coverage.sh}), and otherwise
 * says that it was skipped and why.
 */
class ZooCoverageTest {
    private static final Path OUT = Path.of("target/zoo").toAbsolutePath();
    private static final Path COMMITTED = Path.of("../docs/results/zoo-coverage.json").toAbsolutePath().normalize();

    static boolean torchPresent() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, torchvision").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void everyTorchvisionClassificationModelImportsAndExplains() throws Exception {
        boolean asked = Boolean.getBoolean("dtd.zoo");
        boolean torch = asked && torchPresent();
        if (!asked || !torch) {
            String why = !asked ? "not asked for (-Ddtd.zoo=true, or scripts/zoo-coverage.sh)"
                    : "/usr/bin/python3 has no torch/torchvision (apt-get install python3-torch python3-torchvision)";
            System.out.println("[zoo coverage] SKIPPED: " + why + "; the last full run is docs/results/zoo-coverage.json");
            Assumptions.abort("zoo coverage skipped: " + why);
        }
        Files.createDirectories(OUT);
        String only = System.getProperty("dtd.zoo.models", "");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "src/test/fixtures/zoo_coverage.py", OUT.toString()));
        if (!only.isBlank()) {
            cmd.addAll(List.of(only.split(",")));
        }
        Process export = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(OUT.resolve("export.log").toFile()).start();
        assertThat(export.waitFor(3, TimeUnit.HOURS)).as("the export finished").isTrue();
        assertThat(export.exitValue()).as("zoo_coverage.py exit status (see target/zoo/export.log)").isZero();

        ObjectMapper json = new ObjectMapper();
        JsonNode listed = json.readTree(OUT.resolve("models.json").toFile());
        Map<String, ObjectNode> results = new LinkedHashMap<>();
        for (JsonNode n : listed.get("models")) {
            String name = n.asText();
            ObjectNode row = one(json, name);
            results.put(name, row);
            System.out.println("[zoo coverage] " + name + ": " + row.get("status").asText()
                    + (row.has("reason") ? " (" + row.get("reason").asText() + ")" : ""));
        }
        ObjectNode report = json.createObjectNode();
        report.put("made_by", "dtd-onnx ZooCoverageTest via scripts/zoo-coverage.sh");
        report.put("torch", listed.get("torch").asText());
        report.put("torchvision", listed.get("torchvision").asText());
        report.put("export", "src/test/fixtures/zoo_coverage.py: weights=None, seed 0, eval, [1,3,224,224] "
                + "(299 for Inception v3), opset 17, do_constant_folding=True");
        report.put("check", "imported by OnnxModels.load; logits within 1e-3 of the largest |torch logit|; explained "
                + "with Presets.dtd(Rules.zBox(0, 1)) in float32: heatmap finite and not all zero, relevance conserved "
                + "to 1e-3 of the logit once the ledger's bias and stabilizer shares are counted");
        ObjectNode models = report.putObject("models");
        results.forEach(models::set);
        Files.writeString(OUT.resolve("coverage.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(report)
                + "\n");
        long works = results.values().stream().filter(r -> r.get("status").asText().equals("works")).count();
        System.out.println("[zoo coverage] " + works + " of " + results.size() + " work; target/zoo/coverage.json");

        if (only.isBlank()) {
            assertThat(Files.exists(COMMITTED)).as("the committed list " + COMMITTED).isTrue();
            Map<String, String> expected = statuses(json.readTree(COMMITTED.toFile()).get("models"));
            Map<String, String> got = statuses(models);
            assertThat(got).as("status by model, against the committed docs/results/zoo-coverage.json (copy "
                    + "target/zoo/coverage.json there when a change is intended)").isEqualTo(expected);
        }
    }

    private static Map<String, String> statuses(JsonNode models) {
        Map<String, String> m = new TreeMap<>();
        models.properties().forEach(e -> m.put(e.getKey(), e.getValue().get("status").asText()));
        return m;
    }

    /** Imports, checks and explains one exported model; never throws for a model that fails. */
    private static ObjectNode one(ObjectMapper json, String name) throws IOException {
        ObjectNode row = json.createObjectNode();
        JsonNode meta = json.readTree(OUT.resolve(name + ".json").toFile());
        if (meta.has("parameters")) {
            row.put("parameters", meta.get("parameters").asLong());
        }
        if (meta.has("export_error")) {
            return row.put("status", "export failed").put("reason", "torch.onnx.export: " + meta.get("export_error").asText());
        }
        if (meta.has("skipped")) {
            return row.put("status", "skipped").put("reason", meta.get("skipped").asText());
        }
        Path onnx = OUT.resolve(name + ".onnx");
        try {
            long t0 = System.nanoTime();
            Graph g = OnnxModels.load(onnx);
            row.put("import_seconds", round((System.nanoTime() - t0) / 1e9));
            row.put("nodes", g.nodes().size());
            row.put("kinds", g.nodes().stream().map(n -> n.kind()).distinct().sorted().collect(Collectors.joining(",")));
            INDArray x = Npy.read(OUT.resolve(name + ".input.npy"));
            INDArray torchLogits = Npy.read(OUT.resolve(name + ".logits.npy")).castTo(DataType.DOUBLE);
            Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)));
            INDArray ours = ex.forward(x).castTo(DataType.DOUBLE);
            double scale = Math.max(1e-6, torchLogits.amaxNumber().doubleValue());
            double diff = ours.sub(torchLogits).amaxNumber().doubleValue();
            row.put("logit_difference", diff / scale);
            if (!(diff <= 1e-3 * scale)) {
                return row.put("status", "wrong logits").put("reason", "max |ours − torch| = " + diff + ", "
                        + "largest |logit| " + scale);
            }
            t0 = System.nanoTime();
            double logit = ours.getDouble(0, ours.getRow(0).argMax().getInt(0));
            if (Math.abs(logit) < 1e-4) {
                // an untrained network can shrink its activations to nothing (EfficientNet's logits are ~1e-14 at
                // torchvision's initialisation): below the default stabilizer ε = 1e-6 every denominator is, and ε
                // takes all the relevance. Such a model is explained in float64 with ε scaled to its logit.
                double eps = 1e-9 * Math.max(Math.abs(logit), 1e-300);
                ex = ex.precision(io.github.dtd4j.graph.Precision.FLOAT64).stabilizer(eps);
                x = x.castTo(DataType.DOUBLE);
                row.put("note", "logit " + logit + " at torchvision's initialisation: explained in float64 with "
                        + "stabilizer " + eps);
            }
            try (Explanation e = ex.explain(x)) {
                row.put("explain_seconds", round((System.nanoTime() - t0) / 1e9));
                INDArray r = e.inputRelevance();
                double sum = r.sumNumber().doubleValue();
                double start = e.ledger().start()[0];
                double booked = e.ledger().absorbedByBias()[0] + e.ledger().absorbedByStabilizer()[0];
                double gap = Math.abs(sum + booked - start);
                row.put("relevance_sum", sum).put("logit", start).put("booked", booked);
                if (!Double.isFinite(sum) || r.amaxNumber().doubleValue() == 0) {
                    return row.put("status", "bad heatmap").put("reason", "heatmap not finite or all zero");
                }
                if (!(gap <= 1e-3 * Math.max(Math.abs(start), 1e-300))) {
                    return row.put("status", "not conserved").put("reason", "|Σ R + booked − logit| = " + gap);
                }
            }
            return row.put("status", "works");
        } catch (UnsupportedModelException e) {
            Map<String, Integer> byReason = new TreeMap<>();
            for (UnsupportedModelException.Part p : e.parts()) {
                byReason.merge(p.operator() + ": " + p.reason(), 1, Integer::sum);
            }
            return row.put("status", "unsupported").put("reason", byReason.entrySet().stream()
                    .map(en -> en.getKey() + (en.getValue() > 1 ? " (" + en.getValue() + " nodes)" : ""))
                    .collect(Collectors.joining("; ")));
        } catch (Dtd4jException | OutOfMemoryError e) {
            return row.put("status", "error").put("reason", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static double round(double s) {
        return Math.round(s * 100) / 100.0;
    }
}
