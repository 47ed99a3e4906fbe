package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code AveragePool} → {@link AvgPool2d} with {@code count_include_pad}: 2-D, no dilation; {@code ceil_mode=1} as extra
 * padding at the bottom and right that the last windows do not count (as PyTorch and ONNX Runtime divide them), not
 * with {@code count_include_pad=1} and padding together. A zero {@code Pad} before it is folded in by
 * {@link PadFolding}.
 */
final class AveragePoolConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.image(0);
        int[] k = Geometry.kernel(ctx);
        int[] stride = Geometry.pair(ctx, "strides", 1);
        long[] dil = ctx.attrs().ints("dilations");
        if (dil != null && Arrays.stream(dil).anyMatch(d -> d != 1)) {
            throw new NotSupported("dilated average pooling");
        }
        int[] pads = Geometry.pads(ctx, x.shape().dim(1), x.shape().dim(2), k, stride);
        boolean countPad = ctx.attrs().i("count_include_pad", 0) != 0;
        int[] ceiled = Geometry.ceilPads(ctx, x.shape(), k, stride, pads);
        if (!Arrays.equals(ceiled, pads)) {
            // the last windows run past the input (and its padding); they divide by the taps inside the input and
            // padding, which without padding is what count_include_pad=0 divides by
            if (countPad && Arrays.stream(pads).anyMatch(p -> p != 0)) {
                throw new NotSupported("ceil_mode=1 with count_include_pad=1 and padding " + Arrays.toString(pads)
                        + " (windows past the padding count only part of it)");
            }
            ctx.note("rewritten", "AveragePool '" + ctx.name() + "' with ceil_mode=1: extra padding at the bottom and "
                    + "right that no window counts");
            countPad = false;
            pads = ceiled;
        }
        ctx.emit(new AvgPool2d(k[0], k[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], countPad), x);
    }
}
