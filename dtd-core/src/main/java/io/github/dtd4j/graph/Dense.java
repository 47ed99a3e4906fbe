package io.github.dtd4j.graph;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fully connected layer {@code z = x·W + b}, applied along the last axis of its input.
 *
 * @param weight {@code [in, out]}: {@code weight[i][j]} connects input i to output j (the paper's w_ij)
 * @param bias   {@code [out]}, or {@code null} for none
 */
public record Dense(INDArray weight, INDArray bias) implements Layer {
    /** Validates the weight rank and the bias length. */
    public Dense {
        Arrays2.requireRank(weight, 2, "Dense weight");
        bias = Arrays2.requireVector(bias, weight.size(1), "Dense bias");
    }

    /** {@return a dense layer} @param weight {@code [in,out]} @param bias {@code [out]} or null */
    public static Dense of(INDArray weight, INDArray bias) {
        return new Dense(weight, bias);
    }

    /** {@return the number of inputs} */
    public long inFeatures() {
        return weight.size(0);
    }

    /** {@return the number of outputs} */
    public long outFeatures() {
        return weight.size(1);
    }

    /**
     * {@inheritDoc} A vector {@code [N,in]} gives {@code [N,out]}; a higher-rank input, such as the tokens
     * {@code [N,T,in]} of a transformer or the channels-last map {@code [N,H,W,in]} of a ConvNeXt block, is mapped
     * along its last axis, position by position, as PyTorch's {@code nn.Linear} does.
     */
    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() < 1 || in.dim(in.rank() - 1) != inFeatures()) {
            throw Layer.mismatch(node, this, "[N," + inFeatures() + "] or [N,...," + inFeatures() + "]", in);
        }
        long[] out = in.dims();
        out[out.length - 1] = outFeatures();
        return Shape.of(out);
    }

    @Override
    public String toString() {
        return "Dense[weight=" + Arrays2.describe(weight) + ", bias=" + Arrays2.describe(bias) + "]";
    }
}
