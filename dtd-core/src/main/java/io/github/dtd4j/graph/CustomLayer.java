package io.github.dtd4j.graph;

import io.github.dtd4j.errors.ConfigurationException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer kind defined outside dtd4j: its output shape, its forward pass and, optionally, its vector-Jacobian
 * product. Give it a propagation rule ({@link io.github.dtd4j.spi.Rule}) through a selector
 * ({@code Selector.kind(MyLayer.class)}); a custom layer without a rule is reported, with every other node that has
 * none, when the explainer is compiled.
 *
 * <p>Implementations are immutable (records are a good fit), never modify their inputs, and return a new array
 * from {@link #forward}. The arrays they hold are parameters only if {@link #parameters()} lists them.
 */
public non-sealed interface CustomLayer extends Layer {

    /**
     * {@return this layer's output for a batch, a new array}
     *
     * @param inputs the inputs, batch first, in the precision of the explanation; never modify
     */
    INDArray forward(List<INDArray> inputs);

    /**
     * {@return the product of {@code s} with the layer's Jacobian at {@code inputs}: for each input k,
     * {@code Σ_j s_j ∂y_j/∂x_k}, a new array shaped like that input}; used by gradient-based rules. The default
     * says that the layer has none.
     *
     * @param inputs where the Jacobian is taken
     * @param s      one value per output element
     * @throws ConfigurationException when the layer does not offer one
     */
    default List<INDArray> vjp(List<INDArray> inputs, INDArray s) {
        throw new ConfigurationException("custom layer " + kind() + " offers no vector-Jacobian product; give it a "
                + "rule that does not need one");
    }

    /** {@return the arrays this layer holds as parameters (cast with the graph, counted, checked finite)} */
    default List<INDArray> parameters() {
        return List.of();
    }

    /**
     * {@return this layer with every parameter replaced by {@code f(parameter)}, in {@link #parameters()}'s order}
     * (used to cast a graph to another precision); the default, for layers without parameters, returns this layer
     *
     * @param f the map
     */
    default CustomLayer mapParameters(java.util.function.UnaryOperator<INDArray> f) {
        return this;
    }
}
