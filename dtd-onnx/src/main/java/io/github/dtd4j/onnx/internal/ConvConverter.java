package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Conv} → {@link Conv2d}: 2-D only; pads (also asymmetric), strides, dilations, groups (also depthwise) and
 * every {@code auto_pad}. A zero {@code Pad} before it is folded into its padding by {@link PadFolding}.
 */
final class ConvConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        Const w = ctx.constant(1, "the weight");
        Const b = ctx.optionalConstant(2, "the bias");
        if (w.rank() != 4) {
            if (w.rank() == 3 || w.rank() == 5) {
                throw new NotSupported((w.rank() - 2) + "-D convolutions are not supported (2-D only)");
            }
            throw ctx.invalid("weight has rank " + w.rank() + ", a 2-D convolution needs [out,in,kh,kw]");
        }
        ctx.requireImage(x);
        int kh = Geometry.bounded(ctx, "kernel height", w.dims[2], 1);
        int kw = Geometry.bounded(ctx, "kernel width", w.dims[3], 1);
        long[] ks = ctx.attrs().ints("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw ctx.invalid("kernel_shape " + Arrays.toString(ks) + " does not match the weight "
                    + Arrays.toString(w.dims));
        }
        int[] stride = Geometry.pair(ctx, "strides", 1);
        int[] dil = Geometry.pair(ctx, "dilations", 1);
        long group = ctx.attrs().i("group", 1);
        if (group < 1 || group > w.dims[0]) {
            throw ctx.invalid("group " + group + " is not between 1 and the " + w.dims[0] + " output channels");
        }
        int[] pads = Geometry.pads(ctx, x.shape().dim(1), x.shape().dim(2),
                new int[]{(kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1}, stride);
        if (b != null && b.length() != w.dims[0]) {
            throw ctx.invalid("bias has " + b.length() + " values for " + w.dims[0] + " output channels");
        }
        Conv2d conv = new Conv2d(w.toArray(ctx.dtype()), b == null ? null : b.toArray(ctx.dtype(), b.length()),
                stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], dil[0], dil[1], (int) group);
        ctx.emit(w, conv, x);
    }
}
