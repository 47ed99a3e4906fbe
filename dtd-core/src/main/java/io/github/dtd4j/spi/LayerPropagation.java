package io.github.dtd4j.spi;

import io.github.dtd4j.InvalidInputException;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.internal.Single;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Applies one layer's propagation in isolation, with any relevance at its output: the tool for testing a custom
 * rule against hand-computed values, or for studying one layer.
 *
 * <pre>{@code
 * var r = LayerPropagation.apply(Dense.of(w, b), x, upperRelevance, Rules.Z_PLUS);
 * INDArray lower = r.relevance();   // shaped like x
 * }</pre>
 */
public final class LayerPropagation {
    private LayerPropagation() {
    }

    /**
     * What a propagation produced.
     *
     * @param inputRelevances one per input, shaped like it
     * @param output          the layer's output for the inputs
     * @param bias            per batch element, relevance absorbed by the bias term
     * @param stabilizer      per batch element, relevance absorbed by the stabilizer
     * @param branches        Add/Concat: Σ relevance per input ("in0", "in1", ...)
     */
    public record Result(List<INDArray> inputRelevances, INDArray output, double[] bias, double[] stabilizer,
                         Map<String, double[]> branches) {
        /** {@return the relevance of the first (usually only) input} */
        public INDArray relevance() {
            return inputRelevances.get(0);
        }
    }

    /**
     * Applies a rule to a Dense/Conv2d layer (or a BatchNorm as an affine layer) with the default stabilizer 1e-6.
     *
     * @param layer     the layer
     * @param input     its input, batch first; not modified
     * @param relevance relevance at its output, shaped like its output
     * @param rule      the rule
     * @return the result
     */
    public static Result apply(Layer layer, INDArray input, INDArray relevance, Rule rule) {
        return apply(layer, List.of(input), relevance, rule, 1e-6, false, MaxPoolMode.WINNER_TAKES_ALL);
    }

    /**
     * Applies a layer's propagation.
     *
     * @param layer      the layer
     * @param inputs     its inputs, batch first; not modified
     * @param relevance  relevance at its output
     * @param rule       the rule for rule-taking layers; null for the others
     * @param stabilizer ε
     * @param ignoreBias leave biases out of every denominator
     * @param maxPool    max-pooling treatment
     * @return the result
     */
    public static Result apply(Layer layer, List<INDArray> inputs, INDArray relevance, Rule rule, double stabilizer,
                               boolean ignoreBias, MaxPoolMode maxPool) {
        return apply(layer, inputs, relevance, rule, stabilizer, ignoreBias, maxPool, SumSplit.SIGNED);
    }

    /**
     * Applies a layer's propagation, with a choice of split at sums.
     *
     * @param layer      the layer
     * @param inputs     its inputs, batch first; not modified
     * @param relevance  relevance at its output
     * @param rule       the rule for rule-taking layers; null for the others
     * @param stabilizer ε
     * @param ignoreBias leave biases out of every denominator
     * @param maxPool    max-pooling treatment
     * @param sumSplit   split at Add and sum/average pooling
     * @return the result
     */
    public static Result apply(Layer layer, List<INDArray> inputs, INDArray relevance, Rule rule, double stabilizer,
                               boolean ignoreBias, MaxPoolMode maxPool, SumSplit sumSplit) {
        Single.Outcome o = Single.run(layer, inputs, relevance, rule, stabilizer, ignoreBias, maxPool, sumSplit);
        if (!java.util.Arrays.equals(o.output().shape(), relevance.shape())) {
            throw new InvalidInputException("layer (" + layer.kind() + "): relevance " + Shape.format(relevance.shape())
                    + " does not match the output " + Shape.format(o.output().shape()));
        }
        return new Result(o.relevance(), o.output(), o.bias(), o.stabilizer(), o.branches());
    }
}
