package io.github.dtd4j.internal;

import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runs one node's propagation in isolation (backs {@code io.github.dtd4j.spi.LayerPropagation}). */
public final class Single {
    private Single() {
    }

    /** What one propagation produced. */
    public record Outcome(List<INDArray> relevance, INDArray output, double[] bias, double[] stabilizer,
                          Map<String, double[]> branches) {
    }

    /**
     * @param layer      the layer
     * @param inputs     its inputs, batch first
     * @param relevance  relevance at its output
     * @param rule       the rule for Dense/Conv2d (and BatchNorm, which is then affine); null for other layers
     * @param stabilizer ε
     * @param ignoreBias leave biases out of the denominators
     * @param maxPool    max-pooling treatment
     * @param sumSplit   split at sums
     * @return the input relevances and accounts
     */
    public static Outcome run(Layer layer, List<INDArray> inputs, INDArray relevance, Rule rule, double stabilizer,
                              boolean ignoreBias, MaxPoolMode maxPool, io.github.dtd4j.SumSplit sumSplit) {
        List<Shape> shapes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            shapes.add(Shape.ofBatch(inputs.get(i).shape()));
            names.add("in" + i);
        }
        Shape outShape = layer.outputShape("layer", shapes);
        Node node = new Node("layer", layer, names, outShape);
        INDArray output = Forward.apply(layer, inputs);
        Step step;
        boolean takesRule = node.isLinear() || (layer instanceof BatchNorm && rule != null);
        if (takesRule) {
            if (rule == null) {
                throw new io.github.dtd4j.ConfigurationException("layer 'layer' (" + layer.kind() + ") needs a rule");
            }
            LinearLayer view = LinearLayers.of(node, shapes.get(0));
            rule.check(view);
            rule.checkInput(view, inputs.get(0));
            INDArray bias = ignoreBias ? Nd4j.zeros(view.bias().dataType(), view.bias().length()) : view.bias();
            step = Steps.rule(rule, view, bias, stabilizer);
        } else {
            step = Plan.fixedStep(layer, maxPool, sumSplit, stabilizer);
        }
        Accounts acc = new Accounts((int) relevance.size(0));
        Map<String, double[]> branches = new LinkedHashMap<>();
        List<INDArray> rin = step.propagate(node, inputs, output, relevance, acc, branches);
        return new Outcome(rin, output, acc.bias, acc.stabilizer, branches);
    }
}
