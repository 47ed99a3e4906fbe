package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Squeeze} and {@code Unsqueeze} of an activation → {@link Reshape} (axes from the attribute before opset
 * 13, from input 1 after); the batch axis stays first. (Of constants: the {@link ConstantFolder}.)
 */
final class SqueezeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        boolean squeeze = ctx.operator().equals("Squeeze");
        Act x = ctx.activation(0);
        long[] axes;
        if (ctx.opset() >= 13) {
            Const c = ctx.optionalConstant(1, "axes");
            if (c != null && (c.rank() > 1 || !c.isInt())) {
                throw ctx.invalid("axes must be a vector of integers, got " + c);
            }
            axes = c == null ? null : c.longs();
        } else {
            axes = ctx.attrs().ints("axes");
        }
        long[] in = x.shape().withBatch(1);
        List<Long> out = new ArrayList<>();
        if (squeeze) {
            int rank = in.length;
            boolean[] drop = new boolean[rank];
            if (axes == null) {
                for (int d = 1; d < rank; d++) {
                    drop[d] = in[d] == 1;
                }
            } else {
                for (long a : axes) {
                    long ax = ctx.axis(a, rank);
                    if (ax == 0) {
                        throw new NotSupported("Squeeze of the batch axis");
                    }
                    if (in[(int) ax] != 1) {
                        throw ctx.invalid("cannot squeeze axis " + a + " of size " + in[(int) ax]);
                    }
                    drop[(int) ax] = true;
                }
            }
            for (int d = 1; d < rank; d++) {
                if (!drop[d]) {
                    out.add(in[d]);
                }
            }
        } else {
            if (axes == null) {
                throw ctx.invalid("Unsqueeze needs axes");
            }
            int rank = in.length + axes.length;
            boolean[] add = new boolean[rank];
            for (long a : axes) {
                long ax = a < 0 ? a + rank : a;
                if (ax < 0 || ax >= rank || add[(int) ax]) {
                    throw ctx.invalid("axes " + Arrays.toString(axes) + " are not distinct axes of rank " + rank);
                }
                if (ax == 0) {
                    throw new NotSupported("Unsqueeze before the batch axis");
                }
                add[(int) ax] = true;
            }
            int k = 1;
            for (int d = 1; d < rank; d++) {
                out.add(add[d] ? 1L : in[k++]);
            }
        }
        if (out.isEmpty()) {
            throw new NotSupported("squeezing a sample to a scalar (the result has no per-sample axis)");
        }
        Shape shape = Shape.of(out.stream().mapToLong(Long::longValue).toArray());
        if (shape.equals(x.shape())) {
            ctx.output(x);
            return;
        }
        ctx.emit(new Reshape(shape), x);
    }
}
