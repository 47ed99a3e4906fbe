package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code ReduceSum} over the last axis → a {@link SumPoolLowering.SumOverLastAxis} that {@link SumPoolLowering}
 * turns into a {@link io.github.dtd4j.graph.SumPool}: how PyTorch exports the sum-pooling
 * {@code x.view(N, D/k, k).sum(2)}.
 */
final class ReduceSumConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        long[] axes;
        if (ctx.opset() >= 13) {
            Const c = ctx.optionalConstant(1, "axes");
            axes = c == null ? null : c.longs();
        } else {
            axes = ctx.attrs().ints("axes");
        }
        boolean keep = ctx.attrs().i("keepdims", 1) != 0;
        if (axes == null || axes.length == 0) {
            if (ctx.attrs().i("noop_with_empty_axes", 0) != 0) {
                ctx.output(x);
                return;
            }
            throw new NotSupported("summing over every axis, the batch included");
        }
        int rank = x.shape().rank() + 1;
        long ax = axes.length == 1 ? (axes[0] < 0 ? axes[0] + rank : axes[0]) : -1;
        if (ax != rank - 1) {
            throw new NotSupported("ReduceSum over axes " + Arrays.toString(axes) + " of a rank-" + rank
                    + " tensor (only the last axis, as in x.view(N, D/k, k).sum(2), maps to SumPool)");
        }
        long[] dims = x.shape().dims();
        long[] outDims = keep ? dims.clone() : Arrays.copyOf(dims, dims.length - 1);
        if (keep) {
            outDims[outDims.length - 1] = 1;
        }
        if (outDims.length == 0) {
            throw new NotSupported("summing a whole sample with keepdims=0 (the result has no per-sample axis)");
        }
        ctx.emitPending(new SumPoolLowering.SumOverLastAxis(Shape.of(outDims), ctx.name()), x);
    }
}
