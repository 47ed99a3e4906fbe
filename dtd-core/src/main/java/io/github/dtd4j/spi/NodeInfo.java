package io.github.dtd4j.spi;

import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import java.util.List;

/** What a {@link Rule} may know of its node when an explainer is compiled: name, layer, shapes, linear view. */
public interface NodeInfo {

    /** {@return the node's name} */
    String name();

    /** {@return the node's layer} */
    Layer layer();

    /** {@return the layer's kind, e.g. "Conv2d"} */
    default String kind() {
        return layer().kind();
    }

    /** {@return the names of the nodes it reads, in order (the graph's input name for the first layer)} */
    List<String> inputNames();

    /** {@return the per-sample shapes of its inputs, in order} */
    List<Shape> inputShapes();

    /** {@return the per-sample shape of its output} */
    Shape outputShape();

    /** {@return its index in the graph's topological order: 0 for the node nearest the input} */
    int position();

    /** {@return whether the node is treated as a linear layer (Dense, Conv2d, affine BatchNorm)} */
    boolean isLinear();

    /**
     * {@return the node's linear view: weights, bias, forward and transposed maps}
     *
     * @throws io.github.dtd4j.errors.ConfigurationException if the node is not treated as a linear layer
     */
    LinearLayer linear();
}
