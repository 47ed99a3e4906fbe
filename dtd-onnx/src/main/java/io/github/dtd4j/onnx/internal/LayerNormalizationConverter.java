package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.LayerNorm;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * {@code LayerNormalization} (opset 17) over the last axis, with constant scale and bias → {@link LayerNorm}
 * (PyTorch's {@code nn.LayerNorm(d)}; a channels-first LayerNorm is exported between two Transposes).
 */
final class LayerNormalizationConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        int rank = x.shape().rank() + 1;
        long axis = ctx.attrs().i("axis", -1);
        long a = axis < 0 ? axis + rank : axis;
        if (a != rank - 1) {
            throw new NotSupported("LayerNormalization over axes " + a + ".." + (rank - 1) + " of "
                    + x.shape().toBatchString() + " (the last axis only)");
        }
        if (node.getOutputCount() > 1 && ctx.isRead(node.getOutput(1))
                || node.getOutputCount() > 2 && ctx.isRead(node.getOutput(2))) {
            throw new NotSupported("LayerNormalization's mean or inverse standard deviation outputs are used");
        }
        long d = x.shape().dim(x.shape().rank() - 1);
        Const scale = ctx.constant(1, "the scale");
        Const bias = ctx.optionalConstant(2, "the bias");
        if (scale.length() != d || (bias != null && bias.length() != d)) {
            throw ctx.invalid("scale " + scale + " and bias " + bias + " must have " + d + " values (the last axis of "
                    + x.shape().toBatchString() + ")");
        }
        double eps = ctx.attrs().f("epsilon", 1e-5);
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw ctx.invalid("epsilon " + eps + " must be finite and > 0");
        }
        ctx.emit(scale, new LayerNorm(scale.toArray(ctx.dtype(), d), bias == null ? null : bias.toArray(ctx.dtype(), d),
                eps), x);
    }
}
