package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;

/** What an ONNX value name stands for while a model is imported. */
sealed interface Value permits Const, Value.Act, Value.Poisoned {

    /**
     * A tensor computed from the model's input: the output of one node of the graph under construction (or the
     * graph input). When that node is {@linkplain IrNode#pending() pending}, only a consumer a rewrite can fold it
     * into may read it.
     *
     * @param node the node of the graph under construction
     */
    record Act(IrNode node) implements Value {
        /** {@return its per-sample shape} */
        Shape shape() {
            return node.shape();
        }
    }

    /** The output of a node that could not be imported; nodes reading it are skipped, not reported again. */
    record Poisoned() implements Value {
    }
}
