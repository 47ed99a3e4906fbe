package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element-wise product with a constant, broadcast over the sample ({@code [C,1,1]} for a ConvNeXt layer scale, a
 * scalar for a fixed factor): a diagonal linear map without bias. Its default rule passes relevance through unchanged
 * (docs/conventions.md#constant-factors), which is what every rule of a linear layer gives a map with one input per
 * output and no bias.
 *
 * @param factor the constant: rank 0 or 1 with one element, or the rank of the sample with each dimension equal to the
 *               sample's or 1
 */
public record ConstantMul(INDArray factor) implements Layer {
    /** Validates the factor. */
    public ConstantMul {
        if (factor == null || factor.isEmpty() || !factor.dataType().isFPType()) {
            throw new InvalidGraphException("ConstantMul needs a floating-point factor, got "
                    + (factor == null ? "null" : Arrays2.describe(factor)));
        }
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (factor.length() == 1) {
            return in;
        }
        if (factor.rank() != in.rank()) {
            throw Layer.invalid(node, this, "factor " + Shape.format(factor.shape()) + " does not broadcast over "
                    + in.toBatchString());
        }
        for (int d = 0; d < in.rank(); d++) {
            if (factor.size(d) != 1 && factor.size(d) != in.dim(d)) {
                throw Layer.invalid(node, this, "factor " + Shape.format(factor.shape()) + " does not broadcast over "
                        + in.toBatchString());
            }
        }
        return in;
    }

    @Override
    public String toString() {
        return "ConstantMul[factor=" + Arrays2.describe(factor) + "]";
    }
}
