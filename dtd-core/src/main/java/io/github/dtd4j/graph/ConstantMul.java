package io.github.dtd4j.graph;

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
        Arrays2.requireConstant(factor, "ConstantMul");
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Arrays2.requireBroadcast(node, this, "factor", factor, inputs.get(0));
        return inputs.get(0);
    }

    @Override
    public String toString() {
        return "ConstantMul[factor=" + Arrays2.describe(factor) + "]";
    }
}
