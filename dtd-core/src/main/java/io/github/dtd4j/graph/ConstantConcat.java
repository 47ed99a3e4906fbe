package io.github.dtd4j.graph;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The concatenation of a constant, the same for every sample, with the input along a per-sample axis: a vision
 * transformer's class token {@code [1,D]} put before its patch tokens {@code [T,D]}. Its default rule routes the input's
 * part of the relevance back exactly and books the constant's part as absorbed (docs/conventions.md#constant-terms).
 *
 * @param axis     the per-sample axis (0 = the first axis after the batch)
 * @param constant the per-sample block, of the sample's rank, equal to it on every axis but {@code axis}
 * @param before   whether the constant comes before the input (true) or after it
 */
public record ConstantConcat(int axis, INDArray constant, boolean before) implements Layer {
    /** Validates the constant. */
    public ConstantConcat {
        Arrays2.requireConstant(constant, "ConstantConcat");
        if (axis < 0) {
            throw new io.github.dtd4j.errors.InvalidGraphException("ConstantConcat axis must be >= 0 (a per-sample "
                    + "axis), got " + axis);
        }
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        boolean fits = axis < in.rank() && constant.rank() == in.rank();
        for (int d = 0; fits && d < in.rank(); d++) {
            fits = d == axis || constant.size(d) == in.dim(d);
        }
        if (!fits) {
            throw Layer.invalid(node, this, "constant " + Shape.format(constant.shape()) + " cannot be joined to "
                    + in.toBatchString() + " along axis " + (axis + 1));
        }
        long[] out = in.dims().clone();
        out[axis] += constant.size(axis);
        return Shape.of(out);
    }

    @Override
    public String toString() {
        return "ConstantConcat[axis=" + axis + ", constant=" + Arrays2.describe(constant) + ", before=" + before + "]";
    }
}
