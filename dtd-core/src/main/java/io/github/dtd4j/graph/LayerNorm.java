package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer normalisation over the last axis, as PyTorch's {@code nn.LayerNorm(d)} and ONNX's
 * {@code LayerNormalization(axis=-1)} compute it: {@code y = (x − μ)/√(σ² + eps)·γ + β} with μ and σ² the mean and the
 * (population) variance of the last axis at each position. Its default rule passes relevance through unchanged
 * (docs/conventions.md#layernorm), AttnLRP's identity rule, which treats the normaliser as a constant.
 *
 * @param gamma scale {@code [d]}
 * @param beta  shift {@code [d]}, or {@code null} for none
 * @param eps   added to the variance, {@code > 0}
 */
public record LayerNorm(INDArray gamma, INDArray beta, double eps) implements Layer {
    /** Validates the vectors and eps. */
    public LayerNorm {
        if (gamma == null) {
            throw new InvalidGraphException("LayerNorm gamma is required");
        }
        long d = gamma.length();
        gamma = Arrays2.requireVector(gamma, d, "LayerNorm gamma");
        beta = Arrays2.requireVector(beta, d, "LayerNorm beta");
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new InvalidGraphException("LayerNorm eps must be finite and > 0, got " + eps);
        }
    }

    /** {@return the length of the normalised axis} */
    public long features() {
        return gamma.length();
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.dim(in.rank() - 1) != features()) {
            throw Layer.mismatch(node, this, "[N,...," + features() + "]", in);
        }
        return in;
    }

    @Override
    public String toString() {
        return "LayerNorm[gamma=" + Arrays2.describe(gamma) + ", beta=" + Arrays2.describe(beta) + ", eps=" + eps + "]";
    }
}
