package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;

/** What an ONNX value name stands for while a model is imported. */
sealed interface Value permits Const, Value.Act, Value.Poisoned {

    /**
     * A tensor computed from the model's input: the output of one node of the graph under construction (or the
     * graph input). When that node is {@linkplain IrNode#pending() pending}, only a consumer a rewrite can fold it
     * into may read it.
     *
     * @param node   the node of the graph under construction
     * @param layout where the batch sits in the ONNX tensor
     */
    record Act(IrNode node, Layout layout) implements Value {
        /** An activation with the batch alone on axis 0. @param node the node */
        Act(IrNode node) {
            this(node, Layout.STANDARD);
        }

        /** {@return its per-sample shape} */
        Shape shape() {
            return node.shape();
        }

        /** {@return the same node in another layout} @param l the layout */
        Act laid(Layout l) {
            return new Act(node, l);
        }
    }

    /** The output of a node that could not be imported; nodes reading it are skipped, not reported again. */
    record Poisoned() implements Value {
    }
}
