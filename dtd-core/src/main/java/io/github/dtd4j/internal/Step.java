package io.github.dtd4j.internal;

import io.github.dtd4j.graph.Node;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** How relevance passes through one node: a rule for linear layers, a fixed treatment for the others. */
interface Step {

    /**
     * @param node     the node
     * @param inputs   what it received (never modify)
     * @param output   what it produced (never modify)
     * @param r        relevance at its output (never modify)
     * @param accounts where to book absorbed relevance
     * @param branches where Add/Concat book the share of each input
     * @return relevance for each input, new arrays shaped like the inputs
     */
    List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r, Accounts accounts,
                             Map<String, double[]> branches);

    /** {@return whether {@link #propagate} reads {@code output}; true unless the step says otherwise} */
    default boolean readsOutput() {
        return true;
    }

    /** {@return a short description for the coverage report and the ledger} */
    String describe();
}
