package io.github.dtd4j.graph;

import java.util.List;

/**
 * Sums consecutive groups of {@code groupSize} units of a vector: {@code [N,D] -> [N,D/groupSize]}. This is the
 * pooling of the paper's detection-pooling networks (§4, §6.1).
 *
 * @param groupSize units per group
 */
public record SumPool(int groupSize) implements Layer {
    /** Validates the group size. */
    public SumPool {
        Arrays2.positive("SumPool group size", groupSize);
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != 1 || in.dim(0) % groupSize != 0) {
            throw Layer.mismatch(node, this, "[N,D] with D divisible by " + groupSize, in);
        }
        return Shape.of(in.dim(0) / groupSize);
    }
}
