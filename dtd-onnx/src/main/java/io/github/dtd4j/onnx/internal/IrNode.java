package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import java.util.List;

/**
 * One node of the layer graph under construction: the graph input, a dtd4j {@link Layer}, or a {@linkplain PendingOp
 * pending operation} waiting to be folded into its consumer. Layer nodes stay mutable until the graph is built so
 * that rewrites can fold later ONNX nodes into them.
 */
final class IrNode {
    private final String name;
    private final PendingOp pending;
    private final List<IrNode> inputs;
    private final Shape shape;
    private Layer layer;
    private String onnxOutput;
    private boolean absorbed;

    private IrNode(String name, Layer layer, PendingOp pending, List<IrNode> inputs, Shape shape, String onnxOutput) {
        this.name = name;
        this.layer = layer;
        this.pending = pending;
        this.inputs = List.copyOf(inputs);
        this.shape = shape;
        this.onnxOutput = onnxOutput;
    }

    /** {@return the graph input node} @param name the ONNX input's name @param shape its per-sample shape */
    static IrNode graphInput(String name, Shape shape) {
        return new IrNode(name, null, null, List.of(), shape, name);
    }

    /**
     * {@return a layer node; only {@link IrGraph#append} makes them, after checking the layer}
     *
     * @param name       its unique name in the graph
     * @param layer      what it computes
     * @param inputs     the nodes it reads
     * @param shape      its per-sample output shape
     * @param onnxOutput the ONNX value its output is known by, or null
     */
    static IrNode layer(String name, Layer layer, List<IrNode> inputs, Shape shape, String onnxOutput) {
        return new IrNode(name, layer, null, inputs, shape, onnxOutput);
    }

    /**
     * {@return a pending node, which is never added to the graph}
     *
     * @param op    the operation
     * @param input the node it reads
     */
    static IrNode pending(PendingOp op, IrNode input) {
        return new IrNode(op.node(), null, op, List.of(input), op.outputShape(input.shape()), null);
    }

    /** {@return its name: unique in the graph for layer nodes; the ONNX node's name for pending ones} */
    String name() {
        return name;
    }

    /** {@return its layer, null for the graph input and pending nodes} */
    Layer layer() {
        return layer;
    }

    /** {@return its pending operation, null unless pending} */
    PendingOp pending() {
        return pending;
    }

    /** {@return the nodes it reads, in order} */
    List<IrNode> inputs() {
        return inputs;
    }

    /** {@return input k} @param k the input's index */
    IrNode input(int k) {
        return inputs.get(k);
    }

    /** {@return its per-sample output shape} */
    Shape shape() {
        return shape;
    }

    /** {@return the ONNX value its output is known by: the last one a rewrite folded into it; may be null} */
    String onnxOutput() {
        return onnxOutput;
    }

    /**
     * Replaces the layer by one with the same output shape (a bias folded in) whose output is now known by another
     * ONNX value.
     *
     * @param folded     the new layer
     * @param onnxOutput the ONNX value of the node folded in
     */
    void fold(Layer folded, String onnxOutput) {
        this.layer = folded;
        this.onnxOutput = onnxOutput;
    }

    /** Marks it as merged into a later layer: when it ends up unused, it is not reported as removed. */
    void absorb() {
        absorbed = true;
    }

    /** {@return whether a later layer took over what it computes} */
    boolean absorbed() {
        return absorbed;
    }
}
