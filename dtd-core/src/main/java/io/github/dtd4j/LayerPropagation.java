package io.github.dtd4j;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.Rule;
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
        /** Copies the arrays and the map: a result is a value. */
        public Result {
            inputRelevances = List.copyOf(inputRelevances);
            bias = bias.clone();
            stabilizer = stabilizer.clone();
            Map<String, double[]> copy = new java.util.LinkedHashMap<>();
            branches.forEach((k, v) -> copy.put(k, v.clone()));
            branches = java.util.Collections.unmodifiableMap(copy);
        }

        /** {@return absorbed by the bias term, per batch element (a copy)} */
        @Override
        public double[] bias() {
            return bias.clone();
        }

        /** {@return absorbed by the stabilizer, per batch element (a copy)} */
        @Override
        public double[] stabilizer() {
            return stabilizer.clone();
        }

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
     * @param rule       the rule; null for the default of the layer's kind (linear layers need one)
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
     * @param rule       the rule; null for the default of the layer's kind (linear layers need one)
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

    /**
     * {@return one layer's output for a batch, a new array}: the library's own forward pass, the one explanations
     * record
     *
     * @param layer  the layer
     * @param inputs its inputs, batch first, in the layer's precision; not modified
     */
    public static INDArray forward(Layer layer, List<INDArray> inputs) {
        if (layer == null || inputs == null || inputs.isEmpty()) {
            throw new InvalidInputException("LayerPropagation.forward: a layer and at least one input are needed");
        }
        List<io.github.dtd4j.graph.Shape> shapes = new java.util.ArrayList<>();
        for (INDArray a : inputs) {
            shapes.add(io.github.dtd4j.graph.Shape.ofBatch(a.shape()));
        }
        layer.outputShape("layer", shapes);
        return io.github.dtd4j.internal.Forward.apply(layer, inputs);
    }
}
