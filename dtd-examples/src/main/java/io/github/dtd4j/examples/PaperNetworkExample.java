package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Defines the paper's §6.1 network by hand (28×56 pixels → 400 detectors sum-pooled into 100 → 400 detectors
 * sum-pooled into one output, biases ≤ 0), explains one input with Deep Taylor Decomposition (z^B on the pixels
 * with the paper's box [−0.5, 1.5], z⁺ above), and prints the heatmap and the ledger.
 *
 * <p>The weights here are random (seeded), so the heatmap shows which pixels this particular random detector
 * network responds to, not digit recognition.
 */
public final class PaperNetworkExample {
    private PaperNetworkExample() {
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Nd4j.getRandom().setSeed(2017);
        INDArray w1 = Nd4j.randn(DataType.FLOAT, 1568, 400).muli(0.05);
        INDArray b1 = Nd4j.rand(DataType.FLOAT, 400).muli(-0.2);
        INDArray w2 = Nd4j.randn(DataType.FLOAT, 100, 400).muli(0.3).addi(0.05);
        INDArray b2 = Nd4j.rand(DataType.FLOAT, 400).muli(-0.2);
        INDArray x = digitLikeInput();

        // The five lines shown in the README:
        Graph net = Graph.sequential(1568)                  // 28×56 pixels, flattened
                .dense("detect1", w1, b1).relu().sumPool(4)     // 400 detectors, pooled into 100
                .dense("detect2", w2, b2).relu().sumPool(400)   // 400 detectors, pooled into the output
                .build();
        Explanation e = Explainer.of(net).preset(Presets.dtd(-0.5, 1.5)).explain(x);

        System.out.println(net);
        System.out.printf(Locale.ROOT, "f(x) = %.4f, sum of pixel relevances = %.4f, min pixel relevance = %.3g%n%n",
                e.explainedScores()[0], e.ledger().inputSums()[0], e.inputRelevance().minNumber().doubleValue());
        System.out.println("input (28x56, '#' bright, '.' dark):");
        print(x.reshape(28, 56), -0.5, 1.5, " .:-=+*#");
        INDArray r = e.inputRelevance().reshape(28, 56);
        double max = r.maxNumber().doubleValue();
        System.out.println("\nheatmap (relevance per pixel, '@' = max " + String.format(Locale.ROOT, "%.3g", max) + "):");
        print(r, 0, max, " .:-=+*#%@");
        System.out.println("\nledger (where the relevance went):");
        for (LedgerEntry le : e.ledger().entries()) {
            System.out.printf(Locale.ROOT, "  %-10s %-8s %-18s in %9.4f  out %9.4f  bias %8.2g  stabilizer %8.2g%n",
                    le.node(), le.kind(), le.propagation(), le.in()[0], le.out()[0], le.bias()[0], le.stabilizer()[0]);
        }
        System.out.printf(Locale.ROOT, "  imbalance (f(x) - input - bias - stabilizer): %.2g%n", e.ledger().imbalance()[0]);
        System.out.println("\ncoverage:\n" + Explainer.of(net).preset(Presets.dtd(-0.5, 1.5)).coverage());
    }

    /** Two "digits" on a dark background, coded like the paper: −0.5 black, +1.5 white. */
    private static INDArray digitLikeInput() {
        float[] img = new float[28 * 56];
        java.util.Arrays.fill(img, -0.5f);
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 56; c++) {
                double ring = Math.hypot(r - 14, (c - 14) * 1.3);
                boolean zero = ring > 6.5 && ring < 9.5;
                boolean one = c >= 40 && c <= 42 && r >= 5 && r <= 23;
                if (zero || one) {
                    img[r * 56 + c] = 1.5f;
                }
            }
        }
        return Nd4j.create(img, new long[]{1, 1568}, 'c');
    }

    private static void print(INDArray a, double lo, double hi, String ramp) {
        for (int r = 0; r < a.rows(); r++) {
            StringBuilder sb = new StringBuilder("  ");
            for (int c = 0; c < a.columns(); c++) {
                double v = (a.getDouble(r, c) - lo) / Math.max(hi - lo, 1e-12);
                int k = (int) Math.round(Math.max(0, Math.min(1, v)) * (ramp.length() - 1));
                sb.append(ramp.charAt(k));
            }
            System.out.println(sb);
        }
    }
}
