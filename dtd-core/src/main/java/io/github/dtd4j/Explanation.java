package io.github.dtd4j;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of {@link Explainer#explain}: the input relevance (the heatmap before summing channels), the logits,
 * the explained classes, the ledger and, on request, the relevance at every node's output. Arrays belong to the
 * caller. ND4J frees off-heap memory only when the garbage collector runs; in a long loop, close each explanation
 * when done ({@code try (Explanation e = explainer.explain(x)) {...}}) so memory stays flat whatever the GC does.
 */
public final class Explanation implements AutoCloseable {
    private final INDArray inputRelevance;
    private final INDArray logits;
    private final int[] targets;
    private final Ledger ledger;
    private final Map<String, INDArray> layerRelevances;
    private final String end;

    Explanation(INDArray inputRelevance, INDArray logits, int[] targets, Ledger ledger,
                Map<String, INDArray> layerRelevances, String end) {
        this.end = end;
        this.inputRelevance = inputRelevance;
        this.logits = logits;
        this.targets = targets.clone();
        this.ledger = ledger;
        this.layerRelevances = Collections.unmodifiableMap(layerRelevances);
    }

    /**
     * {@return the input relevance R_p, same shape as the input, in the computation precision}; with
     * {@link Explainer#stopAt}, the relevance at the stop node's output
     */
    public INDArray inputRelevance() {
        return inputRelevance;
    }

    /**
     * {@return the heatmap as the paper draws it: the input relevance summed over channels, {@code [N,H,W]} for
     * image inputs; the input relevance itself for other inputs}
     */
    public INDArray heatmap() {
        return inputRelevance.rank() == 4 ? inputRelevance.sum(1) : inputRelevance.dup();
    }

    /** {@return the model's output for the input, {@code [N,K]}} */
    public INDArray logits() {
        return logits;
    }

    /** {@return where the sweep ended: the input's name, or the node given to {@link Explainer#stopAt}} */
    public String end() {
        return end;
    }

    /**
     * {@return the explained class of each batch element}; for a relevance tensor given at the output, the class
     * where it is largest, and −1 for a start at an intermediate node
     */
    public int[] targets() {
        return targets.clone();
    }

    /** {@return the explained logit f(x) of each batch element: the relevance that started at the output} */
    public double[] explainedScores() {
        return ledger.start();
    }

    /** {@return the ledger} */
    public Ledger ledger() {
        return ledger;
    }

    /**
     * {@return the relevance at a node's output, if the explainer was asked to record layers}
     *
     * @param node node name (or the input's name)
     */
    public Optional<INDArray> layerRelevance(String node) {
        return Optional.ofNullable(layerRelevances.get(node));
    }

    /**
     * Frees the off-heap memory of this explanation's arrays now instead of at the next garbage collection. The
     * arrays must not be used afterwards; the ledger, targets and scores stay readable.
     */
    @Override
    public void close() {
        java.util.Set<INDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.add(inputRelevance);
        seen.add(logits);
        seen.addAll(layerRelevances.values());
        for (INDArray a : seen) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }

    /** {@return all recorded per-node relevances (empty unless requested)} */
    public Map<String, INDArray> layerRelevances() {
        return layerRelevances;
    }
}
