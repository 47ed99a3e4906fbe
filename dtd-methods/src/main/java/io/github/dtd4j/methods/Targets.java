package io.github.dtd4j.methods;

import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Turns a {@link Start} into the per-row output weights of methods that run many inputs per batch element. */
final class Targets {
    private Targets() {
    }

    /**
     * {@return the output weights {@code [N,K]}: 1 at each element's class, or the given tensor}
     *
     * @param start  what to explain
     * @param logits the model's output for the batch, {@code [N,K]}
     * @param method for messages
     */
    static INDArray weights(Start start, INDArray logits, String method) {
        int n = (int) logits.size(0);
        int k = (int) logits.size(1);
        if (start instanceof Start.Tensor t) {
            if (t.node() != null) {
                throw new ConfigurationException(method + ": a start at an intermediate node is not supported");
            }
            if (!Arrays.equals(t.relevance().shape(), logits.shape())) {
                throw new InvalidInputException(method + ": the output relevance is "
                        + io.github.dtd4j.graph.Shape.format(t.relevance().shape()) + ", the output "
                        + io.github.dtd4j.graph.Shape.format(logits.shape()));
            }
            return t.relevance().castTo(logits.dataType());
        }
        int[] classes = start instanceof Start.Classes c ? c.classes() : start instanceof Start.OneHot o ? o.classes()
                : null;
        int[] t = new int[n];
        if (classes == null) {
            INDArray arg = logits.argMax(1);
            for (int i = 0; i < n; i++) {
                t[i] = arg.getInt(i);
            }
        } else if (classes.length == 1) {
            Arrays.fill(t, classes[0]);
        } else if (classes.length == n) {
            t = classes.clone();
        } else {
            throw new InvalidInputException("targets: " + classes.length + " classes given for a batch of " + n);
        }
        INDArray w = Nd4j.zeros(logits.dataType(), n, k);
        for (int i = 0; i < n; i++) {
            if (t[i] < 0 || t[i] >= k) {
                throw new InvalidInputException("targets: class " + t[i] + " for batch element " + i + " is not in [0,"
                        + k + ")");
            }
            w.putScalar(i, t[i], 1.0);
        }
        return w;
    }

    /** {@return the explained class per row: where the weights are largest} @param w {@code [N,K]} */
    static int[] of(INDArray w) {
        int n = (int) w.size(0);
        int[] t = new int[n];
        INDArray arg = w.argMax(1);
        for (int i = 0; i < n; i++) {
            t[i] = arg.getInt(i);
        }
        return t;
    }

    /** {@return Σ_k w_nk y_nk per row} @param w weights @param y outputs */
    static double[] weighted(INDArray w, INDArray y) {
        return w.mul(y.castTo(w.dataType())).sum(1).toDoubleVector();
    }

    /** {@return the rows of {@code a} repeated {@code times} times, block after block} */
    static INDArray tile(INDArray a, int times) {
        INDArray[] parts = new INDArray[times];
        Arrays.fill(parts, a);
        return Nd4j.concat(0, parts);
    }
}
