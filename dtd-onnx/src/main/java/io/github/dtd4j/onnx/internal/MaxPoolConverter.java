package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/** {@code MaxPool} → {@link MaxPool2d}: 2-D, no dilation, {@code ceil_mode=1} as extra padding at the bottom and right. */
final class MaxPoolConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.image(0);
        int[] k = Geometry.kernel(ctx);
        int[] stride = Geometry.pair(ctx, "strides", 1);
        int[] dil = Geometry.pair(ctx, "dilations", 1);
        if (dil[0] != 1 || dil[1] != 1) {
            throw new NotSupported("dilated max pooling (dilations " + Arrays.toString(dil) + ")");
        }
        int[] pads = Geometry.pads(ctx, x.shape().dim(1), x.shape().dim(2), k, stride);
        pads = Geometry.ceilPads(ctx, x.shape(), k, stride, pads);
        ctx.emit(new MaxPool2d(k[0], k[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3]), x);
    }
}
