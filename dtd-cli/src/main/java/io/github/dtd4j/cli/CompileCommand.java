package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.graph.Graph;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dtd compile}: the explainer that {@code dtd explain} would run (the same rule and preprocessing options),
 * compiled into one standalone ONNX graph, with a JSON beside it that says what it computes.
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile the explanation (forward pass, start relevance, relevance sweep, ledger sums) into one"
                + " ONNX graph that any ONNX runtime runs; writes FILE.onnx and FILE.json (FILE.onnx.data beside it"
                + " for weights past 1 GB).")
final class CompileCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE.onnx", description = "the compiled explainer")
    Path out;

    @Option(names = "--input-shape", paramLabel = "C,H,W",
            description = "the per-sample input shape of a DL4J model zip (DL4J does not keep it for images)")
    String inputShape;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Mixin
    RuleOptionsMixin rules;

    @Mixin
    Preprocessing preprocessing;

    @Override
    public Integer call() {
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            throw new CliException("--out: expected a file name ending in .onnx, got '" + out + "'");
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new CliException("--out: the directory " + dir + " does not exist");
        }
        preprocessing.validate();
        RuleOptions r = rules.options;
        r.defaultBounds = preprocessing.bounds(false);
        Graph g = ModelFiles.load(model, inputShape);
        Explainer ex = r.explainer(g);
        long t0 = System.nanoTime();
        List<Path> written = ex.writeOnnx(out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String name = out.getFileName().toString();
        Path json = out.resolveSibling(name.substring(0, name.length() - ".onnx".length()) + ".json");
        Outputs.atomically(json, p -> {
            try {
                Files.writeString(p, Json.pretty(describe(ex, written)) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        spec.commandLine().getOut().printf(Locale.ROOT, "dtd compile: wrote %s (%,d bytes%s) and %s in %.1f s%n",
                out, sizeOf(written.get(0)), written.size() > 1 ? ", weights in " + written.get(1).getFileName() : "",
                json.getFileName(), seconds);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private ObjectNode describe(Explainer ex, List<Path> written) {
        ObjectNode j = Json.object();
        j.put("file", written.get(0).getFileName().toString());
        if (written.size() > 1) {
            j.put("external_data", written.get(1).getFileName().toString());
        }
        j.put("made_by", "dtd compile --model " + model + " (dtd4j, Explainer.writeOnnx)");
        j.put("opset", 17);
        Map<String, String> meta = ex.onnxMetadata();
        j.put("conventions", meta.get("dtd4j.conventions"));
        ObjectNode inputs = j.putObject("inputs");
        String dt = ex.precision() == io.github.dtd4j.graph.Precision.FLOAT64 ? "float64" : "float32";
        Graph g = ex.compiledGraph();
        inputs.put("input", dt + " " + g.inputShape().toBatchString() + ": the model's input, preprocessed as "
                + preprocessing.describe());
        inputs.put("target", "int64 [N]: the class to explain; -1 the element's top class; -2 the row of 'start'"
                + " as the start relevance; -3 one (not the logit) at the top class");
        inputs.put("start", dt + " " + g.outputShape().toBatchString()
                + ": start relevance rows for the elements whose target is -2 (zeros otherwise)");
        ObjectNode outputs = j.putObject("outputs");
        outputs.put("logits", dt + " " + g.outputShape().toBatchString());
        outputs.put("relevance", dt + " " + g.inputShape().toBatchString() + ": the input relevance (the heatmap"
                + " before summing channels)");
        outputs.put("targets", "int64 [N]: the explained class of each element");
        outputs.put("ledger", "float64 [N, M]: per element the start sum, the input sum, then per node (order in"
                + " 'ledger') arrived, passed on, absorbed by bias terms, absorbed by the stabilizer, then the"
                + " branches of nodes with several inputs");
        if (r().low != null || r().defaultBounds != null) {
            var box = r().zBox();
            ArrayNode low = j.putArray("zbox_low");
            for (double v : box.low()) {
                low.add(v);
            }
            ArrayNode high = j.putArray("zbox_high");
            for (double v : box.high()) {
                high.add(v);
            }
        }
        ArrayNode rules = j.putArray("rules");
        for (Coverage.Row row : ex.coverage().rows()) {
            ObjectNode o = rules.addObject();
            o.put("node", row.node());
            o.put("kind", row.kind());
            o.put("propagation", row.propagation());
            o.put("why", row.reason());
        }
        j.put("settings", meta.get("dtd4j.settings"));
        return j;
    }

    private RuleOptions r() {
        return rules.options;
    }
}
