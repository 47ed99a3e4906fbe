package io.github.dtd4j.spi;

import io.github.dtd4j.graph.Layer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How relevance passes through one node of a graph: from the relevance at the node's output to a relevance for
 * each of its inputs. Every node of a graph gets a rule, through selectors (by kind, name, name pattern, position,
 * range, or any predicate); linear layers must be given one, every other kind has a default that
 * docs/conventions.md specifies. {@link LinearRule} is the special case for layers with weights (LRP-ε, z⁺, z^B,
 * ...); a rule for any other kind of node, including one defined outside dtd4j
 * ({@link io.github.dtd4j.graph.CustomLayer}), implements this interface directly.
 *
 * <p>Implementations are immutable and thread-safe, validate their parameters in their constructor, and never
 * modify an array they did not allocate. Relevance absorbed on the way (by a stabilizer or a bias) must be booked
 * through {@link NodeContext#divide}, so that the ledger balances.
 *
 * <pre>{@code
 * // relevance at a gate y = x · g (g a constant of the layer) goes to x unchanged, as Zennit's Pass rule does
 * record PassGate() implements Rule {
 *     public String name() { return "pass (gate)"; }
 *     public boolean accepts(Layer layer) { return layer instanceof Gate; }
 *     public List<INDArray> propagate(NodeContext ctx) { return List.of(ctx.relevance().dup()); }
 * }
 * }</pre>
 */
public interface Rule {

    /** {@return a short name for the coverage report and the ledger, e.g. "z+" or "proportional"} */
    String name();

    /**
     * {@return whether this rule can propagate through nodes of this layer kind}; a selector that matches a node
     * whose kind the rule does not accept does not apply to it
     *
     * @param layer the node's layer
     */
    boolean accepts(Layer layer);

    /**
     * Checks, when an explainer is compiled, that this rule fits the node (shapes, parameters).
     *
     * @param node the node the rule was assigned to
     * @throws io.github.dtd4j.errors.ConfigurationException naming the node when it does not fit
     */
    default void check(NodeInfo node) {
    }

    /**
     * Checks, after the forward pass and before any relevance is propagated, that the node's inputs lie in the
     * rule's domain (for example inside the z^B box).
     *
     * @param node   the node
     * @param inputs what the node received, batch first; never modify
     * @throws io.github.dtd4j.errors.InvalidInputException naming the node and the offending value
     */
    default void checkInput(NodeInfo node, List<INDArray> inputs) {
    }

    /**
     * {@return whether {@link #propagate} reads {@link NodeContext#output()}}; a rule that does not may let the
     * engine apply a following ReLU in place, keeping one array instead of two. The default, true, is always safe.
     */
    default boolean usesOutput() {
        return true;
    }

    /**
     * Redistributes the relevance at the node's output onto its inputs.
     *
     * @param ctx the node, its recorded inputs and output, the relevance at its output, the stabilizer
     * @return one relevance array per input, each shaped like that input (new arrays, or the unchanged relevance
     *         array itself where it passes through untouched and has the input's shape)
     */
    List<INDArray> propagate(NodeContext ctx);

    /**
     * {@return the rule written as ONNX operators on the graph's tensors, one relevance per input, computing what
     * {@link #propagate} computes (to float rounding), or empty if this rule cannot be compiled}; an explainer compiled
     * to ONNX ({@code Explainer.toOnnx()}) lists every node whose rule returns empty. The library's own propagations
     * ({@code Propagations}) are compiled by the compiler itself.
     *
     * @param ctx the node, its inputs, output and relevance as symbols, and the operators
     */
    default java.util.Optional<List<Symbol>> compile(SymbolicNodeContext ctx) {
        return java.util.Optional.empty();
    }
}
