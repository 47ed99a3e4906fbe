package io.github.dtd4j.onnx;

import io.github.dtd4j.graph.Shape;

/** What an ONNX value name stands for while a model is imported. */
sealed interface Value permits Const, Value.Act, Value.Padded, Value.Poisoned {

    /**
     * A tensor computed from the model's input: the output of one node of the graph being built.
     *
     * @param node  the node's name in the dtd4j graph (or the graph input's name)
     * @param shape its per-sample shape
     */
    record Act(String node, Shape shape) implements Value {
    }

    /**
     * An activation padded with zeros by an ONNX {@code Pad} node, not yet materialised: the Conv or AveragePool that
     * reads it absorbs the padding.
     *
     * @param act     the unpadded activation
     * @param pads    rows above, columns left, rows below, columns right
     * @param padNode the Pad node's name, for messages and provenance
     */
    record Padded(Act act, int[] pads, String padNode) implements Value {
    }

    /** The output of a node that could not be imported; nodes reading it are skipped, not reported again. */
    record Poisoned() implements Value {
    }
}
