package io.github.dtd4j.graph;

import java.util.List;

/**
 * The matrix product of two activations, batched over the leading axes: per-sample shapes {@code [...,m,k]} and
 * {@code [...,k,n]} of equal rank ≥ 2 with equal leading dimensions give {@code [...,m,n]}. Attention computes its
 * scores {@code Q·Kᵀ} and its output {@code A·V} this way (one batch axis per head). Its default rule is AttnLRP's
 * uniform rule with the stabilizer: every product {@code a_il·b_lj} is a share of {@code y_ij}, and each factor gets
 * half of it (docs/conventions.md#products).
 */
public record MatMul() implements Layer {
    @Override
    public int arity() {
        return 2;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape a = inputs.get(0);
        Shape b = inputs.get(1);
        int r = a.rank();
        if (r < 2 || b.rank() != r) {
            throw Layer.invalid(node, this, "inputs " + a.toBatchString() + " and " + b.toBatchString()
                    + " must be matrices of one rank >= 2 per sample");
        }
        for (int d = 0; d < r - 2; d++) {
            if (a.dim(d) != b.dim(d)) {
                throw Layer.invalid(node, this, "inputs " + a.toBatchString() + " and " + b.toBatchString()
                        + " differ on the batched axis " + (d + 1));
            }
        }
        if (a.dim(r - 1) != b.dim(r - 2)) {
            throw Layer.invalid(node, this, "cannot multiply " + a.toBatchString() + " by " + b.toBatchString());
        }
        long[] out = a.dims().clone();
        out[r - 1] = b.dim(r - 1);
        return Shape.of(out);
    }
}
