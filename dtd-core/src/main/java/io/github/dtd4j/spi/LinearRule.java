package io.github.dtd4j.spi;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link Rule} for a linear layer (Dense, Conv2d, or a BatchNorm treated as a diagonal linear layer): how it
 * redistributes the relevance arriving at its outputs onto its inputs, written against the layer's linear view.
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
 * // LRP-0 in four lines: q_ij = x_i w_ij, d_j = Σ_i q_ij + b_j
 * record Lrp0() implements LinearRule {
 *     public String name() { return "lrp0"; }
 *     public INDArray propagate(RuleContext ctx) {
 *         LinearLayer l = ctx.layer();
 *         INDArray s = ctx.divide(ctx.relevance(), l.forward(ctx.input(), l.weight()), ctx.bias());
 *         return ctx.input().mul(l.transpose(s, l.weight()));
 *     }
 * }
 * }</pre>
 */
public interface LinearRule extends Rule {

    /**
     * {@return true for Dense and Conv2d layers}; BatchNorm layers take linear rules only when the explainer treats
     * them as affine layers ({@code batchNorm(BatchNormMode.AFFINE)}), which the explainer decides
     */
    @Override
    default boolean accepts(Layer layer) {
        return layer instanceof Dense || layer instanceof Conv2d;
    }

    /** Checks the rule against the node's linear view: {@link #check(LinearLayer)}. */
    @Override
    default void check(NodeInfo node) {
        check(node.linear());
    }

    /** Checks the node's input against the rule's domain: {@link #checkInput(LinearLayer, INDArray)}. */
    @Override
    default void checkInput(NodeInfo node, List<INDArray> inputs) {
        checkInput(node.linear(), inputs.get(0));
    }

    /** Runs {@link #propagate(RuleContext)} on the node's linear view. */
    @Override
    default List<INDArray> propagate(NodeContext ctx) {
        return List.of(propagate(ctx.linearContext()));
    }

    /**
     * Checks, when an explainer is prepared, that this rule can be applied to the layer (for example that
     * per-channel bounds have one value per input channel).
     *
     * @param layer the layer the rule was assigned to
     * @throws io.github.dtd4j.errors.ConfigurationException naming the layer when it does not fit
     */
    default void check(LinearLayer layer) {
    }

    /**
     * Checks, after the forward pass and before any relevance is propagated, that the layer's input lies in the
     * rule's domain (for example inside the z^B box).
     *
     * @param layer the layer
     * @param input what the layer received, {@code [N, ...]}; never modify
     * @throws io.github.dtd4j.errors.InvalidInputException naming the layer and the offending value
     */
    default void checkInput(LinearLayer layer, INDArray input) {
    }

    /**
     * {@return whether the rule treats the positions of a Dense layer's input one by one}: a Dense layer over
     * positions ({@code [N, positions..., features]}, a transformer's tokens) maps each position on its own, and a
     * rule of the form {@code R_i = Σ_j q_ij / d_j · R_j} whose {@code q} and {@code d} at one position depend on
     * that position's input and output alone sends a position whose relevance is all zero nothing. For such a rule
     * the engine hands {@link #propagate} only the positions whose relevance is not all zero in some batch element
     * (when they are at most half of them) and sends zeros to the others: a vision transformer's head reads its
     * class token alone, so the last block's dense layers then cost one row instead of 197. {@code ctx.input()},
     * {@code output()} and {@code relevance()} are those positions, {@code [N, k, features]}; the layer's shapes stay
     * the model's. False by default, so that a rule holding arrays shaped like the whole input (z^B's bounds) sees the
     * input as it is; every rule of {@code dtd-rules} but z^B says true.
     */
    default boolean positionwise() {
        return false;
    }

    /**
     * Redistributes the relevance at the layer's outputs onto its inputs.
     *
     * @param ctx the layer, its recorded input and output, the relevance and the stabilizer
     * @return the input relevance, shaped like {@code ctx.input()}, in a newly allocated array
     */
    INDArray propagate(RuleContext ctx);

    /**
     * {@return the rule written as ONNX operators on the graph's tensors, computing what {@link #propagate} computes
     * (to float rounding), or empty if this rule cannot be compiled}; an explainer compiled to ONNX
     * ({@code Explainer.toOnnx()}) lists every node whose rule returns empty
     *
     * @param ctx the layer, its input, output and relevance as symbols, and the operators
     */
    default java.util.Optional<Symbol> compile(SymbolicRuleContext ctx) {
        return java.util.Optional.empty();
    }
}
