package io.github.dtd4j.eval;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The model a metric scores with: the graph's forward pass in one precision, fed with rows of doubles in batches.
 * Every row goes through the same forward pass whatever batch it lands in, so results do not depend on the batch size.
 */
final class Model {
    private final Graph graph;
    private final Explainer forward;
    private final Precision precision;
    private final int batchSize;
    final int channels;
    final int height;
    final int width;

    Model(String metric, Graph graph, Precision precision, int batchSize) {
        if (graph == null || precision == null) {
            throw new ConfigurationException(metric + ": the model and the precision are required");
        }
        if (batchSize < 1) {
            throw new ConfigurationException(metric + ": the batch size must be >= 1, got " + batchSize);
        }
        Shape in = graph.inputShape();
        if (in.rank() != 3) {
            throw new ConfigurationException(metric + ": needs a model of images [C,H,W]; the input '"
                    + graph.inputName() + "' is " + in.toBatchString());
        }
        this.graph = graph;
        this.precision = precision;
        this.batchSize = batchSize;
        this.forward = Explainer.of(graph).precision(precision);
        this.channels = Math.toIntExact(in.dim(0));
        this.height = Math.toIntExact(in.dim(1));
        this.width = Math.toIntExact(in.dim(2));
    }

    Graph graph() {
        return graph;
    }

    Precision precision() {
        return precision;
    }

    int size() {
        return channels * height * width;
    }

    /** Checks {@code x} (shape, finiteness) by the model's own input checks and returns its rows as doubles. */
    double[][] rows(String metric, INDArray x) {
        if (x == null) {
            throw new InvalidInputException(metric + ": the input is null");
        }
        if (x.rank() != 4 || x.size(1) != channels || x.size(2) != height || x.size(3) != width) {
            throw new InvalidInputException(metric + ": the input must be [N," + channels + "," + height + ","
                    + width + "] for the model's input '" + graph.inputName() + "', got "
                    + java.util.Arrays.toString(x.shape()));
        }
        if (x.size(0) < 1) {
            throw new InvalidInputException(metric + ": the input holds no image");
        }
        int n = Math.toIntExact(x.size(0));
        INDArray d = x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).reshape('c', n, size());
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = d.getRow(i).toDoubleVector();
            for (double v : out[i]) {
                if (!Double.isFinite(v)) {
                    throw new InvalidInputException(metric + ": image " + i + " of the input holds NaN or Inf");
                }
            }
        }
        return out;
    }

    /** {@return the rows as one array {@code [rows, C, H, W]} in the model's precision} */
    INDArray batch(double[][] rows, int from, int to) {
        int m = to - from;
        int d = size();
        long[] shape = {m, channels, height, width};
        if (precision == Precision.FLOAT64) {
            double[] flat = new double[m * d];
            for (int i = 0; i < m; i++) {
                System.arraycopy(rows[from + i], 0, flat, i * d, d);
            }
            return Nd4j.create(flat, shape, 'c');
        }
        float[] flat = new float[m * d];
        for (int i = 0; i < m; i++) {
            double[] r = rows[from + i];
            for (int j = 0; j < d; j++) {
                flat[i * d + j] = (float) r[j];
            }
        }
        return Nd4j.create(flat, shape, 'c');
    }

    /** {@return the logits of every row, {@code [rows][K]}, computed in batches of the configured size} */
    double[][] logits(double[][] rows) {
        double[][] out = new double[rows.length][];
        for (int from = 0; from < rows.length; from += batchSize) {
            int to = Math.min(rows.length, from + batchSize);
            INDArray b = batch(rows, from, to);
            INDArray y = forward.forward(b);
            INDArray yd = y.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
            for (int i = from; i < to; i++) {
                out[i] = yd.getRow(i - from).toDoubleVector();
            }
            close(b, y, yd);
        }
        return out;
    }

    /**
     * {@return per row, the score of its target class: the logit, or the softmax probability}
     *
     * @param rows          images as rows
     * @param targets       the class of each row
     * @param probabilities softmax probabilities instead of logits
     */
    double[] scores(double[][] rows, int[] targets, boolean probabilities) {
        double[][] l = logits(rows);
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = score(l[i], targets[i], probabilities);
        }
        return out;
    }

    static double score(double[] logits, int target, boolean probabilities) {
        if (!probabilities) {
            return logits[target];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        return Math.exp(logits[target] - max) / sum;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@return the top class of every row} */
    int[] topClasses(double[][] rows) {
        double[][] l = logits(rows);
        int[] t = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            t[i] = argmax(l[i]);
        }
        return t;
    }

    static void close(INDArray... arrays) {
        java.util.Set<INDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (INDArray a : arrays) {
            if (a != null && seen.add(a) && a.closeable()) {
                a.close();
            }
        }
    }
}
