package io.github.dtd4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A linear layer in the graph an explainer is compiled into: {@link LinearLayer}'s maps on symbols. The weights
 * are arrays (the layer's, or derived from them once with {@link LinearLayer#derivedWeight}) and become constants.
 */
public interface SymbolicLinearLayer {
    /** {@return the layer itself: weights, bias, shapes} */
    LinearLayer layer();

    /** {@return the linear map with weight {@code w}, without bias, as {@link LinearLayer#forward}} */
    Symbol forward(Symbol x, INDArray w);

    /** {@return the transposed map with weight {@code w}, as {@link LinearLayer#transpose}} */
    Symbol transpose(Symbol s, INDArray w);

    /** {@return a per-output vector {@code [out]} shaped to broadcast against the layer's output} */
    Symbol perOutput(INDArray b);
}
