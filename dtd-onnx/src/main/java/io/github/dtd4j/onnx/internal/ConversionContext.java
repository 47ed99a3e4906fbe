package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What a converter, a constant fold or a rewrite sees of the import while one ONNX node is converted: the node's
 * inputs and attributes, the graph under construction, and messages that name the node. One instance per node.
 *
 * <p>Input accessors throw the importer's two signals: {@link NotSupported} for a use dtd4j cannot represent (the
 * node is listed and the import carries on), {@link ModelFormatException} for a malformed file (the import stops).
 */
final class ConversionContext {
    private final Conversion conversion;
    private final NodeProto node;
    private final Attrs attrs;

    /**
     * @param conversion the import
     * @param node       the node being converted
     * @throws ModelFormatException if the node gives an attribute twice
     */
    ConversionContext(Conversion conversion, NodeProto node) {
        this.conversion = conversion;
        this.node = node;
        this.attrs = new Attrs(node, this::invalid);
    }

    /** {@return the node being converted} */
    NodeProto node() {
        return node;
    }

    /** {@return the node's name for messages and layer names: its name, else its first output's} */
    String name() {
        return Nodes.display(node);
    }

    /** {@return the node's ONNX operator} */
    String operator() {
        return node.getOpType();
    }

    /** {@return the node's attributes} */
    Attrs attrs() {
        return attrs;
    }

    /** {@return the version of the default operator set the model imports} */
    long opset() {
        return conversion.model().opset();
    }

    /** {@return FLOAT or DOUBLE: the model's input type, which every parameter takes} */
    DataType dtype() {
        return conversion.model().input().dtype();
    }

    /** {@return the batch size fixed in the model's input, or -1 when it is symbolic} */
    long staticBatch() {
        return conversion.model().input().staticBatch();
    }

