package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Memory figures for the performance report, as JSON on stdout: peak RSS while explaining VGG16 at batch 8, and the
 * RSS trend over many consecutive ResNet-50 explanations (RSS after the 50th and after the last).
 * Arguments: {@code [vgg16 batch-8 runs] [resnet50 consecutive explanations]}, default 5 and 1000; a count of 0
 * skips that part, so that each can run in a JVM of its own (the peak of one must not include the other).
 */
public final class MemoryCheck {
    private MemoryCheck() {
    }

    static long kb(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** @param args VGG16 runs, ResNet-50 runs @throws IOException reading /proc */
    public static void main(String[] args) throws IOException {
        int vggRuns = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int soak = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        StringBuilder json = new StringBuilder("{");
        if (vggRuns > 0) {
            Explainer vgg = Models.explainer(Models.graph("vgg16"), "dtd");
            INDArray x8 = Models.input(8);
            vgg.coverage(); // compile (cast, fold) before the baseline
            // building 138 M random weights leaves ~0.5 GB of Java-heap garbage; a real model's loader leaves its
            // own, and neither belongs to the explanation's footprint
            System.gc();
            long baseline = kb("VmRSS:");
            for (int i = 0; i < vggRuns; i++) {
                vgg.explain(x8).close();
            }
            json.append(String.format(Locale.ROOT, "\"vgg16_batch8_peak_rss_mb\": %d, \"vgg16_rss_before_mb\": %d",
                    kb("VmHWM:") / 1024, baseline / 1024));
        }
        if (soak > 0) {
            soak(soak, json);
        }
        System.out.println(json.append('}'));
    }

    private static void soak(int soak, StringBuilder json) throws IOException {
        Explainer res = Models.explainer(Models.graph("resnet50"), "dtd");
        INDArray x1 = Models.input(1);
        long at50 = 0;
        long t0 = System.nanoTime();
        for (int i = 1; i <= soak; i++) {
            try (Explanation e = res.explain(x1)) {
                if (!Double.isFinite(e.explainedScores()[0])) {
                    throw new IllegalStateException("non-finite score");
                }
            }
            if (i == Math.min(50, soak)) {
                at50 = kb("VmRSS:");
            }
        }
        long last = kb("VmRSS:");
        json.append(json.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, "\"resnet50_explanations\": %d, "
                        + "\"rss_after_50_mb\": %d, \"rss_after_last_mb\": %d, \"ratio\": %.3f, \"seconds\": %.1f",
                soak, at50 / 1024, last / 1024, (double) last / at50, (System.nanoTime() - t0) / 1e9));
    }
}
