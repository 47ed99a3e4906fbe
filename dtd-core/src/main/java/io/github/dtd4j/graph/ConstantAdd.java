package io.github.dtd4j.graph;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sum with a constant, broadcast over the sample: a vision transformer's position embedding {@code [T,D]}, a bias
 * that no layer before it can take. Its default rule treats the constant as a bias, {@code R_x = x·R/(x + c)} with the
 * stabilizer, and books the constant's share {@code c·R/(x + c)} as absorbed (docs/conventions.md#constant-terms).
 *
 * @param constant rank 0 or 1 with one element, or the rank of the sample with each dimension equal to the sample's
 *                 or 1
 */
public record ConstantAdd(INDArray constant) implements Layer {
    /** Validates the constant. */
    public ConstantAdd {
        Arrays2.requireConstant(constant, "ConstantAdd");
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Arrays2.requireBroadcast(node, this, "constant", constant, inputs.get(0));
        return inputs.get(0);
    }

    @Override
    public String toString() {
        return "ConstantAdd[constant=" + Arrays2.describe(constant) + "]";
    }
}
