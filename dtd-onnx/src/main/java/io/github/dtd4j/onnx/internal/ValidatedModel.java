package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An ONNX model whose structure has been checked: every edge produced exactly once, no cycle, one input of a
 * supported type with a fixed sample shape, one output. What {@link ModelReader} hands to the conversion.
 *
 * @param opset        the version of the default operator set
 * @param opsets       every imported operator set by domain (the default one as {@value Nodes#DEFAULT_DOMAIN})
 * @param initializers the initializers by name, not yet decoded
 * @param nodes        the nodes in a topological order (the file's order where it already is one)
 * @param readers      how many node inputs read each value
 * @param graphOutputs the names of the graph's outputs
 * @param outputName   the name of the one graph output
 * @param input        the one graph input
 * @param header       provenance entries describing the file (source, format, producer, graph name)
 */
record ValidatedModel(long opset, Map<String, Long> opsets, Map<String, TensorProto> initializers,
                      List<NodeProto> nodes, Map<String, Integer> readers, Set<String> graphOutputs, String outputName,
                      GraphInput input, Map<String, String> header) {

    /**
     * The model's one input.
     *
     * @param name        its ONNX name, kept as the graph input's name
     * @param shape       the shape of one sample
     * @param dtype       FLOAT or DOUBLE
     * @param staticBatch the batch size fixed in the file, or -1 when it is symbolic
     */
    record GraphInput(String name, Shape shape, DataType dtype, long staticBatch) {
    }

    /** {@return how many node inputs read the value} @param value a value name */
    int readersOf(String value) {
        return readers.getOrDefault(value, 0);
    }

    /** {@return whether a node or the graph's output reads the value} @param value a value name, may be empty */
    boolean isRead(String value) {
        return !value.isEmpty() && (readersOf(value) > 0 || graphOutputs.contains(value));
    }
}
