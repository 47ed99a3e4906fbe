package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * Local response normalisation across channels, as PyTorch and ONNX define it:
 * {@code y_c = x_c / (k + alpha/size · Σ x_{c'}²)^beta} over the {@code size} channels centred on c.
 * Relevance passes through it unchanged (docs/conventions.md#pass-through-layers: bypass).
 *
 * @param size  channels in the window
 * @param alpha scale
 * @param beta  exponent
 * @param k     additive constant
 */
public record LocalResponseNorm(int size, double alpha, double beta, double k) implements Layer {
    /** Validates the parameters. */
    public LocalResponseNorm {
        Arrays2.positive("LocalResponseNorm size", size);
        if (!(k > 0) || !Double.isFinite(alpha) || !Double.isFinite(beta)) {
            throw new InvalidGraphException("LocalResponseNorm needs k > 0 and finite alpha, beta; got k=" + k
                    + ", alpha=" + alpha + ", beta=" + beta);
        }
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != 3) {
            throw Layer.mismatch(node, this, "[N,C,H,W]", in);
        }
        return in;
    }
}
