package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Constant} nodes, and operators that only move a constant's values around: {@code Identity},
 * {@code Cast}, {@code Flatten} and {@code Reshape} of a constant. Folds of the {@link ConstantFolder}.
 */
final class TensorFolds {
    private TensorFolds() {
    }

    /** A {@code Constant} node's value: a tensor, or one of the value_* attributes. */
    static Const constant(ConversionContext ctx, NodeProto node) {
        Attrs a = ctx.attrs();
        String out = node.getOutputCount() > 0 ? node.getOutput(0) : "";
        if (a.t("value") != null) {
            return ctx.decode(a.t("value"), "Constant '" + ctx.name() + "'", out);
        } else if (a.has("value_float")) {
            return Const.floats(new long[0], new float[]{(float) a.f("value_float", 0)}, out);
        } else if (a.has("value_floats")) {
            float[] f = a.floats("value_floats");
            return Const.floats(new long[]{f.length}, f, out);
        } else if (a.has("value_int")) {
            return Const.scalar(a.i("value_int", 0)).withOrigin(out);
        } else if (a.has("value_ints")) {
            return Const.vector(a.ints("value_ints")).withOrigin(out);
        } else if (a.has("sparse_value") || a.has("value_string") || a.has("value_strings")) {
            throw new NotSupported("sparse or string constants");
        }
        throw ctx.invalid("has no value");
    }

    /**
     * {@code Identity} of a constant: the constant itself. Torch writes these for de-duplicated initializers; keeping
     * the original keeps its name for naming the layer that uses it.
     */
    static Const identity(ConversionContext ctx, NodeProto node) {
        return ctx.constant(0, "the input");
    }

    /** {@code Cast} of a constant to a float or integer type. */
    static Const cast(ConversionContext ctx, NodeProto node) {
        long to = ctx.attrs().i("to", 0);
        Const c = ctx.constant(0, "the input");
        if (to == OnnxTensors.FLOAT || to == OnnxTensors.DOUBLE) {
            double[] d = new double[c.length()];
            for (int k = 0; k < d.length; k++) {
                d[k] = c.at(k);
            }
            return Const.doubles(c.dims, d, c.origin);
        }
        if (OnnxTensors.elementSize((int) to) > 0) {
            return Const.ints(c.dims, c.longs(), c.origin);
        }
        throw new NotSupported("casting to " + OnnxTensors.typeName((int) to));
    }

    /** {@code Flatten} of a constant into a matrix. */
    static Const flatten(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "the input");
        long axis = ctx.attrs().i("axis", 1);
        int r = c.rank();
        long ax = axis < 0 ? axis + r : axis;
        if (ax < 0 || ax > r) {
            throw ctx.invalid("axis " + axis + " is out of range for rank " + r);
        }
        long outer = 1;
        for (int k = 0; k < ax; k++) {
            outer *= c.dims[k];
        }
        return c.withDims(new long[]{outer, outer == 0 ? 0 : c.length() / outer}, c.origin);
    }

    /** {@code Reshape} of a constant, {@code 0} (unless allowzero) and {@code -1} resolved. */
    static Const reshape(ConversionContext ctx, NodeProto node) {
        long[] target = ReshapeConverter.target(ctx);
        boolean allowZero = ctx.attrs().i("allowzero", 0) != 0;
        Const c = ctx.constant(0, "the input");
        long[] t = target.clone();
        long known = 1;
        int unknown = -1;
        for (int k = 0; k < t.length; k++) {
            if (t[k] == 0 && !allowZero) {
                if (k >= c.rank()) {
                    throw ctx.invalid("shape " + Dims.format(t) + " copies dimension " + k + " of a rank-"
                            + c.rank() + " constant");
                }
                t[k] = c.dims[k];
            }
            if (t[k] == -1 && unknown < 0) {
                unknown = k;
            } else if (t[k] < 0) {
                throw ctx.invalid("shape " + Dims.format(target) + " has an invalid dimension " + t[k]);
            } else {
                known = Dims.boundedProduct(known, t[k]);
            }
        }
        if (unknown >= 0) {
            if (known == 0 || c.length() % known != 0) {
                throw ctx.invalid("cannot reshape " + Arrays.toString(c.dims) + " to " + Dims.format(target));
            }
            t[unknown] = c.length() / known;
        } else if (known != c.length()) {
            throw ctx.invalid("cannot reshape " + Arrays.toString(c.dims) + " to " + Dims.format(target));
        }
        return c.withDims(t, c.origin);
    }

    /** {@code Transpose} of a constant (a MatMul weight exported without constant folding): its values permuted. */
    static Const transpose(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "data");
        int rank = c.rank();
        long[] perm = ctx.attrs().ints("perm");
        if (perm == null) {
            perm = new long[rank];
            for (int k = 0; k < rank; k++) {
                perm[k] = rank - 1 - k;
            }
        }
        boolean[] seen = new boolean[rank];
        if (perm.length != rank) {
            throw ctx.invalid("perm " + java.util.Arrays.toString(perm) + " does not fit a rank-" + rank + " constant");
        }
        for (long p : perm) {
            if (p < 0 || p >= rank || seen[(int) p]) {
                throw ctx.invalid("perm " + java.util.Arrays.toString(perm) + " is not a permutation");
            }
            seen[(int) p] = true;
        }
        long[] outDims = new long[rank];
        for (int k = 0; k < rank; k++) {
            outDims[k] = c.dims[(int) perm[k]];
        }
        long[] inStrides = new long[rank];
        long st = 1;
        for (int k = rank - 1; k >= 0; k--) {
            inStrides[k] = st;
            st *= c.dims[k];
        }
        int n = c.length();
        int[] from = new int[n];
        long[] idx = new long[rank];
        for (int f = 0; f < n; f++) {
            long src = 0;
            for (int k = 0; k < rank; k++) {
                src += idx[k] * inStrides[(int) perm[k]];
            }
            from[f] = (int) src;
            for (int k = rank - 1; k >= 0; k--) {
                if (++idx[k] < outDims[k]) {
                    break;
                }
                idx[k] = 0;
            }
        }
        return c.pick(outDims, from, c.origin);
    }
}
