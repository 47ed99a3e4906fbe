package io.github.dtd4j;

/**
 * How relevance is split among the inputs of a sum: a residual {@code Add}, sum-pooling, average pooling (plain,
 * global, adaptive) and max-pooling in {@link MaxPoolMode#PROPORTIONAL proportional} mode.
 */
public enum SumSplit {
    /**
     * In proportion to the signed inputs, R_k = x_k / (Σ x) · R, stabilized (docs/conventions.md#sums-and-average-pooling default; Zennit's
     * {@code Norm} rule, LRP-ε on the sum's unit weights). Where the inputs of a sum have mixed signs, one input
     * can receive negative relevance, or more than the sum had; conservation still holds at the sum itself.
     */
    SIGNED,
    /**
     * In proportion to the positive parts of the inputs, R_k = x_k⁺ / (Σ x⁺) · R: the z⁺ rule on the sum's unit
     * weights, as Deep Taylor Decomposition derives it for a linear layer with positive weights. Relevance stays
     * positive through residual and dense-block networks, and with biases left out of the denominators
     * (BiasPolicy.IGNORE) the pixels receive the whole logit wherever each relevant unit has a positive
     * contribution. An input that is ≤ 0 receives nothing.
     */
    POSITIVE
}
