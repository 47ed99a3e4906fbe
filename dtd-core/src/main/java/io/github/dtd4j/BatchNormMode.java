package io.github.dtd4j;

/** How BatchNorm layers are explained (docs/conventions.md#batchnorm). */
public enum BatchNormMode {
    /**
     * Fold into the directly preceding Conv2d/Dense (a graph rewrite that leaves the output unchanged); a
     * BatchNorm that cannot be folded takes the explainer's fallback mode, and the coverage report says so.
     */
    FOLD,
    /** Relevance passes through unchanged (paper §6). */
    BYPASS,
    /** Treated as a diagonal linear layer {@code z_c = x_c·scale_c + shift_c} explained by its assigned rule. */
    AFFINE
}
