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
        Explainer ex = r.explainer(g);
        INDArray x = input != null ? Npy.read(input) : synthetic(g, r);
        // Explainer.forward is the forward pass explain runs (same graph, dtype and input checks), without the
        // relevance: the ratio of the two is what explaining costs over predicting
        for (int i = 0; i < warmup; i++) {
            ex.forward(x);
            ex.explain(x).close();
        }
        double[] fwd = new double[repeat];
        double[] exp = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            ex.forward(x);
            long t1 = System.nanoTime();
            try (Explanation e = ex.explain(x)) {
                long t2 = System.nanoTime();
                fwd[i] = (t1 - t0) / 1e6;
                exp[i] = (t2 - t1) / 1e6;
            }
        }
        java.util.Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        ObjectNode j = Json.object();
        j.put("model", model.toString());
        j.put("batch", x.size(0));
        j.put("repeat", repeat);
        j.put("dtype", ex.precision().dataType().toString());
        j.put("forward_ms_median", Json.fixed(median(fwd), 3));
        j.put("explain_ms_median", Json.fixed(median(exp), 3));
        j.put("explain_over_forward", Json.fixed(median(exp) / median(fwd), 3));
        j.put("peak_rss_mb", peakRssMb());
        j.set("threads", threads(env.get("omp.threads")));
        j.put("backend", Backend.isOneDnn() ? "nd4j-cpu-onednn" : Backend.nativeLibrary());
        j.put("rules", ex.coverage().rows().stream().filter(row -> row.propagation().startsWith("rule "))
                .map(row -> row.propagation().substring(5)).distinct().reduce((a, b) -> a + ", " + b).orElse(""));
        spec.commandLine().getOut().println(Json.compact(j));
        spec.commandLine().getOut().flush();
        return 0;
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
