package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The explanation against the forward pass in one JVM, timed alternately: {@code ModernBenchmark}'s JMH runs each
 * benchmark method in a JVM of its own, and on a shared 2-core machine a JVM runs MobileNetV2's forward pass in
 * 22–31 ms or in 34–56 ms for its whole life, the explanation likewise, so the ratio of two JMH figures mixes two
 * draws of that mode. Here both passes share the JVM, and the ratio of their medians is the mode's.
 * Prints one JSON line. Run by {@code scripts/benchmark.sh modern}, which warms up for about 30 s: after ten pairs
 * the JIT still compiled 20–25 methods a second on the two cores the benchmark runs on, and MobileNetV2's median
 * explanation came out up to a third slower than after a hundred; with one thread ViT-B/16's explanation settles
 * after about fifteen calls.
 *
 * <p>Usage: {@code PairedRatio DIR MODEL ROUNDS WARMUP}
 */
public final class PairedRatio {
    private PairedRatio() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String model = args[1];
        int rounds = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        Explainer ex = ModernBenchmark.explainer(dir, model);
        INDArray x = Models.input(1);
        for (int i = 0; i < warmup; i++) {
            ex.forward(x).close();
            ex.explain(x).close();
        }
        double[] f = new double[rounds];
        double[] e = new double[rounds];
        double checksum = 0;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            INDArray logits = ex.forward(x);
            f[i] = (System.nanoTime() - t0) / 1e6;
            checksum += logits.getDouble(0, 0);
            logits.close();
            t0 = System.nanoTime();
            try (Explanation r = ex.explain(x)) {
                e[i] = (System.nanoTime() - t0) / 1e6;
                checksum += r.explainedScores()[0];
            }
        }
        Arrays.sort(f);
        Arrays.sort(e);
        // the thread setting the benchmark script chose (OMP_NUM_THREADS=1 for its one-thread rows), or ND4J's default
        String threads = System.getenv("OMP_NUM_THREADS");
        System.out.println(String.format(Locale.ROOT, "{\"model\":\"%s\",\"threads\":\"%s\",\"rounds\":%d,"
                        + "\"warmup\":%d,"
                        + "\"forward_ms\":{\"min\":%.2f,\"median\":%.2f,\"max\":%.2f},"
                        + "\"explain_ms\":{\"min\":%.2f,\"median\":%.2f,\"max\":%.2f},"
                        + "\"ratio_of_medians\":%.3f,\"ratio_of_minima\":%.3f,\"checksum\":%.6g}",
                model, threads == null ? "default" : threads, rounds, warmup, f[0], median(f), f[rounds - 1], e[0],
                median(e), e[rounds - 1], median(e) / median(f), e[0] / f[0], checksum));
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
