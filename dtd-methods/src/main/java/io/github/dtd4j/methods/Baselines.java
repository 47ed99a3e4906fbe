package io.github.dtd4j.methods;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The baseline of the methods that compare an input with a reference input (Integrated Gradients, DeepLIFT). */
final class Baselines {
    private Baselines() {
    }

    /**
     * {@return a copy of a user's baseline, after checking its shape; null for null (zeros)}
     *
     * @param graph    the model
     * @param baseline {@code [...inputShape]} or {@code [N, ...inputShape]}, or null
     * @param method   for messages
     */
    static INDArray checked(Graph graph, INDArray baseline, String method) {
        if (baseline == null) {
            return null;
        }
        if (!graph.inputShape().matchesBatch(baseline.shape())
                && !Arrays.equals(baseline.shape(), graph.inputShape().dims())) {
            throw new InvalidInputException(method + ": baseline " + Shape.format(baseline.shape())
                    + " does not fit the input " + graph.inputShape().toBatchString());
        }
        return baseline.dup();
    }

    /**
     * {@return the baseline for a batch, {@code [N, ...]}, in the batch's dtype}
     *
     * @param baseline from {@link #checked}; null for zeros
     * @param x        the batch, in the computation precision
     * @param graph    the model
     * @param method   for messages
     */
    static INDArray forBatch(INDArray baseline, INDArray x, Graph graph, String method) {
        if (baseline == null) {
            return Nd4j.zeros(x.dataType(), x.shape());
        }
        INDArray b = baseline.castTo(x.dataType());
        if (b.rank() == x.rank()) {
            if (b.size(0) != x.size(0)) {
                throw new InvalidInputException(method + ": baseline batch " + b.size(0) + " for an input batch of "
                        + x.size(0));
            }
            return b.dup();
        }
        return Targets.tile(b.reshape(graph.inputShape().withBatch(1)), (int) x.size(0));
    }

    /**
     * {@return per element, Σ attribution − (f(x) − f(baseline))}
     *
     * @param attribution {@code [N, ...]}
     * @param fx          the explained output at the input, per element
     * @param fb          the explained output at the baseline, per element
     */
    static double[] delta(INDArray attribution, double[] fx, double[] fb) {
        int n = (int) attribution.size(0);
        double[] sums = attribution.reshape('c', n, attribution.length() / n).sum(1).toDoubleVector();
        double[] delta = new double[n];
        for (int i = 0; i < n; i++) {
            delta[i] = sums[i] - (fx[i] - fb[i]);
        }
        return delta;
    }
}
