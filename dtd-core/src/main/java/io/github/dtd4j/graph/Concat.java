package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * Concatenates two or more inputs along a per-sample axis (0 = channels).
 *
 * @param axis the per-sample axis, 0 for channels
 */
public record Concat(int axis) implements Layer {
    /** Validates the axis. */
    public Concat {
        if (axis < 0) {
            throw new InvalidGraphException("Concat axis must be >= 0 (per-sample, 0 = channels), got " + axis);
        }
    }

    /** {@return a channel concatenation} */
    public static Concat channels() {
        return new Concat(0);
    }

    @Override
    public int arity() {
        return -1;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape first = inputs.get(0);
        if (axis >= first.rank()) {
            throw Layer.mismatch(node, this, "rank > " + axis, first);
        }
        long[] out = first.dims();
        out[axis] = 0;
        for (Shape s : inputs) {
            for (int d = 0; d < first.rank(); d++) {
                if (s.rank() != first.rank() || (d != axis && s.dim(d) != first.dim(d))) {
                    throw Layer.mismatch(node, this, "shapes equal to " + first.toBatchString() + " except on axis "
                            + axis, s);
                }
            }
            out[axis] += s.dim(axis);
        }
        return Shape.of(out);
    }
}
