package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.Arrays;
import java.util.List;

/**
 * Permutes the per-sample axes (ONNX {@code Transpose} with the batch axis in place): output axis {@code i} is input
 * axis {@code axes[i]}. Relevance is routed back exactly (docs/conventions.md#routing).
 *
 * @param axes a permutation of {@code 0..rank−1} over the per-sample axes
 */
public record Permute(int[] axes) implements Layer {
    /** Validates and copies the permutation. */
    public Permute {
        if (axes == null || axes.length == 0) {
            throw new InvalidGraphException("Permute needs the permutation of the per-sample axes");
        }
        axes = axes.clone();
        boolean[] seen = new boolean[axes.length];
        for (int a : axes) {
            if (a < 0 || a >= axes.length || seen[a]) {
                throw new InvalidGraphException("Permute axes must be a permutation of 0.." + (axes.length - 1)
                        + ", got " + Arrays.toString(axes));
            }
            seen[a] = true;
        }
    }

    /** {@return the permutation, a copy} */
    @Override
    public int[] axes() {
        return axes.clone();
    }

    /** {@return the permutation that undoes this one} */
    public int[] inverse() {
        int[] inv = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            inv[axes[i]] = i;
        }
        return inv;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != axes.length) {
            throw Layer.mismatch(node, this, "rank " + (axes.length + 1) + " (batch and " + axes.length
                    + " axes to permute)", in);
        }
        long[] out = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = in.dim(axes[i]);
        }
        return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Permute p && Arrays.equals(axes, p.axes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(axes);
    }

    @Override
    public String toString() {
        return "Permute" + Arrays.toString(axes);
    }
}
