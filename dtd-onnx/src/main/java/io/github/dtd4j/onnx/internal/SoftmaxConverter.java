package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Softmax;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * A final {@code Softmax} is removed, and the removal recorded in the provenance: DTD explains the logits. A Softmax
 * inside the network (attention weights) over the last axis → {@link Softmax}.
 */
final class SoftmaxConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.laid(0);
        String out = ctx.onnxOutput();
        if (out == null) {
            throw ctx.invalid("has no output");
        }
        Layout l = x.layout();
        int rank = l.onnxRank(x.shape());
        // opset 13 changed the default axis from 1 to the last one
        long axis = ctx.attrs().i("axis", ctx.opset() >= 13 ? -1 : 1);
        long ax = ctx.axis(axis, rank);
        if (ax == l.axis()) {
            throw new NotSupported("a Softmax over the batch axis");
        }
        if (!ctx.isGraphOutput(out) || ctx.readers(out) > 0) {
            if (ax != rank - 1) {
                throw new NotSupported("a Softmax inside the network over axis " + axis + " of "
                        + Dims.format(l.onnxDims(x.shape())) + " (only over the last axis)");
            }
            ctx.output(ctx.emit(new Softmax(), x).laid(l));
            return;
        }
        x = ctx.activation(0);
        ctx.note("removed", "final Softmax '" + ctx.name() + "' (axis " + axis + "): the graph outputs the logits, "
                + "which are what DTD explains");
        ctx.output(x);
    }
}
