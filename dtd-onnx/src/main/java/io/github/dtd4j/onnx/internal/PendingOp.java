package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;

/**
 * An operation a converter emits for which dtd4j has no layer of its own, and which a {@link Rewrite} folds into a
 * neighbouring layer: a zero {@code Pad} into the convolution that reads it, an added constant into the bias of the
 * layer it follows, a sum over the last axis into a {@code SumPool}. Until a rewrite takes it, it is a
 * {@linkplain IrNode#pending() pending node} that is never part of the built graph.
 */
interface PendingOp {
    /** {@return the ONNX operator it came from, for messages ("Pad")} */
    String operator();

    /** {@return the display name of the ONNX node it came from, for messages} */
    String node();

    /** {@return the per-sample shape of its result} @param input the per-sample shape of its input */
    Shape outputShape(Shape input);

    /**
     * Whether a node of ONNX operator {@code consumer} may read this operation's result, which it may only when a
     * rewrite folds the operation into the layer that node emits.
     *
     * @param consumer the reading node's ONNX operator
     * @return null if it may, otherwise why it may not (the reason reported for the reading node)
     */
    default String refusal(String consumer) {
        return "its input, the " + operator() + " '" + node() + "', has no layer of its own in dtd4j";
    }
}
