package io.github.dtd4j.eval;

import io.github.dtd4j.Start;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Attributions as per-image arrays of doubles. */
final class Maps {
    private Maps() {
    }

    /**
     * {@return per image, the relevance summed over channels, {@code [N][H·W]}} from an attribution shaped
     * {@code [N,C,H,W]} (any C: the input's channels, or 1 for maps upsampled from a layer) or {@code [N,H,W]}
     */
    static double[][] pixelMaps(String metric, INDArray relevance, int n, int h, int w) {
        if (relevance == null) {
            throw new InvalidInputException(metric + ": the relevance is null");
        }
        long[] s = relevance.shape();
        boolean ok = (s.length == 4 && s[0] == n && s[2] == h && s[3] == w)
                || (s.length == 3 && s[0] == n && s[1] == h && s[2] == w);
        if (!ok) {
            throw new InvalidInputException(metric + ": the relevance must be [" + n + ",C," + h + "," + w + "] or ["
                    + n + "," + h + "," + w + "] for " + n + " images of " + h + "x" + w + ", got "
                    + Arrays.toString(s));
        }
        int c = s.length == 4 ? Math.toIntExact(s[1]) : 1;
        double[][] full = flat(metric, relevance, n);
        int hw = h * w;
        double[][] out = new double[n][hw];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    out[i][p] += full[i][ch * hw + p];
                }
            }
        }
        return out;
    }

    /** {@return per image, every element of the array in row-major order; checks finiteness} */
    static double[][] flat(String metric, INDArray a, int n) {
        INDArray d = a.castTo(DataType.DOUBLE).reshape('c', n, a.length() / n);
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = d.getRow(i).toDoubleVector();
            for (double v : out[i]) {
                if (!Double.isFinite(v)) {
                    throw new InvalidInputException(metric + ": the relevance of image " + i + " holds NaN or Inf");
                }
            }
        }
        return out;
    }

    /**
     * Runs a method on rows of images for given classes, in batches of {@code batchSize} rows, and returns every
     * row's attribution flattened (all its elements, row-major).
     */
    static double[][] attribute(String metric, Attribution method, Model model, double[][] rows, int[] targets,
                                int batchSize) {
        if (method == null) {
            throw new io.github.dtd4j.errors.ConfigurationException(metric + ": the method is null");
        }
        double[][] out = new double[rows.length][];
        for (int from = 0; from < rows.length; from += batchSize) {
            int to = Math.min(rows.length, from + batchSize);
            INDArray b = model.batch(rows, from, to);
            try (Attributions a = method.attribute(b, Start.classes(Arrays.copyOfRange(targets, from, to)))) {
                double[][] f = flat(metric, a.attribution(), to - from);
                System.arraycopy(f, 0, out, from, to - from);
            } finally {
                Model.close(b);
            }
        }
        return out;
    }

    /** {@return per row, the attribution summed over its channels, {@code [rows][H·W]}} */
    static double[][] channelSums(double[][] attributions, int hw) {
        double[][] out = new double[attributions.length][hw];
        for (int i = 0; i < attributions.length; i++) {
            double[] a = attributions[i];
            if (a.length % hw != 0) {
                throw new InvalidInputException("attribution of " + a.length + " elements is not a map of " + hw
                        + " pixels per channel");
            }
            for (int j = 0; j < a.length; j++) {
                out[i][j % hw] += a[j];
            }
        }
        return out;
    }
}
