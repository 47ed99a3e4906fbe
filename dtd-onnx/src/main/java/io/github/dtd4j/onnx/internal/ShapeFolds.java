package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * The shape arithmetic exporters write, such as PyTorch's {@code x.view(x.size(0), -1)}: {@code Shape},
 * {@code Gather}, {@code Unsqueeze}, {@code Concat} and integer {@code Add}/{@code Sub}, evaluated on vectors of
 * integers that may hold the symbolic batch {@link Const#BATCH}. Folds of the {@link ConstantFolder}.
 */
final class ShapeFolds {
    private ShapeFolds() {
    }

    /** {@code Shape} of a constant or an activation (whose batch is {@link Const#BATCH}), with start and end. */
    static Const shape(ConversionContext ctx, NodeProto node) {
        long[] dims;
        if (ctx.input(0) instanceof Const c) {
            dims = c.dims.clone();
        } else {
            Act x = ctx.laid(0);
            dims = x.layout().onnxDims(x.shape());
        }
        int r = dims.length;
        long start = ctx.attrs().i("start", 0);
        long end = ctx.attrs().i("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] out = start >= end ? new long[0] : Arrays.copyOfRange(dims, (int) start, (int) end);
        return Const.vector(out);
    }


    /** {@code Unsqueeze} of a constant: axes from an attribute before opset 13, from input 1 since. */
    static Const unsqueeze(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "data");
        long[] axes = ctx.opset() >= 13 ? ctx.constant(1, "axes").longs() : ctx.attrs().ints("axes");
        if (axes == null || axes.length == 0) {
            throw ctx.invalid("has no axes");
        }
        int outRank = c.rank() + axes.length;
        boolean[] inserted = new boolean[outRank];
        for (long ax : axes) {
            long k = ax < 0 ? ax + outRank : ax;
            if (k < 0 || k >= outRank || inserted[(int) k]) {
                throw ctx.invalid("axes " + Arrays.toString(axes) + " are invalid for rank " + c.rank());
            }
            inserted[(int) k] = true;
        }
        long[] dims = new long[outRank];
        for (int k = 0, j = 0; k < outRank; k++) {
            dims[k] = inserted[k] ? 1 : c.dims[j++];
        }
        return c.withDims(dims, c.origin);
    }



}
