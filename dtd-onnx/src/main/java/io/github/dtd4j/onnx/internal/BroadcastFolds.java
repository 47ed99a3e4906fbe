package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;

/**
 * The arithmetic exporters write around {@code Expand}: PyTorch's {@code t.expand(n, -1, -1)} becomes
 * {@code Where(Equal(shape, -1), ConstantOfShape(...), shape)} and then {@code Expand}. Folds of the
 * {@link ConstantFolder}, on constants that may hold the symbolic batch {@link Const#BATCH}. Comparisons give integer
 * 0/1 tensors. Expanding a constant to the batch size gives the constant with 1 on the batch axis: the same block for
 * every sample, which {@link ConcatConverter} joins to an activation (a vision transformer's class token).
 */
final class BroadcastFolds {
    private BroadcastFolds() {
    }

    /** {@code ConstantOfShape}: a tensor of the given shape filled with the attribute's value (float 0 by default). */
    static Const constantOfShape(ConversionContext ctx, NodeProto node) {
        long[] dims = ctx.constant(0, "shape").longs();
        long count = 1;
        for (long d : dims) {
            if (Const.isBatch(d)) {
                throw new NotSupported("ConstantOfShape of a shape that holds the batch size");
            }
            if (d < 0) {
                throw ctx.invalid("negative dimension in shape " + Arrays.toString(dims));
            }
            count = Math.multiplyExact(count, d);
        }
        if (count > Integer.MAX_VALUE) {
            throw new NotSupported("ConstantOfShape of " + count + " elements");
        }
        TensorProto t = ctx.attrs().t("value");
        Const value = t == null ? Const.floats(new long[0], new float[]{0f}, null)
                : ctx.decode(t, "the value of ConstantOfShape '" + ctx.name() + "'", null);
        if (value.length() != 1) {
            throw ctx.invalid("value must hold one element, got " + value);
        }
        int n = (int) count;
        if (value.isInt()) {
            long[] v = new long[n];
            Arrays.fill(v, value.i[0]);
            return Const.ints(dims, v, null);
        }
        double[] v = new double[n];
        Arrays.fill(v, value.at(0));
        return Const.doubles(dims, v, null);
    }

    /**
     * {@code Expand} of a constant to a shape, by numpy's broadcasting. The batch size on the first axis (where the
     * constant has 1) keeps 1 there: the result is one block that stands for every sample.
     */
    static Const expand(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "input");
        long[] shape = ctx.constant(1, "shape").longs();
        int rank = Math.max(data.rank(), shape.length);
        long[] in = new long[rank];
        Arrays.fill(in, 1);
        System.arraycopy(data.dims, 0, in, rank - data.rank(), data.rank());
        long[] target = new long[rank];
        Arrays.fill(target, 1);
        System.arraycopy(shape, 0, target, rank - shape.length, shape.length);
        long[] out = new long[rank];
        for (int d = 0; d < rank; d++) {
            if (Const.isBatch(target[d])) {
                if (d != 0 || in[d] != 1 || target[d] != Const.BATCH) {
                    throw new NotSupported("Expand to the batch size on an axis other than the first");
                }
                out[d] = 1;
            } else if (in[d] == target[d] || target[d] == 1) {
                out[d] = in[d];
            } else if (in[d] == 1) {
                out[d] = target[d];
            } else {
                throw ctx.invalid("cannot expand " + data + " to " + Arrays.toString(shape));
            }
        }
        return data.pick(out, ConstMath.from(data.dims, out), data.origin);
    }
}