    /** {@return the layer graph under construction} */
    IrGraph graph() {
        return conversion.graph();
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /**
     * {@return input k as it is, or null if the node has no such input}
     *
     * @param k the input's index
     * @throws NotSupported for an initializer of a type dtd4j does not read
     */
    Value input(int k) {
        if (k >= node.getInputCount() || node.getInput(k).isEmpty()) {
            return null;
        }
        return conversion.value(node.getInput(k));
    }

    /**
     * {@return input k, an activation this node may read}
     *
     * @param k the input's index
     * @throws NotSupported         for a constant, or a pending operation no rewrite folds into this operator
     * @throws ModelFormatException if the input is missing
     */
    Act activation(int k) {
        Act a = laid(k);
        if (!a.layout().standard()) {
            throw new NotSupported(operator() + " of a tensor that " + a.layout().describe() + ", "
                    + Dims.format(a.layout().onnxDims(a.shape())) + " (only Reshape, Transpose, Gather, MatMul, Add, Mul, "
                    + "Softmax, Identity and Dropout follow a batch that is not alone on axis 0)");
        }
        return a;
    }

    /**
     * {@return input k, an activation this node may read, in whatever {@link Layout} it has}
     *
     * @param k the input's index
     * @throws NotSupported         for a constant, or a pending operation no rewrite folds into this operator
     * @throws ModelFormatException if the input is missing
     */
    Act laid(int k) {
        Value v = input(k);
        if (v == null) {
            throw invalid("input " + k + " is missing");
        }
        if (v instanceof Act a) {
            PendingOp p = a.node().pending();
            String refusal = p == null ? null : p.refusal(operator());
            if (refusal != null) {
                throw new NotSupported(refusal);
            }
            return a;
        }
        throw new NotSupported(operator() + " of a constant '" + node.getInput(k) + "' that does not depend on the "
                + "input");
    }

    /** {@return input k, an activation {@code [N,C,H,W]}} @param k the input's index */
    Act image(int k) {
        Act a = activation(k);
        requireImage(a);
        return a;
    }

    /** Requires a 2-D image {@code [N,C,H,W]}. @param a an activation @throws NotSupported for other ranks */
    void requireImage(Act a) {
        if (a.shape().rank() != 3) {
            throw new NotSupported(operator() + " of a rank-" + (a.shape().rank() + 1) + " tensor "
                    + a.shape().toBatchString() + " (2-D images [N,C,H,W] only)");
        }
    }

    /**
     * {@return input k, a constant}
     *
     * @param k    the input's index
     * @param what what it is, for messages ("the weight")
     * @throws NotSupported         if it is computed from the model's input
     * @throws ModelFormatException if it is missing
     */
    Const constant(int k, String what) {
        Const c = optionalConstant(k, what);
        if (c == null) {
            throw invalid(what + " (input " + k + ") is missing");
        }
        return c;
    }

    /**
     * {@return input k, a constant, or null if the node has no such input}
     *
     * @param k    the input's index
     * @param what what it is, for messages ("the bias")
     * @throws NotSupported if it is computed from the model's input
     */
    Const optionalConstant(int k, String what) {
        Value v = input(k);
        if (v == null || v instanceof Const) {
            return (Const) v;
        }
        throw new NotSupported(what + " ('" + node.getInput(k) + "') is computed from the input; dtd4j needs it to "
                + "be a constant");
    }

    /**
     * {@return a tensor attribute decoded}
     *
     * @param t      the tensor
     * @param what   what it is, for messages
     * @param origin the name layers using it may be named after, or null
     */
    Const decode(TensorProto t, String what, String origin) {
        return conversion.tensors().decode(t, what, origin);
    }

    /** {@return whether a node or the graph's output reads the value} @param value an ONNX value name */
    boolean isRead(String value) {
        return conversion.model().isRead(value);
    }

    /** {@return how many node inputs read the value} @param value an ONNX value name */
    int readers(String value) {
        return conversion.model().readersOf(value);
    }

    /** {@return the operators of the nodes that read the value} @param value an ONNX value name */
    java.util.Set<String> readerOperators(String value) {
        java.util.Set<String> ops = new java.util.TreeSet<>();
        for (NodeProto n : conversion.model().nodes()) {
            if (n.getInputList().contains(value)) {
                ops.add(n.getOpType());
            }
        }
        return ops;
    }

    /** {@return whether the value is a graph output} @param value an ONNX value name */
    boolean isGraphOutput(String value) {
        return conversion.model().graphOutputs().contains(value);
    }

    // ------------------------------------------------------------------------------------------------ outputs

    /**
     * Adds a layer that computes this node's output, named after the node, and makes it the output.
     *
     * @param layer  the layer
     * @param inputs what it reads
     * @return the output
     */
    Act emit(Layer layer, Act... inputs) {
        return emit(null, layer, inputs);
    }

    /**
     * Adds a layer that computes this node's output, named after its weight's initializer when that has a module
     * path for a name, and makes it the output. Every {@link Rewrite} sees it first.
     *
     * @param weight the layer's weight, or null
     * @param layer  the layer
     * @param inputs what it reads
     * @return the output
     */
    Act emit(Const weight, Layer layer, Act... inputs) {
        String name = graph().layerName(name(), weight);
        List<IrNode> in = new ArrayList<>(inputs.length);
        for (Act a : inputs) {
            in.add(a.node());
        }
        Act out = null;
        for (Rewrite r : conversion.rewrites()) {
            out = r.rewriteLayer(this, name, layer, in);
            if (out != null) {
                break;
            }
        }
        if (out == null) {
            out = new Act(append(name, layer, in));
        }
        output(out);
        return out;
    }

    /**
     * Emits an operation dtd4j has no layer for, for a {@link Rewrite} to fold into a neighbour, and makes its result
     * the output. If no rewrite takes it now, it waits as a pending node for a consumer that can absorb it.
     *
     * @param op    the operation
     * @param input what it reads
     * @return the output
     */
    Act emitPending(PendingOp op, Act input) {
        Act out = null;
        for (Rewrite r : conversion.rewrites()) {
            out = r.rewritePending(this, op, input.node());
            if (out != null) {
                break;
            }
        }
        if (out == null) {
            out = new Act(IrNode.pending(op, input.node()));
        }
        output(out);
        return out;
    }

    /**
     * Adds a layer node for this ONNX node as it is, without rewrites: what rewrites use to add their result.
     *
     * @param name   its name, taken from {@link #graph()}
     * @param layer  the layer
     * @param inputs the nodes it reads
     * @return the new node
     */
    IrNode append(String name, Layer layer, List<IrNode> inputs) {
        return graph().append(name, layer, inputs, onnxOutput());
    }

    /** {@return the node's first output's name, or null if it has none} */
    String onnxOutput() {
        return node.getOutputCount() == 0 ? null : node.getOutput(0);
    }

    /**
     * Sets what the node's (first) output stands for.
     *
     * @param v an activation or a constant
     * @throws ModelFormatException if the node has no output
     */
    void output(Value v) {
        if (node.getOutputCount() == 0 || node.getOutput(0).isEmpty()) {
            throw invalid("has no output");
        }
        conversion.define(node.getOutput(0), v);
    }

    /**
     * Adds a layer that computes output {@code k} of a node with several outputs ({@code Split}), named after the
     * node and the output, and makes it that output. No rewrite sees it.
     *
     * @param k      the output's index
     * @param layer  the layer
     * @param inputs what it reads
     * @return the output
     */
    Act emitAt(int k, Layer layer, Act... inputs) {
        List<IrNode> in = new ArrayList<>(inputs.length);
        for (Act a : inputs) {
            in.add(a.node());
        }
        Act out = new Act(graph().append(graph().unique(name() + "/" + k), layer, in, node.getOutput(k)));
        outputAt(k, out);
        return out;
    }

    /**
     * Sets what output {@code k} of the node stands for.
     *
     * @param k the output's index
     * @param v an activation or a constant
     * @throws ModelFormatException if the node has no such output
     */
    void outputAt(int k, Value v) {
        if (k >= node.getOutputCount() || node.getOutput(k).isEmpty()) {
            throw invalid("has no output " + k);
        }
        conversion.define(node.getOutput(k), v);
    }

    /** Records a rewrite in the graph's provenance. @param key what kind ("fused", "merged", ...) @param text what */
    void note(String key, String text) {
        conversion.provenance().note(key, text);
    }

    // ------------------------------------------------------------------------------------------------ problems

    /**
     * {@return an ONNX axis (negative counts from the end) as an index in {@code [0, rank)}}
     *
     * @param axis the attribute's value
     * @param rank the tensor's rank, batch axis included
     * @throws ModelFormatException if it is out of range
     */
    long axis(long axis, int rank) {
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw invalid("axis " + axis + " is out of range for rank " + rank);
        }
        return ax;
    }

    /** {@return a malformed-model exception naming the file and this node} @param message what is wrong */
    ModelFormatException invalid(String message) {
        return conversion.problems().invalid(Nodes.where(node) + message);
    }
}
