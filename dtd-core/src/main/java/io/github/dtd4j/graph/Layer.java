package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * What one node of a {@link Graph} computes. Every implementation is an immutable record validated in its
 * constructor; arrays it holds are never modified by dtd4j.
 *
 * <p>Every node takes a propagation rule through a selector; the linear layers ({@link Dense}, {@link Conv2d}) must be
 * given one, every other kind has a default (docs/conventions.md). Kinds defined outside dtd4j implement
 * {@link CustomLayer}.
 */
public sealed interface Layer
        permits Dense, Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool, AdaptiveAvgPool2d, SumPool, Relu, BatchNorm,
                Add, Concat, Flatten, Reshape, Dropout, Identity, LocalResponseNorm, Activation, Mul, Permute, Slice,
                LayerNorm, ConstantMul, ConstantAdd, ConstantConcat, MatMul, Softmax, Resize, CustomLayer {

    /** {@return the kind's short name, used in messages: "Conv2d", "Relu", ...} */
    default String kind() {
        return getClass().getSimpleName();
    }

    /** {@return how many inputs the layer takes; -1 for two or more} */
    default int arity() {
        return 1;
    }

    /**
     * Infers the per-sample output shape and checks the inputs.
     *
     * @param node   the node's name, for messages
     * @param inputs the per-sample shapes of the inputs, in order
     * @return the per-sample output shape
     * @throws InvalidGraphException naming the node, its kind and the shapes when they do not fit
     */
    Shape outputShape(String node, List<Shape> inputs);

    /** {@return an exception for a shape mismatch, in the library's format} */
    static InvalidGraphException mismatch(String node, Layer layer, String expected, Shape got) {
        return new InvalidGraphException("layer '" + node + "' (" + layer.kind() + "): expected input " + expected
                + ", got " + got.toBatchString());
    }

    /** {@return an exception about a bad parameter or input of a layer} */
    static InvalidGraphException invalid(String node, Layer layer, String message) {
        return new InvalidGraphException("layer '" + node + "' (" + layer.kind() + "): " + message);
    }
}
