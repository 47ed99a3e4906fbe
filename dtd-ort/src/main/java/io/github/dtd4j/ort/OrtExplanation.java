package io.github.dtd4j.ort;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An explanation computed on ONNX Runtime: the input relevance, the logits and the explained classes, as
 * {@link io.github.dtd4j.Explanation} holds them (no ledger: the compiled graph does not keep one).
 *
 * @param inputRelevance the relevance at the input, input-shaped
 * @param logits         {@code [N,K]}
 * @param targets        the explained class of each element
 */
public record OrtExplanation(INDArray inputRelevance, INDArray logits, int[] targets) implements AutoCloseable {
    /** Copies the targets. */
    public OrtExplanation {
        targets = targets.clone();
    }

    @Override
    public int[] targets() {
        return targets.clone();
    }

    /** Frees the arrays' native memory now. */
    @Override
    public void close() {
        inputRelevance.close();
        logits.close();
    }
}
