package io.github.dtd4j.graph;

import java.util.List;

/**
 * The softmax over the last axis, {@code s_i = exp(x_i) / Σ_j exp(x_j)}, inside a network: an attention layer's
 * weights. Its default rule is AttnLRP's, {@code R_in,i = x_i·(R_i − s_i·Σ_j R_j)} (docs/conventions.md#softmax). A
 * softmax that ends a model is removed by the importers instead, so that the logits are explained.
 */
public record Softmax() implements Layer {
    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return inputs.get(0);
    }
}
