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
            Act x = ctx.activation(0);
            dims = x.shape().withBatch(Const.BATCH);
        }
        int r = dims.length;
        long start = ctx.attrs().i("start", 0);
        long end = ctx.attrs().i("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] out = start >= end ? new long[0] : Arrays.copyOfRange(dims, (int) start, (int) end);
        return Const.vector(out);
    }

    /** {@code Gather} of entries of a constant vector. */
    static Const gather(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "data");
        Const idx = ctx.constant(1, "indices");
        long axis = ctx.attrs().i("axis", 0);
        if (data.rank() != 1 || (axis != 0 && axis != -1) || !idx.isInt() || idx.rank() > 1) {
            throw new NotSupported("Gather other than picking entries of a constant vector");
        }
        long[] picked = new long[idx.length()];
        int len = data.length();
        for (int k = 0; k < picked.length; k++) {
            long j = idx.i[k] < 0 ? idx.i[k] + len : idx.i[k];
            if (j < 0 || j >= len) {
                throw ctx.invalid("index " + idx.i[k] + " is out of range for " + len + " values");
            }
            picked[k] = j;
        }
        long[] dims = idx.dims.clone();
        if (data.isInt()) {
            long[] v = new long[picked.length];
            for (int k = 0; k < v.length; k++) {
                v[k] = data.i[(int) picked[k]];
            }
            return Const.ints(dims, v, null);
        }
        double[] v = new double[picked.length];
        for (int k = 0; k < v.length; k++) {
            v[k] = data.at((int) picked[k]);
        }
        return Const.doubles(dims, v, null);
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

    /** {@code Concat} of constant integer vectors. */
    static Const concat(ConversionContext ctx, NodeProto node) {
        long axis = ctx.attrs().required("axis");
        List<Const> ins = new ArrayList<>();
        boolean ints = true;
        for (int k = 0; k < node.getInputCount(); k++) {
            Const c = ctx.constant(k, "input " + k);
            if (c.rank() != 1) {
                throw new NotSupported("Concat of constants other than vectors");
            }
            ints &= c.isInt();
            ins.add(c);
        }
        if (axis != 0 && axis != -1) {
            throw ctx.invalid("axis " + axis + " is out of range for vectors");
        }
        if (!ints) {
            throw new NotSupported("Concat of floating-point constants");
        }
        long[] all = new long[ins.stream().mapToInt(Const::length).sum()];
        int at = 0;
        for (Const c : ins) {
            System.arraycopy(c.i, 0, all, at, c.length());
            at += c.length();
        }
        return Const.vector(all);
    }

    /** {@code Add} or {@code Sub} of integer constants, one of them possibly a single value. */
    static Const arithmetic(ConversionContext ctx, NodeProto node) {
        String op = ctx.operator();
        Const x = ctx.constant(0, "A");
        Const y = ctx.constant(1, "B");
        if (!x.isInt() || !y.isInt() || (x.length() != y.length() && x.length() != 1 && y.length() != 1)) {
            throw new NotSupported(ctx.operator() + " of two constants other than integer shape arithmetic");
        }
        // a single value broadcasts, also onto an empty vector
        int len = x.length() == 0 || y.length() == 0 ? 0 : Math.max(x.length(), y.length());
        long[] v = new long[len];
        for (int k = 0; k < len; k++) {
            long p = x.i[x.length() == 1 ? 0 : k];
            long q = y.i[y.length() == 1 ? 0 : k];
            if (p == Const.BATCH || q == Const.BATCH) {
                throw new NotSupported("arithmetic on the batch size");
            }
            v[k] = switch (op) {
                case "Sub" -> p - q;
                case "Mul" -> Math.multiplyExact(p, q);
                case "Div" -> {
                    if (q == 0) {
                        throw ctx.invalid("integer division by zero");
                    }
                    yield p / q; // ONNX's integer Div truncates, as Java's does
                }
                default -> p + q;
            };
        }
        return Const.ints(x.length() == len ? x.dims : y.dims, v, null);
    }

    /** {@code Slice} of a constant vector (shape arithmetic: {@code Shape(x)[1:3]}), positive steps. */
    static Const slice(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "data");
        if (data.rank() != 1) {
            throw new NotSupported("Slice of a constant other than a vector (shape arithmetic)");
        }
        long[] starts = ctx.constant(1, "starts").longs();
        long[] ends = ctx.constant(2, "ends").longs();
        Const axes = ctx.optionalConstant(3, "axes");
        Const steps = ctx.optionalConstant(4, "steps");
        if (starts.length != 1 || ends.length != 1 || (axes != null && (axes.length() != 1 || (axes.longs()[0] != 0
                && axes.longs()[0] != -1)))) {
            throw new NotSupported("Slice of a constant vector along more than its one axis");
        }
        long step = steps == null ? 1 : steps.longs()[0];
        if (step <= 0) {
            throw new NotSupported("Slice of a constant vector with step " + step);
        }
        int len = data.length();
        long s = Math.max(0, Math.min(len, starts[0] < 0 ? starts[0] + len : starts[0]));
        long e = Math.max(0, Math.min(len, ends[0] < 0 ? ends[0] + len : ends[0]));
        int n = (int) Math.max(0, (e - s + step - 1) / step);
        if (data.isInt()) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                v[k] = data.i[(int) (s + k * step)];
            }
            return Const.ints(new long[]{n}, v, null);
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = data.at((int) (s + k * step));
        }
        return Const.doubles(new long[]{n}, v, null);
    }
}
