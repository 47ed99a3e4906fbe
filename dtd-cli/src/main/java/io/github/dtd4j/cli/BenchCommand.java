package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.github.dtd4j.Backend;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd bench}: forward and explanation times for a model, as one JSON object. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the forward pass and the explanation of a model; prints one JSON object.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--input", paramLabel = "PATH.npy", description = "input tensor; default: a seeded random input inside the first rule's domain")
    Path input;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "batch size for a synthetic input (default 1)")
    int batch;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "10", description = "timed runs after the warm-up (default 10)")
    int repeat;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "2", description = "untimed runs first (default 2)")
    int warmup;

    @Option(names = "--input-shape", paramLabel = "C,H,W",
            description = "the per-sample input shape of a DL4J model zip (DL4J does not keep it for images)")
    String inputShape;

    @Option(names = "--engines", paramLabel = "LIST", defaultValue = "nd4j,onnxruntime", split = ",",
            description = "the engines to time, side by side (default ${DEFAULT-VALUE}); one alone for its peak memory")
    List<String> engines;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Mixin
    RuleOptionsMixin rules;

    @Override
    public Integer call() {
        if (batch < 1 || repeat < 1 || warmup < 0) {
            throw new CliException("--batch and --repeat must be >= 1, --warmup >= 0");
        }
        Graph g = ModelFiles.load(model, inputShape);
        RuleOptions r = rules.options;
        if (r.low == null && r.high == null) {
            r.defaultBounds = new double[][]{{0}, {1}};
        }
        Explainer chosen = r.explainer(g);
        Explainer ex = chosen.engine(io.github.dtd4j.ExplanationEngine.ND4J);
        INDArray x = input != null ? Npy.read(input) : synthetic(g, r);
        // the reference engine: Explainer.forward is the forward pass explain runs (same graph, dtype and input
        // checks), without the relevance
        for (String e : engines) {
            if (!e.equals("nd4j") && !e.equals("onnxruntime")) {
                throw new CliException("--engines: nd4j and/or onnxruntime, got '" + e + "'");
            }
        }
        boolean timeNd4j = engines.contains("nd4j");
        boolean timeOrt = engines.contains("onnxruntime");
        Timing nd4jForward = timeNd4j ? time(() -> ex.forward(x).close()) : null;
        Timing nd4jExplain = timeNd4j ? time(() -> ex.explain(x).close()) : null;
        ObjectNode j = Json.object();
        j.put("model", model.toString());
        j.put("batch", x.size(0));
        j.put("repeat", repeat);
        j.put("dtype", ex.precision().dataType().toString());
        j.put("engine", r.engine == null ? "nd4j" : r.engine.toString());
        j.put("preset", r.preset != null ? r.preset.toString() : r.rule == null && r.convRule == null
                && r.denseRule == null && r.firstRule == null ? "dtd" : "rules");
        if (timeNd4j) {
            ObjectNode nd4j = j.putObject("nd4j");
            nd4j.set("forward_ms", nd4jForward.json());
            nd4j.set("explain_ms", nd4jExplain.json());
            nd4j.put("explain_over_forward", Json.fixed(nd4jExplain.median() / nd4jForward.median(), 3));
        }
        ObjectNode ort = timeOrt ? j.putObject("onnxruntime") : Json.object();
        Timing ortForward = null;
        Timing ortExplain = null;
        try (Explainer compiled = ex.engine(io.github.dtd4j.ExplanationEngine.ONNX_RUNTIME)) {
            if (!timeOrt) {
                throw new io.github.dtd4j.errors.ConfigurationException("not timed");
            }
            long c0 = System.nanoTime();
            compiled.explain(x).close();
            ort.put("compile_and_first_ms", Json.fixed((System.nanoTime() - c0) / 1e6, 1));
            ortExplain = time(() -> compiled.explain(x).close());
            // the explanation's own peak, before the forward pass's session adds its working memory
            ort.put("peak_rss_explain_mb", peakRssMb());
            ortForward = ortForwardTiming(compiled, x);
            ort.set("forward_ms", ortForward.json());
            ort.set("explain_ms", ortExplain.json());
            ort.put("floor_ms", Json.fixed(3 * ortForward.median(), 3));
            ort.put("explain_over_floor", Json.fixed(ortExplain.median() / (3 * ortForward.median()), 3));
            ort.put("explain_over_forward", Json.fixed(ortExplain.median() / ortForward.median(), 3));
            if (timeNd4j) {
                ort.put("nd4j_over_onnxruntime", Json.fixed(nd4jExplain.median() / ortExplain.median(), 3));
            }
        } catch (io.github.dtd4j.errors.ConfigurationException e) {
            ort.put("error", e.getMessage());
        }
        // auto: ONNX Runtime where it compiled (as Explainer's AUTO decides), else ND4J
        boolean onOrt = chosen.engine() == io.github.dtd4j.ExplanationEngine.ONNX_RUNTIME || !timeNd4j
                || (chosen.engine() == io.github.dtd4j.ExplanationEngine.AUTO && ortExplain != null
                && (r.dtype == null || r.dtype.precision == io.github.dtd4j.graph.Precision.FLOAT32));
        j.put("engine_used", onOrt ? "onnxruntime" : "nd4j");
        if (onOrt && ortExplain == null) {
            throw new CliException("--engine onnxruntime: " + ort.path("error").asText("not timed (--engines)"));
        }
        Timing fwd = onOrt ? ortForward : nd4jForward;
        Timing exp = onOrt ? ortExplain : nd4jExplain;
        j.put("forward_ms_median", Json.fixed(fwd.median(), 3));
        j.put("explain_ms_median", Json.fixed(exp.median(), 3));
        j.put("explain_over_forward", Json.fixed(exp.median() / fwd.median(), 3));
        java.util.Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        j.put("peak_rss_mb", peakRssMb());
        j.set("threads", threads(env.get("omp.threads")));
        j.put("backend", Backend.isOneDnn() ? "nd4j-cpu-onednn" : Backend.nativeLibrary());
        j.put("rules", ex.coverage().rows().stream().filter(row -> row.propagation().startsWith("rule "))
                .map(row -> row.propagation().substring(5)).distinct().reduce((a, b) -> a + ", " + b).orElse(""));
        spec.commandLine().getOut().println(Json.compact(j));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Times of repeated runs: min, median, max, and how many warm-up runs it took for them to settle. */
    record Timing(double[] ms, int warmups) {
        double median() {
            return BenchCommand.median(ms);
        }

        ObjectNode json() {
            ObjectNode o = Json.object();
            o.put("min", Json.fixed(Arrays.stream(ms).min().orElse(0), 3));
            o.put("median", Json.fixed(median(), 3));
            o.put("max", Json.fixed(Arrays.stream(ms).max().orElse(0), 3));
            o.put("warmups", warmups);
            return o;
        }
    }

    /**
     * {@return the times of {@code --repeat} runs after a warm-up that lasts at least {@code --warmup} runs and
     * until three runs in a row are within 10 % of each other (at most 30)}
     */
    private Timing time(Runnable run) {
        java.util.ArrayDeque<Double> last = new java.util.ArrayDeque<>();
        int w = 0;
        while (w < 30) {
            long t0 = System.nanoTime();
            run.run();
            last.addLast((System.nanoTime() - t0) / 1e6);
            if (last.size() > 3) {
                last.removeFirst();
            }
            w++;
            double lo = last.stream().mapToDouble(Double::doubleValue).min().orElse(0);
            double hi = last.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            if (w >= warmup && last.size() == 3 && hi <= 1.1 * lo) {
                break;
            }
        }
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            run.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return new Timing(ms, w);
    }

    /** {@return ONNX Runtime's plain forward pass of the same graph, sharing the weights: the floor's basis} */
    private Timing ortForwardTiming(Explainer ex, INDArray x) {
        return time(() -> ex.forwardOnRuntime(x).close());
    }

    private INDArray synthetic(Graph g, RuleOptions r) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(42);
        INDArray u = Nd4j.rand(rng, g.inputShape().withBatch(batch)).castTo(DataType.FLOAT);
        // inside the z^B box the explainer uses (per channel when the bounds are), so the dtd preset accepts it
        var box = r.zBox();
        INDArray lo = io.github.dtd4j.spi.Tensors.perChannel(u, box.low());
        INDArray hi = io.github.dtd4j.spi.Tensors.perChannel(u, box.high());
        return lo.add(hi.sub(lo).muli(u));
    }

    /** {@return ND4J's OpenMP thread count as a number when it is one (the backend reports it as text or number)} */
    static JsonNode threads(Object reported) {
        if (reported instanceof Number n) {
            return LongNode.valueOf(n.longValue());
        }
        if (reported == null) {
            return NullNode.getInstance();
        }
        try {
            return LongNode.valueOf(Long.parseLong(reported.toString().trim()));
        } catch (NumberFormatException e) {
            return TextNode.valueOf(reported.toString());
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
