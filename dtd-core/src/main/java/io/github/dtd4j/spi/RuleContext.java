package io.github.dtd4j.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything a {@link LinearRule} needs for one layer in one explanation. Valid only during
 * {@link LinearRule#propagate(RuleContext)}; not shared between threads.
 */
public interface RuleContext {

    /** {@return the layer} */
    LinearLayer layer();

    /** {@return what the layer received in the forward pass, {@code [N, ...]}; never modify} */
    INDArray input();

    /**
     * {@return whether no element of {@link #input()} is negative}: known without looking where the input is a
     * ReLU's (or a clip's, sigmoid's, pooling's of those...) output, otherwise found by one pass over the array.
     * Rules that split the input into positive and negative parts (z⁺, αβ, γ) skip the negative part's passes then.
     */
    default boolean inputNonNegative() {
        return Tensors.nonNegative(input());
    }

    /** {@return the layer's recorded output z, bias included; never modify} */
    INDArray output();

    /** {@return the relevance arriving at the layer's outputs, shaped like {@link #output()}; never modify} */
    INDArray relevance();

    /**
     * {@return the bias rules should use, {@code [out]}: the layer's bias, or zeros when the explainer's bias
     * policy leaves biases out of every denominator}
     */
    INDArray bias();

    /** {@return the stabilizer ε (default 1e-6; docs/conventions.md#stabilizer)} */
    double stabilizer();

    /**
     * {@return a new, uninitialized array shaped like {@link #input()}, in the memory where the engine keeps the
     * relevance a layer sends during the sweep}: a rule that writes its result into it and returns it spares the
     * engine a copy of that result out of the layer's temporary memory. Ask for it only for the array returned; it
     * lives until the explanation ends.
     */
    default INDArray newSentRelevance() {
        return org.nd4j.linalg.factory.Nd4j.createUninitialized(input().dataType(), input().shape(), 'c');
    }

    /**
     * Computes {@code s = R / (d + ε·sign(d))} with {@code d = numeratorSum + biasTerm}, {@code sign(0) = +1} and
     * ε the explainer's stabilizer, and books {@code Σ biasTerm·s} (absorbed by the bias) and
     * {@code Σ ε·sign(d)·s} (absorbed by the stabilizer) in the ledger.
     *
     * @param relevance    the relevance to divide (may be scaled, e.g. α·R)
     * @param numeratorSum {@code Σ_i q_ij}, output-shaped
     * @param biasTerm     the denominator's bias term: {@code [out]} (broadcast) or output-shaped; null for none
     * @return a new output-shaped array s
     */
    INDArray divide(INDArray relevance, INDArray numeratorSum, INDArray biasTerm);

    /**
     * As {@link #divide(INDArray, INDArray, INDArray)}, for a denominator that is never negative: the caller
     * guarantees {@code numeratorSum ≥ 0} and {@code biasTerm ≥ 0} element by element (a sum of non-negative terms:
     * z⁺, w², counts), so that {@code sign(d) = +1} everywhere and the stabilizer is added without testing signs:
     * the same {@code s}, in fewer passes over the output. The default tests signs anyway.
     *
     * @param relevance    the relevance to divide
     * @param numeratorSum {@code Σ_i q_ij ≥ 0}, output-shaped
     * @param biasTerm     bias term ≥ 0, or null
     * @return a new output-shaped array s
     */
    default INDArray divideNonNegative(INDArray relevance, INDArray numeratorSum, INDArray biasTerm) {
        return divide(relevance, numeratorSum, biasTerm);
    }

    /**
     * As {@link #divideNonNegative}, for a denominator the rule computed whole, bias term and stabilizer included:
     * {@code denominator = Σ_i q_ij + biasTerm_j + ε} with ε = {@link #stabilizer()}, {@code Σ_i q_ij ≥ 0} and
     * {@code biasTerm ≥ 0} (for instance {@code layer().forward(x⁺, W⁺, b⁺ + ε)}, where a convolution adds the
     * vector in its own pass). Computes {@code s = R / denominator} and books {@code Σ biasTerm·s} and
     * {@code ε·Σ s}, the same accounts as {@link #divideNonNegative}.
     *
     * @param relevance   the relevance to divide
     * @param denominator {@code Σ_i q_ij + biasTerm + ε}, output-shaped; never modified
     * @param biasTerm    the bias term in it, {@code [out]}, ≥ 0
     * @return a new output-shaped array s
     */
    default INDArray divideNonNegativeDenominator(INDArray relevance, INDArray denominator, INDArray biasTerm) {
        INDArray numeratorSum = layer().addBias(denominator, biasTerm.add(stabilizer()).negi());
        return divideNonNegative(relevance, numeratorSum, biasTerm);
    }

    /**
     * As {@link #divide(INDArray, INDArray, INDArray)}, with {@code epsilon} in place of the explainer's
     * stabilizer (the ε rule).
     *
     * @param relevance    the relevance to divide
     * @param numeratorSum {@code Σ_i q_ij}
     * @param biasTerm     bias term or null
     * @param epsilon      the additive term, ≥ 0
     * @return a new output-shaped array s
     */
    INDArray divide(INDArray relevance, INDArray numeratorSum, INDArray biasTerm, double epsilon);
}
