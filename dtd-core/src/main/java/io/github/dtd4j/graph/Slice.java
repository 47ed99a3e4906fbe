package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.Arrays;
import java.util.List;

/**
 * Takes a strided window of per-sample axes (ONNX {@code Slice}, each output of {@code Split}): along
 * {@code axes[k]}, the elements {@code starts[k], starts[k] + steps[k], ...} below {@code ends[k]}. The other axes
 * are kept whole. Relevance goes back to the elements taken; the others get none (docs/conventions.md#routing).
 *
 * @param axes   per-sample axes, distinct (0 = channels for images)
 * @param starts first index taken, {@code 0 ≤ start < end}
 * @param ends   bound, exclusive, at most the axis' size
 * @param steps  stride, positive
 */
public record Slice(int[] axes, long[] starts, long[] ends, long[] steps) implements Layer {
    /** Validates and copies the arrays. */
    public Slice {
        if (axes == null || starts == null || ends == null || steps == null || axes.length == 0
                || starts.length != axes.length || ends.length != axes.length || steps.length != axes.length) {
            throw new InvalidGraphException("Slice needs axes, starts, ends and steps of one length (at least 1)");
        }
        axes = axes.clone();
        starts = starts.clone();
        ends = ends.clone();
        steps = steps.clone();
        for (int k = 0; k < axes.length; k++) {
            if (axes[k] < 0) {
                throw new InvalidGraphException("Slice axes are per-sample and >= 0, got " + Arrays.toString(axes));
            }
            for (int j = 0; j < k; j++) {
                if (axes[j] == axes[k]) {
                    throw new InvalidGraphException("Slice axes must be distinct, got " + Arrays.toString(axes));
                }
            }
            if (starts[k] < 0 || ends[k] <= starts[k] || steps[k] < 1) {
                throw new InvalidGraphException("Slice on axis " + axes[k] + " needs 0 <= start < end and step >= 1, "
                        + "got start " + starts[k] + ", end " + ends[k] + ", step " + steps[k]);
            }
        }
    }

    /** {@return a contiguous slice of one axis} @param axis per-sample axis @param start first @param end bound */
    public static Slice of(int axis, long start, long end) {
        return new Slice(new int[]{axis}, new long[]{start}, new long[]{end}, new long[]{1});
    }

    @Override
    public int[] axes() {
        return axes.clone();
    }

    @Override
    public long[] starts() {
        return starts.clone();
    }

    @Override
    public long[] ends() {
        return ends.clone();
    }

    @Override
    public long[] steps() {
        return steps.clone();
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        long[] out = in.dims();
        for (int k = 0; k < axes.length; k++) {
            if (axes[k] >= in.rank()) {
                throw Layer.mismatch(node, this, "rank > " + (axes[k] + 1), in);
            }
            if (ends[k] > in.dim(axes[k])) {
                throw Layer.invalid(node, this, "slice [" + starts[k] + ", " + ends[k] + ") of axis " + (axes[k] + 1)
                        + " exceeds input " + in.toBatchString());
            }
            out[axes[k]] = (ends[k] - starts[k] + steps[k] - 1) / steps[k];
        }
        return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Slice s && Arrays.equals(axes, s.axes) && Arrays.equals(starts, s.starts)
                && Arrays.equals(ends, s.ends) && Arrays.equals(steps, s.steps);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(axes) * 31 + Arrays.hashCode(starts) * 17 + Arrays.hashCode(ends) * 7
                + Arrays.hashCode(steps);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Slice[");
        for (int k = 0; k < axes.length; k++) {
            sb.append(k == 0 ? "" : ", ").append("axis ").append(axes[k]).append(": ").append(starts[k]).append(':')
                    .append(ends[k]).append(steps[k] == 1 ? "" : ":" + steps[k]);
        }
        return sb.append(']').toString();
    }
}
