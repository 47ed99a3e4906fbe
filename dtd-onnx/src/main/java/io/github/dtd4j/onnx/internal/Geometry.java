package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;
import java.util.Arrays;

/** Kernel, stride, dilation and padding attributes of convolutions and poolings, checked against absurd sizes. */
final class Geometry {
    /** Largest kernel, stride, dilation or padding we accept. */
    static final long MAX = 1 << 20;

    private Geometry() {
    }

    /**
     * {@return a size within [min, {@value #MAX}], as an int}
     *
     * @param ctx  the node, for messages
     * @param what what the size is ("kernel height")
     * @param v    the size
     * @param min  the smallest valid size
     */
    static int bounded(ConversionContext ctx, String what, long v, long min) {
        if (v < min || v > MAX) {
            throw ctx.invalid(what + " " + v + " is outside [" + min + ", " + MAX + "]");
        }
        return (int) v;
    }

    /**
     * {@return a two-value attribute such as strides, {@code def} for both when absent}
     *
     * @param ctx  the node
     * @param name the attribute
     * @param def  the value of both when it is absent
     */
    static int[] pair(ConversionContext ctx, String name, int def) {
        long[] v = ctx.attrs().ints(name);
        if (v == null) {
            return new int[]{def, def};
        }
        if (v.length != 2) {
            throw ctx.invalid(name + " " + Arrays.toString(v) + " must have 2 values");
        }
        return new int[]{bounded(ctx, name, v[0], 1), bounded(ctx, name, v[1], 1)};
    }

    /** {@return a pooling's kernel_shape, which must be 2-D} @param ctx the node */
    static int[] kernel(ConversionContext ctx) {
        long[] k = ctx.attrs().ints("kernel_shape");
        if (k == null) {
            throw ctx.invalid("has no kernel_shape");
        }
        if (k.length != 2) {
            throw new NotSupported(k.length + "-D pooling (2-D only)");
        }
        return new int[]{bounded(ctx, "kernel", k[0], 1), bounded(ctx, "kernel", k[1], 1)};
    }

    /**
     * {@return the explicit pads or the ones auto_pad implies: top, left, bottom, right}
     *
     * @param ctx          the node
     * @param h            the input height (after any padding a rewrite will fold in)
     * @param w            the input width
     * @param kernelExtent the kernel's extent, dilation included
     * @param stride       the strides
     */
    static int[] pads(ConversionContext ctx, long h, long w, int[] kernelExtent, int[] stride) {
        String auto = ctx.attrs().s("auto_pad", "NOTSET");
        long[] p = ctx.attrs().ints("pads");
        switch (auto) {
            case "NOTSET" -> {
                if (p == null) {
                    return new int[4];
                }
                if (p.length != 4) {
                    throw ctx.invalid("pads " + Arrays.toString(p) + " must have 4 values");
                }
                return new int[]{bounded(ctx, "padding", p[0], 0), bounded(ctx, "padding", p[1], 0),
                    bounded(ctx, "padding", p[2], 0), bounded(ctx, "padding", p[3], 0)};
            }
            case "VALID", "SAME_UPPER", "SAME_LOWER" -> {
                if (p != null && Arrays.stream(p).anyMatch(v -> v != 0)) {
                    throw ctx.invalid("has both auto_pad " + auto + " and pads " + Arrays.toString(p));
                }
                if (auto.equals("VALID")) {
                    return new int[4];
                }
                long[] in = {h, w};
                int[] out = new int[4];
                for (int k = 0; k < 2; k++) {
                    long o = (in[k] + stride[k] - 1) / stride[k];
                    long total = Math.max(0, (o - 1) * stride[k] + kernelExtent[k] - in[k]);
                    long small = total / 2;
                    long begin = auto.equals("SAME_UPPER") ? small : total - small;
                    out[k] = bounded(ctx, "padding", begin, 0);
                    out[k + 2] = bounded(ctx, "padding", total - begin, 0);
                }
                return out;
            }
            default -> throw ctx.invalid("auto_pad '" + auto + "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
    }

    /**
     * {@return the pads with {@code ceil_mode=1} turned into extra padding at the bottom and right}: the output size
     * {@code ceil((in + pads − k) / s) + 1}, less one where that last window would start in the bottom or right
     * padding (PyTorch's rule, which its exporter relies on); for max pooling, whose padding never wins
     *
     * @param ctx    the node
     * @param x      the input shape
     * @param k      the kernel
     * @param stride the strides
     * @param pads   top, left, bottom, right
     */
    static int[] ceilPads(ConversionContext ctx, Shape x, int[] k, int[] stride, int[] pads) {
        if (ctx.attrs().i("ceil_mode", 0) == 0 || ctx.attrs().s("auto_pad", "NOTSET").startsWith("SAME")) {
            return pads;
        }
        int[] out = pads.clone();
        long[] size = {x.dim(1), x.dim(2)};
        for (int i = 0; i < 2; i++) {
            long padded = size[i] + pads[i] + pads[i + 2];
            if (padded < k[i]) {
                continue;
            }
            long n = (padded - k[i] + stride[i] - 1) / stride[i] + 1;
            if ((n - 1) * stride[i] >= size[i] + pads[i]) {
                n--;
            }
            long extra = (n - 1) * stride[i] + k[i] - padded;
            if (extra > 0) {
                out[i + 2] = bounded(ctx, "padding", pads[i + 2] + extra, 0);
            }
        }
        return out;
    }
}
