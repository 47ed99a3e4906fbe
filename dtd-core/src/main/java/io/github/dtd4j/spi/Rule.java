package io.github.dtd4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A propagation rule: how one linear layer (Dense, Conv2d, or a BatchNorm treated as a diagonal linear layer)
 * redistributes the relevance arriving at its outputs onto its inputs.
 *
 * <p>Every rule of the library has the form {@code R_i = Σ_j q_ij / d_j · R_j} and is computed for the whole layer
 * at once: {@code s = ctx.divide(R, Σ_i q_ij, biasTerm)}, then {@code c = layer.transpose(s, W')} (the
 * input-gradient of the layer's linear map with the rule's modified weights W'), then
 * {@code R_in = (input term) ⊙ c}. {@link RuleContext#divide} applies the stabilizer and books what the bias and
 * the stabilizer absorb in the ledger, so a rule never does its own accounting.
 *
 * <p>Implementations are immutable and thread-safe, validate their parameters in their constructor, and never
 * modify an array they did not allocate.
 *
 * <pre>{@code
 * // LRP-0 in three lines: q_ij = x_i w_ij, d_j = z_j
 * record Lrp0() implements Rule {
 *     public String name() { return "lrp0"; }
 *     public INDArray propagate(RuleContext ctx) {
 *         LinearLayer l = ctx.layer();
 *         INDArray s = ctx.divide(ctx.relevance(), ctx.output().sub(l.addBias(zeros, ctx.bias())), ctx.bias());
 *         return ctx.input().mul(l.transpose(s, l.weight()));
 *     }
 * }
 * }</pre>
 */
public interface Rule {

    /** {@return a short name for reports and the coverage table, e.g. "z+" or "epsilon(0.25)"} */
    String name();

    /**
     * Checks, when an explainer is prepared, that this rule can be applied to the layer (for example that
     * per-channel bounds have one value per input channel).
     *
     * @param layer the layer the rule was assigned to
     * @throws io.github.dtd4j.ConfigurationException naming the layer when it does not fit
     */
    default void check(LinearLayer layer) {
    }

    /**
     * Checks, after the forward pass and before any relevance is propagated, that the layer's input lies in the
     * rule's domain (for example inside the z^B box).
     *
     * @param layer the layer
     * @param input what the layer received, {@code [N, ...]}; never modify
     * @throws io.github.dtd4j.InvalidInputException naming the layer and the offending value
     */
    default void checkInput(LinearLayer layer, INDArray input) {
    }

    /**
     * {@return whether {@link #propagate} reads {@link RuleContext#output()}}; a rule that does not (it computes its
     * own denominators from the input) returns false, and the engine may then apply a ReLU that follows the layer
     * in place, keeping one array instead of two. The default, true, is always safe.
     */
    default boolean usesOutput() {
        return true;
    }

    /**
     * Redistributes the relevance at the layer's outputs onto its inputs.
     *
     * @param ctx the layer, its recorded input and output, the relevance and the stabilizer
     * @return the input relevance, shaped like {@code ctx.input()}, in a newly allocated array
     */
    INDArray propagate(RuleContext ctx);
}
