package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.ConstantMul;
import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code ReduceSum} over the last axis → a {@link SumPoolLowering.SumOverLastAxis} that {@link SumPoolLowering}
 * turns into a {@link io.github.dtd4j.graph.SumPool}: how PyTorch exports the sum-pooling
 * {@code x.view(N, D/k, k).sum(2)}; over other per-sample axes, those axes permuted last and merged first
 * ({@link #reduce}).
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
        reduce(ctx, x, axes, keep, false);
    }

    /**
     * A sum or mean over any per-sample axes: the reduced axes permuted last ({@link Permute}) and merged
     * ({@link Reshape}), summed as a {@link io.github.dtd4j.graph.SumPool} over the flattened sample (through
     * {@link SumPoolLowering}), reshaped to the result, and for a mean scaled by one over the count
     * ({@link ConstantMul}). The relevance is split in proportion to the summed inputs, as at average pooling.
     *
     * @param ctx  the node
     * @param x    its input
     * @param axes the ONNX axes, batch axis included in the count
     * @param keep keepdims
     * @param mean whether the result is the mean rather than the sum
     */
    static void reduce(ConversionContext ctx, Act x, long[] axes, boolean keep, boolean mean) {
        int rank = x.shape().rank() + 1;
        long[] dims = x.shape().dims();
        boolean[] reduced = new boolean[dims.length];
        for (long a : axes) {
            long ax = ctx.axis(a, rank);
            if (ax == 0) {
                throw new NotSupported(ctx.operator() + " over the batch axis");
            }
            reduced[(int) ax - 1] = true;
        }
        int[] perm = new int[dims.length];
        List<Long> kept = new ArrayList<>();
        long count = 1;
        int j = 0;
        for (int d = 0; d < dims.length; d++) {
            if (!reduced[d]) {
                perm[j++] = d;
                kept.add(dims[d]);
            }
        }
        for (int d = 0; d < dims.length; d++) {
            if (reduced[d]) {
                perm[j++] = d;
                count *= dims[d];
            }
        }
        long[] outDims = new long[keep ? dims.length : kept.size()];
        for (int d = 0, k = 0; d < dims.length; d++) {
            if (keep) {
                outDims[d] = reduced[d] ? 1 : dims[d];
            } else if (!reduced[d]) {
                outDims[k++] = dims[d];
            }
        }
        if (outDims.length == 0) {
            throw new NotSupported("reducing a whole sample with keepdims=0 (the result has no per-sample axis)");
        }
        Act at = x;
        boolean identity = true;
        for (int d = 0; d < perm.length; d++) {
            identity &= perm[d] == d;
        }
        if (!identity) {
            at = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/permuted"), new Permute(perm),
                    List.of(at.node())));
        }
        if (kept.size() < dims.length - 1) {
            long[] merged = new long[kept.size() + 1];
            for (int k = 0; k < kept.size(); k++) {
                merged[k] = kept.get(k);
            }
            merged[kept.size()] = count;
            at = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/merged"), new Reshape(Shape.of(merged)),
                    List.of(at.node())));
        }
        Act sum = ctx.emitPending(new SumPoolLowering.SumOverLastAxis(Shape.of(outDims), ctx.name()), at);
        if (mean) {
            ctx.emit(new ConstantMul(Nd4j.scalar(ctx.dtype(), 1.0 / count)), sum);
        }
    }
}
