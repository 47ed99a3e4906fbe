package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * A final {@code Softmax} is removed, and the removal recorded in the provenance: DTD explains the logits. A Softmax
 * anywhere else is unsupported.
 */
final class SoftmaxConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        String out = ctx.onnxOutput();
        if (out == null) {
            throw ctx.invalid("has no output");
        }
        if (!ctx.isGraphOutput(out) || ctx.readers(out) > 0) {
            throw new NotSupported("a Softmax that is not the model's final operation (only a final Softmax is "
                    + "removed, so that the logits are explained)");
        }
        int rank = x.shape().rank() + 1;
        // opset 13 changed the default axis from 1 to the last one
        long axis = ctx.attrs().i("axis", ctx.opset() >= 13 ? -1 : 1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw ctx.invalid("axis " + axis + " is out of range for rank " + rank);
        }
        if (ax == 0) {
            throw new NotSupported("a Softmax over the batch axis");
        }
        ctx.note("removed", "final Softmax '" + ctx.name() + "' (axis " + axis + "): the graph outputs the logits, "
                + "which are what DTD explains");
        ctx.output(x);
    }
}
