package io.github.dtd4j.spi;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything a {@link Rule} needs for one node in one explanation: the recorded inputs and output, the relevance at
 * the output, and the operations a rule is built from (the node's forward map on other inputs, its transposed map
 * or vector-Jacobian product, and the stabilized division that books what it absorbs). Valid only during
 * {@link Rule#propagate(NodeContext)}; not shared between threads. Arrays it returns are new unless said otherwise.
 */
public interface NodeContext extends NodeInfo {

    /** {@return what the node received in the forward pass, batch first, in order; never modify} */
    List<INDArray> inputs();

    /** {@return the node's recorded output; never modify} */
    INDArray output();

    /** {@return the relevance at the node's output, shaped like {@link #output()}; never modify} */
    INDArray relevance();

    /** {@return the explainer's stabilizer ε (default 1e-6; docs/conventions.md#stabilizer)} */
    double stabilizer();

    /**
     * {@return the node's output for other inputs, a new array}: the forward map applied to, for example, the
     * positive parts of the recorded inputs
     *
     * @param inputs one array per input, shaped like the recorded ones
     */
    INDArray forward(List<INDArray> inputs);

    /**
     * {@return for each input k, {@code Σ_j s_j ∂y_j/∂x_k} at the recorded inputs}: the transposed map of a linear
     * node, the gradient routing of max-pooling, ReLU, reshapes and concatenation
     *
     * @param s one value per output element, shaped like {@link #output()}
     * @throws io.github.dtd4j.errors.ConfigurationException for a layer kind with none
     */
    default List<INDArray> vjp(INDArray s) {
        return vjp(inputs(), s);
    }

    /**
     * {@return for each input k, {@code Σ_j s_j ∂y_j/∂x_k} at the given inputs}
     *
     * @param at where the Jacobian is taken, one array per input
     * @param s  one value per output element
     */
    List<INDArray> vjp(List<INDArray> at, INDArray s);

    /**
     * Computes {@code s = R / (d + ε·sign(d))} with {@code sign(0) = +1} and the explainer's ε, and books
     * {@code Σ ε·sign(d)·s} as absorbed by the stabilizer.
     *
     * @param relevance   the relevance to divide
     * @param denominator {@code d}, shaped like the relevance
     * @return a new array s
     */
    INDArray divide(INDArray relevance, INDArray denominator);

    /**
     * Books relevance the rule gives to no input as absorbed, in the ledger's bias column: what a constant term
     * (a position embedding, a class token) or a Taylor expansion's zero-order term takes.
     *
     * @param absorbed batch first; only its sum per sample is booked
     */
    void absorb(INDArray absorbed);

    /**
     * {@return the context a {@link LinearRule} works in}: the linear view, the input, the bias after the bias
     * policy, the stabilized division that books bias and stabilizer
     *
     * @throws io.github.dtd4j.errors.ConfigurationException if the node is not treated as a linear layer
     */
    RuleContext linearContext();
}
