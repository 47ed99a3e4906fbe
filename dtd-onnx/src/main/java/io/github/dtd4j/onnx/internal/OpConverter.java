package io.github.dtd4j.onnx.internal;

import onnx.OnnxMl.NodeProto;

/**
 * Converts the nodes of one ONNX operator family into layers of the graph under construction. Registered in
 * {@link ConverterRegistry#standard()} under its operator types and the opset range it implements.
 *
 * <p>A converter reads its inputs and attributes through the context, checks what dtd4j can represent, and either
 * {@linkplain ConversionContext#emit emits} a layer (or a {@linkplain ConversionContext#emitPending pending
 * operation} for a rewrite to fold) or {@linkplain ConversionContext#output passes} an input through. It throws
 * {@link NotSupported} for a use dtd4j cannot represent, which lists the node and lets the import carry on, and
 * {@link ConversionContext#invalid} for a malformed node. It never sees a node whose inputs are all constants when
 * the {@link ConstantFolder} can evaluate it, and never does fusions: those are {@link Rewrite}s.
 */
@FunctionalInterface
interface OpConverter {
    /**
     * Converts one node.
     *
     * @param ctx  the node's inputs, attributes and output, and the graph under construction
     * @param node the node, for what the context does not give (input and output counts, names)
     * @throws NotSupported if the node uses something dtd4j cannot represent
     */
    void convert(ConversionContext ctx, NodeProto node);
}
