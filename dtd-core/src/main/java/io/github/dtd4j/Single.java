package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.internal.Forward;
import io.github.dtd4j.internal.LinearLayers;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runs one node's propagation in isolation (backs {@link LayerPropagation}). */
final class Single {
    private Single() {
    }

    /** What one propagation produced. */
    record Outcome(List<INDArray> relevance, INDArray output, double[] bias, double[] stabilizer,
                   Map<String, double[]> branches) {
    }

    /**
     * @param layer      the layer
     * @param inputs     its inputs, batch first
     * @param relevance  relevance at its output
     * @param rule       the rule; null for the default of the layer's kind
     * @param stabilizer ε
     * @param ignoreBias leave biases out of the denominators
     * @param maxPool    max-pooling treatment (for the default rule)
     * @param sumSplit   split at sums (for the default rule)
     * @return the input relevances and accounts
     */
    static Outcome run(Layer layer, List<INDArray> inputs, INDArray relevance, Rule rule, double stabilizer,
                       boolean ignoreBias, MaxPoolMode maxPool, SumSplit sumSplit) {
        List<Shape> shapes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            shapes.add(Shape.ofBatch(inputs.get(i).shape()));
            names.add("in" + i);
        }
        Shape outShape = layer.outputShape("layer", shapes);
        Node node = new Node("layer", layer, names, outShape);
        INDArray output = Forward.apply(layer, inputs);
        boolean linear = node.isLinear() || (layer instanceof BatchNorm && rule instanceof LinearRule);
        LinearLayer view = linear ? LinearLayers.of(node, shapes.get(0)) : null;
        Context.Info info = new Context.Info("layer", layer, names, shapes, outShape, 0, view);
        Rule r = rule != null ? rule : linear ? null : Propagations.defaultFor(layer, sumSplit, maxPool,
                ignoreBias ? BiasPolicy.IGNORE : BiasPolicy.RULE_DEFAULT);
        if (r == null) {
            throw new ConfigurationException("layer 'layer' (" + layer.kind() + ") needs a rule");
        }
        if (!r.accepts(layer) && !(r instanceof LinearRule && linear)) {
            throw new ConfigurationException("rule " + r.name() + " does not apply to layer 'layer' (" + layer.kind()
                    + ")");
        }
        r.check(info);
        r.checkInput(info, inputs);
        INDArray bias = null;
        if (view != null) {
            bias = ignoreBias ? Nd4j.zeros(view.bias().dataType(), view.bias().length()) : view.bias();
        }
        Accounts acc = new Accounts((int) relevance.size(0));
        Context ctx = new Context(info, inputs, output, relevance, bias, stabilizer, acc, false);
        List<INDArray> rin = r.propagate(ctx);
        Map<String, double[]> branches = new LinkedHashMap<>();
        if (rin.size() > 1) {
            for (int i = 0; i < rin.size(); i++) {
                branches.put(names.get(i), Accounts.perSample(rin.get(i)));
            }
        }
        return new Outcome(rin, output, acc.bias, acc.stabilizer, branches);
    }
}
