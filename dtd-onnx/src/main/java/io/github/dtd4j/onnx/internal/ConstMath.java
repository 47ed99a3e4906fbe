package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * Tensor arithmetic on constants of any rank, by ONNX's (numpy's) broadcasting: what exporters write to compute a
 * mask or a table from the shapes alone, such as a Swin transformer's shifted-window attention mask
 * ({@code ConstantOfShape}, {@code Range}, {@code ScatterND}, {@code Equal}, {@code Not}, {@code Where}) or its
 * relative position bias ({@code Gather} of a learned table by a constant index). Folds of the
 * {@link ConstantFolder}.
 *
 * <p>Integer tensors may hold the symbolic batch size {@code k·N} ({@link Const#batchTimes}). Products and exact
 * quotients of it by known integers stay symbolic ({@code N·4}, {@code 4N / 4}), copies carry it, and a comparison of
 * it with a value that is not positive is false; any other arithmetic on it is not supported.
 */
final class ConstMath {
    /** Constants larger than this are not evaluated (a file is not trusted). */
    private static final long MAX_ELEMENTS = 1L << 26;

    private ConstMath() {
    }

    // ------------------------------------------------------------------------------------------------ element-wise

    /** {@code Add}, {@code Sub}, {@code Mul}, {@code Div}, {@code Mod}, {@code Pow} and {@code Equal} of constants. */
    static Const binary(ConversionContext ctx, NodeProto node) {
        String op = ctx.operator();
        Const x = ctx.constant(0, "A");
        Const y = ctx.constant(1, "B");
        long[] dims = broadcast(ctx, x.dims, y.dims);
        int[] fx = from(x.dims, dims);
        int[] fy = from(y.dims, dims);
        int n = fx.length;
        boolean fmod = ctx.attrs().i("fmod", 0) != 0;
        if (op.equals("Equal")) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                v[k] = equal(x, fx[k], y, fy[k]) ? 1 : 0;
            }
            return Const.ints(dims, v, null);
        }
        if (x.isInt() && y.isInt() && !op.equals("Pow")) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                v[k] = integer(ctx, op, x.i[fx[k]], y.i[fy[k]], fmod);
            }
            return Const.ints(dims, v, null);
        }
        if (op.equals("Pow") && x.isInt()) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                requirePlain(x.i[fx[k]]);
                v[k] = (long) Math.pow(x.i[fx[k]], y.at(fy[k]));
            }
            return Const.ints(dims, v, null);
        }
        if (x.isInt() != y.isInt() && !op.equals("Pow")) {
            throw ctx.invalid("inputs differ in type: " + x + ", " + y);
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            double p = x.at(fx[k]);
            double q = y.at(fy[k]);
            v[k] = switch (op) {
                case "Add" -> p + q;
                case "Sub" -> p - q;
                case "Mul" -> p * q;
                case "Div" -> p / q;
                case "Pow" -> Math.pow(p, q);
                case "Mod" -> {
                    if (!fmod) {
                        throw ctx.invalid("Mod of floating-point values needs fmod=1");
                    }
                    yield p % q;
                }
                default -> throw new IllegalStateException(op);
            };
        }
        return Const.doubles(dims, v, null);
    }

    private static long integer(ConversionContext ctx, String op, long p, long q, boolean fmod) {
        boolean pb = Const.isBatch(p);
        boolean qb = Const.isBatch(q);
        if (pb || qb) {
            if (op.equals("Mul") && !(pb && qb) && (pb ? q : p) > 0) {
                return Const.batchTimes(Math.multiplyExact(Const.batchFactor(pb ? p : q), pb ? q : p));
            }
            if (op.equals("Div") && pb && !qb && q > 0 && Const.batchFactor(p) % q == 0) {
                return Const.batchTimes(Const.batchFactor(p) / q);
            }
            if (op.equals("Div") && pb && qb && Const.batchFactor(p) % Const.batchFactor(q) == 0) {
                return Const.batchFactor(p) / Const.batchFactor(q);
            }
            throw new NotSupported(op + " of the batch size (" + Dims.format(new long[]{p}) + ", "
                    + Dims.format(new long[]{q}) + ")");
        }
        return switch (op) {
            case "Add" -> Math.addExact(p, q);
            case "Sub" -> Math.subtractExact(p, q);
            case "Mul" -> Math.multiplyExact(p, q);
            case "Div" -> {
                if (q == 0) {
                    throw ctx.invalid("integer division by zero");
                }
                yield p / q; // ONNX's integer Div truncates, as Java's does
            }
            case "Mod" -> {
                if (q == 0) {
                    throw ctx.invalid("integer modulo by zero");
                }
                yield fmod ? p % q : Math.floorMod(p, q); // fmod=0: the sign of the divisor, as Python's %
            }
            default -> throw new IllegalStateException(op);
        };
    }

    private static boolean equal(Const x, int a, Const y, int b) {
        if (x.isInt() && y.isInt()) {
            long p = x.i[a];
            long q = y.i[b];
            boolean pb = Const.isBatch(p);
            boolean qb = Const.isBatch(q);
            if (pb && qb) {
                if (p != q) {
                    throw new NotSupported("comparing " + Dims.format(new long[]{p}) + " with "
                            + Dims.format(new long[]{q}));
                }
                return true;
            }
            if (pb || qb) {
                if ((pb ? q : p) <= 0) {
                    return false; // a batch holds at least one sample
                }
                throw new NotSupported("comparing the batch size with " + (pb ? q : p));
            }
            return p == q;
        }
        return x.at(a) == y.at(b);
    }

    private static void requirePlain(long v) {
        if (Const.isBatch(v)) {
            throw new NotSupported("arithmetic on the batch size");
        }
    }

    /** {@code Not} of a boolean constant. */
    static Const not(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "X");
        long[] v = new long[c.length()];
        for (int k = 0; k < v.length; k++) {
            v[k] = c.at(k) != 0 ? 0 : 1;
        }
        return Const.ints(c.dims, v, null);
    }

    /** {@code Where(condition, X, Y)} of constants, broadcast. */
    static Const where(ConversionContext ctx, NodeProto node) {
        Const c = ctx.constant(0, "condition");
        Const x = ctx.constant(1, "X");
        Const y = ctx.constant(2, "Y");
        if (x.isInt() != y.isInt()) {
            throw ctx.invalid("X and Y differ in type: " + x + ", " + y);
        }
        long[] dims = broadcast(ctx, broadcast(ctx, c.dims, x.dims), y.dims);
        int[] fc = from(c.dims, dims);
        int[] fx = from(x.dims, dims);
        int[] fy = from(y.dims, dims);
        int n = fc.length;
        if (x.isInt()) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                v[k] = c.at(fc[k]) != 0 ? x.i[fx[k]] : y.i[fy[k]];
            }
            return Const.ints(dims, v, null);
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = c.at(fc[k]) != 0 ? x.at(fx[k]) : y.at(fy[k]);
        }
        return Const.doubles(dims, v, null);
    }

    // ------------------------------------------------------------------------------------------------ generators

    /** {@code Range(start, limit, delta)}: {@code max(ceil((limit − start) / delta), 0)} values. */
    static Const range(ConversionContext ctx, NodeProto node) {
        Const start = ctx.constant(0, "start");
        Const limit = ctx.constant(1, "limit");
        Const delta = ctx.constant(2, "delta");
        if (start.length() != 1 || limit.length() != 1 || delta.length() != 1) {
            throw ctx.invalid("start, limit and delta must be scalars, got " + start + ", " + limit + ", " + delta);
        }
        if (start.isInt()) {
            requirePlain(start.i[0]);
            requirePlain(limit.longs()[0]);
            requirePlain(delta.longs()[0]);
        }
        double s = start.at(0);
        double d = delta.at(0);
        if (d == 0) {
            throw ctx.invalid("delta is 0");
        }
        long n = Math.max((long) Math.ceil((limit.at(0) - s) / d), 0);
        count(n);
        if (start.isInt()) {
            long[] v = new long[(int) n];
            for (int k = 0; k < n; k++) {
                v[k] = start.i[0] + k * delta.longs()[0];
            }
            return Const.ints(new long[]{n}, v, null);
        }
        double[] v = new double[(int) n];
        for (int k = 0; k < n; k++) {
            v[k] = s + k * d;
        }
        return Const.doubles(new long[]{n}, v, null);
    }

    /** {@code ScatterND(data, indices, updates)} without reduction: a copy of data with slices replaced. */
    static Const scatterNd(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "data");
        Const indices = ctx.constant(1, "indices");
        Const updates = ctx.constant(2, "updates");
        String reduction = ctx.attrs().s("reduction", "none");
        if (!reduction.equals("none")) {
            throw new NotSupported("ScatterND with reduction '" + reduction + "'");
        }
        if (!indices.isInt() || indices.rank() < 1) {
            throw ctx.invalid("indices must be integers of rank at least 1, got " + indices);
        }
        int q = indices.rank();
        int kk = (int) indices.dims[q - 1];
        int r = data.rank();
        if (kk > r) {
            throw ctx.invalid("indices " + indices + " index more axes than data " + data + " has");
        }
        long slice = 1;
        for (int a = kk; a < r; a++) {
            slice *= data.dims[a];
        }
        int tuples = indices.length() / Math.max(kk, 1);
        if (kk == 0 || (long) tuples * slice != updates.length()) {
            throw ctx.invalid("updates " + updates + " do not fit indices " + indices + " into data " + data);
        }
        if (data.isInt() != updates.isInt()) {
            throw ctx.invalid("data and updates differ in type: " + data + ", " + updates);
        }
        long[] iv = data.isInt() ? data.i.clone() : null;
        double[] dv = data.isInt() ? null : new double[data.length()];
        if (dv != null) {
            for (int k = 0; k < dv.length; k++) {
                dv[k] = data.at(k);
            }
        }
        for (int t = 0; t < tuples; t++) {
            long offset = 0;
            for (int a = 0; a < kk; a++) {
                long ix = indices.i[t * kk + a];
                requirePlain(ix);
                long ia = ix < 0 ? ix + data.dims[a] : ix;
                if (ia < 0 || ia >= data.dims[a]) {
                    throw ctx.invalid("index " + ix + " is out of range for axis " + a + " of " + data);
                }
                offset = offset * data.dims[a] + ia;
            }
            offset *= slice;
            for (int e = 0; e < slice; e++) {
                int src = (int) (t * slice + e);
                if (iv != null) {
                    iv[(int) offset + e] = updates.i[src];
                } else {
                    dv[(int) offset + e] = updates.at(src);
                }
            }
        }
        return iv != null ? Const.ints(data.dims, iv, null) : Const.doubles(data.dims, dv, null);
    }

    // ------------------------------------------------------------------------------------------------ indexing

    /** {@code Gather} from a constant of any rank along an axis, by constant indices of any rank. */
    static Const gather(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "data");
        Const idx = ctx.constant(1, "indices");
        if (!idx.isInt()) {
            throw ctx.invalid("indices must be integers, got " + idx);
        }
        int r = data.rank();
        if (r == 0) {
            throw ctx.invalid("data is a scalar");
        }
        int axis = (int) ctx.axis(ctx.attrs().i("axis", 0), r);
        long len = data.dims[axis];
        long outer = 1;
        for (int a = 0; a < axis; a++) {
            outer *= data.dims[a];
        }
        long inner = 1;
        for (int a = axis + 1; a < r; a++) {
            inner *= data.dims[a];
        }
        long[] dims = new long[r - 1 + idx.rank()];
        System.arraycopy(data.dims, 0, dims, 0, axis);
        System.arraycopy(idx.dims, 0, dims, axis, idx.rank());
        System.arraycopy(data.dims, axis + 1, dims, axis + idx.rank(), r - axis - 1);
        int m = idx.length();
        int[] from = new int[(int) count(outer * m * inner)];
        int at = 0;
        for (long o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                long ix = idx.i[j];
                requirePlain(ix);
                long p = ix < 0 ? ix + len : ix;
                if (p < 0 || p >= len) {
                    throw ctx.invalid("index " + ix + " is out of range for " + len + " values");
                }
                for (long e = 0; e < inner; e++) {
                    from[at++] = (int) ((o * len + p) * inner + e);
                }
            }
        }
        return data.pick(dims, from, null);
    }

    /** {@code Slice} of a constant of any rank: starts, ends, axes and steps (negative too) as ONNX clamps them. */
    static Const slice(ConversionContext ctx, NodeProto node) {
        Const data = ctx.constant(0, "data");
        long[] starts = ctx.constant(1, "starts").longs();
        long[] ends = ctx.constant(2, "ends").longs();
        Const ax = ctx.optionalConstant(3, "axes");
        Const st = ctx.optionalConstant(4, "steps");
        int r = data.rank();
        long[] axes = ax == null ? null : ax.longs();
        long[] steps = st == null ? null : st.longs();
        if (starts.length != ends.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length)) {
            throw ctx.invalid("starts, ends, axes and steps differ in length");
        }
        long[] lo = new long[r];
        long[] step = new long[r];
        long[] dims = data.dims.clone();
        Arrays.fill(step, 1);
        for (int j = 0; j < starts.length; j++) {
            int a = (int) ctx.axis(axes == null ? j : axes[j], r);
            long s = steps == null ? 1 : steps[j];
            if (s == 0) {
                throw ctx.invalid("step 0");
            }
            long len = data.dims[a];
            long b = starts[j] < 0 ? starts[j] + len : starts[j];
            long e = ends[j] < 0 && !Const.isBatch(ends[j]) ? ends[j] + len : ends[j];
            if (Const.isBatch(ends[j]) || Const.isBatch(starts[j])) {
                throw new NotSupported("Slice of a constant bounded by the batch size");
            }
            long n;
            if (s > 0) {
                b = Math.max(0, Math.min(len, b));
                e = Math.max(0, Math.min(len, e));
                n = Math.max(0, (e - b + s - 1) / s);
            } else {
                b = Math.max(-1, Math.min(len - 1, b));
                e = Math.max(-1, Math.min(len - 1, e));
                n = Math.max(0, (b - e + (-s) - 1) / (-s));
            }
            lo[a] = b;
            step[a] = s;
            dims[a] = n;
        }
        int total = (int) count(Dims.size(dims));
        int[] from = new int[total];
        long[] idx = new long[r];
        for (int k = 0; k < total; k++) {
            long src = 0;
            for (int a = 0; a < r; a++) {
                src = src * data.dims[a] + lo[a] + idx[a] * step[a];
            }
            from[k] = (int) src;
            for (int a = r - 1; a >= 0; a--) {
                if (++idx[a] < dims[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return data.pick(dims, from, null);
    }

    /** {@code Concat} of constants of any rank along an axis. */
    static Const concat(ConversionContext ctx, NodeProto node) {
        int count = node.getInputCount();
        Const first = ctx.constant(0, "input 0");
        int r = first.rank();
        if (r == 0) {
            throw ctx.invalid("cannot concatenate scalars");
        }
        int axis = (int) ctx.axis(ctx.attrs().required("axis"), r);
        Const[] ins = new Const[count];
        long total = 0;
        boolean ints = first.isInt();
        for (int k = 0; k < count; k++) {
            ins[k] = ctx.constant(k, "input " + k);
            Const c = ins[k];
            if (c.rank() != r || c.isInt() != ints) {
                throw ctx.invalid("inputs " + first + " and " + c + " differ in rank or type");
            }
            for (int a = 0; a < r; a++) {
                if (a != axis && c.dims[a] != first.dims[a]) {
                    throw ctx.invalid("inputs " + first + " and " + c + " differ off axis " + axis);
                }
            }
            total += c.dims[axis];
        }
        long[] dims = first.dims.clone();
        dims[axis] = total;
        long outer = 1;
        for (int a = 0; a < axis; a++) {
            outer *= dims[a];
        }
        long inner = 1;
        for (int a = axis + 1; a < r; a++) {
            inner *= dims[a];
        }
        int n = (int) count(Dims.size(dims));
        long[] iv = ints ? new long[n] : null;
        double[] dv = ints ? null : new double[n];
        int at = 0;
        for (long o = 0; o < outer; o++) {
            for (Const c : ins) {
                long block = c.dims[axis] * inner;
                for (long e = 0; e < block; e++) {
                    int src = (int) (o * block + e);
                    if (iv != null) {
                        iv[at++] = c.i[src];
                    } else {
                        dv[at++] = c.at(src);
                    }
                }
            }
        }
        return ints ? Const.ints(dims, iv, null) : Const.doubles(dims, dv, null);
    }

    // ------------------------------------------------------------------------------------------------ broadcasting

    /** {@return the broadcast of two shapes, numpy's rule} */
    static long[] broadcast(ConversionContext ctx, long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int k = 0; k < r; k++) {
            long p = k < r - a.length ? 1 : a[k - (r - a.length)];
            long q = k < r - b.length ? 1 : b[k - (r - b.length)];
            if (p != q && p != 1 && q != 1) {
                throw ctx.invalid("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[k] = p == 1 ? q : p;
        }
        count(Dims.size(out));
        return out;
    }

    /** {@return for each element of a tensor of shape {@code out}, the index of its source in a broadcast {@code in}} */
    static int[] from(long[] in, long[] out) {
        int r = out.length;
        long[] padded = new long[r];
        Arrays.fill(padded, 1);
        System.arraycopy(in, 0, padded, r - in.length, in.length);
        int n = (int) count(Dims.size(out));
        int[] from = new int[n];
        long[] idx = new long[r];
        for (int k = 0; k < n; k++) {
            long src = 0;
            for (int a = 0; a < r; a++) {
                src = src * padded[a] + (padded[a] == 1 ? 0 : idx[a]);
            }
            from[k] = (int) src;
            for (int a = r - 1; a >= 0; a--) {
                if (++idx[a] < out[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return from;
    }

    private static long count(long n) {
        if (n > MAX_ELEMENTS) {
            throw new NotSupported("a constant of " + n + " elements (at most " + MAX_ELEMENTS + " are evaluated)");
        }
        return n;
    }
}
