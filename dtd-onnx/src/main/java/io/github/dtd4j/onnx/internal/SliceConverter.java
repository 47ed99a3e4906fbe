package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.Slice;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Slice} of an activation with constant starts, ends, axes and positive steps → {@link Slice} (ONNX's
 * clamping and negative indices resolved); {@code Split} → one {@link Slice} per output. The batch axis must be
 * taken whole. (Slices of constants are evaluated by the {@link ConstantFolder}.)
 */
final class SliceConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        if (ctx.operator().equals("Split")) {
            split(ctx, node);
            return;
        }
        Act x = ctx.activation(0);
        long[] starts = ints(ctx, 1, "starts", null);
        long[] ends = ints(ctx, 2, "ends", null);
        if (starts == null || ends == null) {
            throw ctx.invalid("needs starts and ends");
        }
        int rank = x.shape().rank() + 1;
        long[] axes = ints(ctx, 3, "axes", defaultAxes(starts.length));
        long[] steps = ints(ctx, 4, "steps", ones(starts.length));
        if (ends.length != starts.length || axes.length != starts.length || steps.length != starts.length) {
            throw ctx.invalid("starts, ends, axes and steps differ in length: " + Arrays.toString(starts) + ", "
                    + Arrays.toString(ends) + ", " + Arrays.toString(axes) + ", " + Arrays.toString(steps));
        }
        long[] full = x.shape().withBatch(-1);
        List<Integer> ax = new ArrayList<>();
        List<long[]> windows = new ArrayList<>();
        for (int k = 0; k < starts.length; k++) {
            long a = axes[k] < 0 ? axes[k] + rank : axes[k];
            if (a < 0 || a >= rank || ax.contains((int) a - 1)) {
                throw ctx.invalid("axes " + Arrays.toString(axes) + " are not distinct axes of a rank-" + rank
                        + " input");
            }
            if (steps[k] == 0) {
                throw ctx.invalid("a step of 0");
            }
            if (steps[k] < 0) {
                throw new NotSupported("Slice with a negative step (reversing axis " + a + ")");
            }
            if (a == 0) {
                boolean toTheEnd = ends[k] >= Integer.MAX_VALUE || (ctx.staticBatch() > 0 && ends[k] >= ctx.staticBatch());
                if (starts[k] != 0 || steps[k] != 1 || !toTheEnd) {
                    throw new NotSupported("Slice of the batch axis (start " + starts[k] + ", end " + ends[k]
                            + ", step " + steps[k] + ")");
                }
                continue;
            }
            long dim = full[(int) a];
            long s = clamp(starts[k] < 0 ? starts[k] + dim : starts[k], dim);
            long e = clamp(ends[k] < 0 ? ends[k] + dim : ends[k], dim);
            if (e <= s) {
                throw new NotSupported("a Slice that takes nothing (axis " + a + ", [" + starts[k] + ", " + ends[k]
                        + "))");
            }
            ax.add((int) a - 1);
            windows.add(new long[]{s, e, steps[k]});
        }
        emitSlice(ctx, x, ax, windows, -1);
    }

    private static void split(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        int rank = x.shape().rank() + 1;
        long axis = ctx.attrs().i("axis", 0);
        long a = ctx.axis(axis, rank);
        if (a == 0) {
            throw new NotSupported("Split of the batch axis");
        }
        int outputs = node.getOutputCount();
        long dim = x.shape().dim((int) a - 1);
        long[] sizes = ctx.opset() >= 13 ? ints(ctx, 1, "split", null) : ctx.attrs().ints("split");
        if (sizes == null) {
            if (dim % outputs != 0) {
                throw ctx.invalid("cannot split " + dim + " elements of axis " + a + " into " + outputs + " equal parts");
            }
            sizes = new long[outputs];
            Arrays.fill(sizes, dim / outputs);
        }
        if (sizes.length != outputs || Arrays.stream(sizes).anyMatch(v -> v < 0) || Arrays.stream(sizes).sum() != dim) {
            throw ctx.invalid("split sizes " + Arrays.toString(sizes) + " do not divide axis " + a + " of "
                    + x.shape().toBatchString() + " into " + outputs + " outputs");
        }
        long at = 0;
        for (int k = 0; k < outputs; k++) {
            if (sizes[k] == 0) {
                throw new NotSupported("an empty Split output");
            }
            emitSlice(ctx, x, List.of((int) a - 1), List.<long[]>of(new long[]{at, at + sizes[k], 1}), k);
            at += sizes[k];
        }
    }

    /** Emits the slice (or passes x through when it takes everything); output −1 is the node's only output. */
    private static void emitSlice(ConversionContext ctx, Act x, List<Integer> axes, List<long[]> windows, int output) {
        Shape in = x.shape();
        List<Integer> keptAxes = new ArrayList<>();
        List<long[]> kept = new ArrayList<>();
        for (int k = 0; k < axes.size(); k++) {
            long[] w = windows.get(k);
            if (!(w[0] == 0 && w[1] == in.dim(axes.get(k)) && w[2] == 1)) {
                keptAxes.add(axes.get(k));
                kept.add(w);
            }
        }
        if (kept.isEmpty()) {
            if (output < 0) {
                ctx.output(x);
            } else {
                ctx.outputAt(output, x);
            }
            return;
        }
        int n = kept.size();
        int[] ax = new int[n];
        long[] st = new long[n];
        long[] en = new long[n];
        long[] sp = new long[n];
        for (int k = 0; k < n; k++) {
            ax[k] = keptAxes.get(k);
            st[k] = kept.get(k)[0];
            en[k] = kept.get(k)[1];
            sp[k] = kept.get(k)[2];
        }
        Slice slice = new Slice(ax, st, en, sp);
        if (output < 0) {
            ctx.emit(slice, x);
        } else {
            ctx.emitAt(output, slice, x);
        }
    }

    private static long clamp(long v, long dim) {
        return Math.max(0, Math.min(dim, v));
    }

    private static long[] ints(ConversionContext ctx, int k, String what, long[] absent) {
        Const c = ctx.optionalConstant(k, "the " + what);
        if (c == null) {
            return absent;
        }
        if (c.rank() != 1 || !c.isInt()) {
            throw ctx.invalid("its " + what + " must be a vector of integers, got " + c);
        }
        return c.longs();
    }

    private static long[] defaultAxes(int n) {
        long[] a = new long[n];
        for (int k = 0; k < n; k++) {
            a[k] = k;
        }
        return a;
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }
}
