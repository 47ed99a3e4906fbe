package io.github.dtd4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a {@link LinearRule} sees when it is compiled into an ONNX graph: {@link RuleContext} on symbols. The
 * relevance, the input and the output are tensors of the graph; the bias (after the bias policy) and the
 * stabilizer are known when the graph is written.
 */
public interface SymbolicRuleContext {
    /** {@return the layer's linear maps on symbols} */
    SymbolicLinearLayer layer();

    /** {@return the operators} */
    OnnxOps ops();

    /** {@return the layer's input {@code [N, ...]}} */
    Symbol input();

    /** {@return the layer's output z (with the model's bias)} */
    Symbol output();

    /** {@return the relevance at the layer's output} */
    Symbol relevance();

    /** {@return the bias after the bias policy, {@code [out]} (zeros under IGNORE)} */
    INDArray bias();

    /** {@return the explainer's stabilizer ε} */
    double stabilizer();

    /**
     * {@return {@code relevance / stab(numeratorSum + biasTerm)}}, as {@link RuleContext#divide}
     *
     * @param relevance    the relevance to divide
     * @param numeratorSum {@code Σ_i q_ij}, output-shaped
     * @param biasTerm     broadcastable to the output ({@link SymbolicLinearLayer#perOutput}), or null for none
     */
    Symbol divide(Symbol relevance, Symbol numeratorSum, Symbol biasTerm);

    /**
     * {@return as {@link #divide(Symbol, Symbol, Symbol)}, for a denominator that is never negative (a sum of
     * non-negative terms: z⁺, w², counts): its stabilizer is +ε everywhere, which the graph then adds without
     * testing signs} The default tests signs anyway.
     */
    default Symbol divideNonNegative(Symbol relevance, Symbol numeratorSum, Symbol biasTerm) {
        return divide(relevance, numeratorSum, biasTerm);
    }

    /** {@return as {@link #divide(Symbol, Symbol, Symbol)} with the rule's own ε in the stabilizer's place} */
    Symbol divide(Symbol relevance, Symbol numeratorSum, Symbol biasTerm, double epsilon);

    /**
     * {@return whether the layer's input is never negative, whatever the model's input (a ReLU's output, or what
     * pooling, sums and reshapes make of ReLU outputs)}: a rule may then leave out the terms of negative inputs,
     * which are zero
     */
    default boolean inputNonNegative() {
        return false;
    }

    /** {@return one value per input channel (or one for all) as a constant broadcast against the input} */
    Symbol perInputChannel(double[] values);
}
