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
            if (inputRelevances == null || inputRelevances.stream().anyMatch(java.util.Objects::isNull)
                    || bias == null || stabilizer == null || branches == null
                    || branches.values().stream().anyMatch(java.util.Objects::isNull)) {
                throw new InvalidInputException("LayerPropagation.Result: null relevances, accounts or branches");
            }
            inputRelevances = List.copyOf(inputRelevances);
            bias = bias.clone();
            stabilizer = stabilizer.clone();
            branches = LedgerEntry.copyOf(branches);
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

        /** {@return Σ relevance per input of a multi-input layer, by input name (copies)} */
        @Override
        public Map<String, double[]> branches() {
            return LedgerEntry.copyOf(branches);
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
        return apply(layer, java.util.Collections.singletonList(input), relevance, rule, 1e-6, false, MaxPoolMode.WINNER_TAKES_ALL);
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
        Shape out = checkInputs("LayerPropagation.apply", layer, inputs);
        long[] expected = out.withBatch(inputs.get(0).size(0));
        if (relevance == null) {
            throw new InvalidInputException("LayerPropagation.apply: no relevance given");
        }
        checkArray("layer (" + layer.kind() + "): relevance", relevance, inputs.get(0).dataType());
        if (!java.util.Arrays.equals(expected, relevance.shape())) {
            throw new InvalidInputException("layer (" + layer.kind() + "): relevance " + Shape.format(relevance.shape())
                    + " does not match the output " + Shape.format(expected));
        }
        if (!(stabilizer >= 0) || Double.isInfinite(stabilizer)) {
            throw new io.github.dtd4j.errors.ConfigurationException("stabilizer must be finite and >= 0, got "
                    + stabilizer);
        }
        Single.Outcome o = Single.run(layer, inputs, relevance, rule, stabilizer, ignoreBias, maxPool, sumSplit);
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
        checkInputs("LayerPropagation.forward", layer, inputs);
        return io.github.dtd4j.internal.Forward.apply(layer, inputs);
    }

    /**
     * Checks a layer and its inputs before anything runs: no nulls, floating-point arrays of one batch size in the
     * dtype of the layer's parameters, shapes the layer accepts.
     *
     * @return the per-sample output shape
     */
    private static Shape checkInputs(String where, Layer layer, List<INDArray> inputs) {
        if (layer == null || inputs == null || inputs.isEmpty() || inputs.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException(where + ": a layer and at least one input, none null, are needed");
        }
        List<INDArray> params = io.github.dtd4j.graph.Graph.parameters(layer);
        org.nd4j.linalg.api.buffer.DataType type = params.isEmpty() ? inputs.get(0).dataType()
                : params.get(0).dataType();
        List<Shape> shapes = new java.util.ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            INDArray a = inputs.get(i);
            checkArray("layer (" + layer.kind() + "): input " + i, a, type);
            if (a.size(0) != inputs.get(0).size(0)) {
                throw new InvalidInputException("layer (" + layer.kind() + "): input " + i + " has batch " + a.size(0)
                        + ", input 0 has " + inputs.get(0).size(0));
            }
            shapes.add(Shape.ofBatch(a.shape()));
        }
        return layer.outputShape("layer", shapes);
    }

    private static void checkArray(String what, INDArray a, org.nd4j.linalg.api.buffer.DataType type) {
        if (a.isEmpty() || a.rank() < 1 || a.size(0) < 1) {
            throw new InvalidInputException(what + ": an empty array " + Shape.format(a.shape()));
        }
        if (a.dataType() != type) {
            throw new InvalidInputException(what + ": expected " + type + " (the layer's precision), got "
                    + a.dataType());
        }
    }
}
