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
            if (d == Const.BATCH) {
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

    /** {@code Equal} of two constants of one length (or one of them a single value): 1 where equal, else 0. */
    static Const equal(ConversionContext ctx, NodeProto node) {
        Const x = ctx.constant(0, "A");
        Const y = ctx.constant(1, "B");
        int len = broadcastLength(ctx, x, y);
        long[] v = new long[len];
        for (int k = 0; k < len; k++) {
            double p = x.at(x.length() == 1 ? 0 : k);
            double q = y.at(y.length() == 1 ? 0 : k);
            boolean pb = x.isInt() && x.i[x.length() == 1 ? 0 : k] == Const.BATCH;
            boolean qb = y.isInt() && y.i[y.length() == 1 ? 0 : k] == Const.BATCH;
            if (pb || qb) {
                double other = pb ? q : p;
                if (pb && qb) {
                    v[k] = 1;
                } else if (other <= 0) {
                    v[k] = 0; // a batch holds at least one sample
                } else {
                    throw new NotSupported("comparing the batch size with " + (long) other);
                }
            } else {
                v[k] = p == q ? 1 : 0;
            }
        }
        return Const.ints(x.length() == len ? x.dims : y.dims, v, null);
    }

    /** {@code Where(condition, X, Y)} of constants of one length (or single values). */
    static Const where(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "condition");
        Const x = ctx.constant(1, "X");
        Const y = ctx.constant(2, "Y");
        int len = Math.max(broadcastLength(ctx, c, x), broadcastLength(ctx, c, y));
        broadcastLength(ctx, x, y);
        long[] dims = c.length() == len ? c.dims : x.length() == len ? x.dims : y.dims;
        if (x.isInt() && y.isInt()) {
            long[] v = new long[len];
            for (int k = 0; k < len; k++) {
                v[k] = c.at(c.length() == 1 ? 0 : k) != 0 ? x.i[x.length() == 1 ? 0 : k] : y.i[y.length() == 1 ? 0 : k];
            }
            return Const.ints(dims, v, null);
        }
        if (x.isInt() != y.isInt()) {
            throw ctx.invalid("X and Y differ in type: " + x + ", " + y);
        }
        double[] v = new double[len];
        for (int k = 0; k < len; k++) {
            v[k] = c.at(c.length() == 1 ? 0 : k) != 0 ? x.at(x.length() == 1 ? 0 : k) : y.at(y.length() == 1 ? 0 : k);
        }
        return Const.doubles(dims, v, null);
    }

    private static int broadcastLength(ConversionContext ctx, Const x, Const y) {
        if (x.length() != y.length() && x.length() != 1 && y.length() != 1) {
            throw new NotSupported(ctx.operator() + " of constants of lengths " + x.length() + " and " + y.length()
                    + " (only element-wise, or with a single value)");
        }
        return Math.max(x.length(), y.length());
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
            if (target[d] == Const.BATCH) {
                if (d != 0 || in[d] != 1) {
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
        long count = 1;
        for (long d : out) {
            count = Math.multiplyExact(count, d);
        }
        if (count > Integer.MAX_VALUE) {
            throw new NotSupported("Expand to " + count + " elements");
        }
        int n = (int) count;
        long[] iv = data.isInt() ? new long[n] : null;
        double[] dv = data.isInt() ? null : new double[n];
        long[] idx = new long[rank];
        for (int k = 0; k < n; k++) {
            // the source element: the output index with broadcast axes at 0, in the data's C order
            long src = 0;
            for (int d = 0; d < rank; d++) {
                src = src * in[d] + (in[d] == 1 ? 0 : idx[d]);
            }
            if (iv != null) {
                iv[k] = data.i[(int) src];
            } else {
                dv[k] = data.at((int) src);
            }
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return iv != null ? Const.ints(out, iv, data.origin) : Const.doubles(out, dv, data.origin);
    }
}
