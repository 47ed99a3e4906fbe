package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code ReduceMean} over the two spatial axes of an image ({@code x.mean([2, 3])}, ShuffleNet's and MNASNet's
 * global pooling) → {@link GlobalAvgPool}, followed by a {@link Reshape} to {@code [N,C]} when {@code keepdims=0}; over
 * other per-sample axes, a sum scaled by one over the count ({@link ReduceSumConverter#reduce}).
 */
final class ReduceMeanConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        long[] axes = ctx.attrs().ints("axes");
        boolean keep = ctx.attrs().i("keepdims", 1) != 0;
        int rank = x.shape().rank() + 1;
        long[] norm = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
        if (norm == null) {
            throw new NotSupported("ReduceMean over every axis, the batch included");
        }
        if (rank != 4 || !Arrays.equals(norm, new long[]{2, 3})) {
            ReduceSumConverter.reduce(ctx, x, axes, keep, true);
            return;
        }
        if (keep) {
            ctx.emit(new GlobalAvgPool(), x);
            return;
        }
        Act pooled = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/mean"), new GlobalAvgPool(),
                List.of(x.node())));
        ctx.emit(new Reshape(Shape.of(x.shape().dim(0))), pooled);
    }
}
