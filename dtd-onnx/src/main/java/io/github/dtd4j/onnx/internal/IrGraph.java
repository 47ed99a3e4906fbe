package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The importer's intermediate representation: the layer graph under construction, in the order its nodes were
 * added (a topological order), with the names already taken. Converters add to it through
 * {@link ConversionContext}; {@link Rewrite}s change it; {@link #build} turns what reaches the output into a
 * {@link Graph}.
 */
final class IrGraph {
    /** Largest activation per sample we accept (elements); more would need absurd memory at run time. */
    static final long MAX_SAMPLE_ELEMENTS = Integer.MAX_VALUE;

    private final Problems problems;
    private final IrNode input;
    private final List<IrNode> nodes = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /**
     * @param input    the model's input
     * @param problems makes the exceptions for layers that would be absurdly large
     */
    IrGraph(ValidatedModel.GraphInput input, Problems problems) {
        this.problems = problems;
        this.input = IrNode.graphInput(input.name(), input.shape());
        names.add(input.name());
    }

    /** {@return the graph input's node} */
    IrNode input() {
        return input;
    }

    /**
     * Names layers after the PyTorch module when the model says which one it was: a layer with a weight initializer
     * named {@code layer1.0.conv1.weight} is called {@code layer1.0.conv1}. Otherwise, and for layers without
     * weights, the ONNX node's name ({@code /layer1/layer1.0/relu/Relu}), or its first output's name if it has none.
     *
     * @param node   the ONNX node's display name
     * @param weight the layer's weight, or null
     * @return a name no other node has, now taken
     */
    String layerName(String node, Const weight) {
        if (weight != null && weight.origin != null && !weight.origin.isBlank()
                && !weight.origin.startsWith("onnx::")) {
            String o = weight.origin;
            String base = o.endsWith(".weight") && o.length() > 7 ? o.substring(0, o.length() - 7) : o;
            if (!names.contains(base)) {
                names.add(base);
                return base;
            }
        }
        return unique(node);
    }

    /** {@return {@code base}, or {@code base_2}, {@code base_3}, ... if taken; now taken} @param base the name */
    String unique(String base) {
        String s = base;
        for (int k = 2; names.contains(s); k++) {
            s = base + "_" + k;
        }
        names.add(s);
        return s;
    }

    /**
     * Adds a layer node after checking what dtd4j can explain and inferring its shape.
     *
     * @param name       its name, taken with {@link #layerName} or {@link #unique}
     * @param layer      the layer
     * @param inputs     the nodes it reads; none may be pending
     * @param onnxOutput the ONNX value its output is known by, or null
     * @return the new node
     * @throws NotSupported          for a layer dtd4j cannot explain ({@link LayerLimits}) or one reading a pending
     *                               node
     * @throws InvalidGraphException if the input shapes do not fit the layer
     * @throws ModelFormatException  if the output would be absurdly large
     */
    IrNode append(String name, Layer layer, List<IrNode> inputs, String onnxOutput) {
        List<Shape> in = new ArrayList<>(inputs.size());
        for (IrNode i : inputs) {
            if (i.pending() != null) {
                // a converter let a pending input through that no rewrite folded into this layer
                throw new NotSupported("its input, the " + i.pending().operator() + " '" + i.name() + "', cannot be "
                        + "folded into a " + layer.kind());
            }
            in.add(i.shape());
        }
        LayerLimits.check(layer);
        Shape out = layer.outputShape(name, in);
        if (Dims.size(out.dims()) > MAX_SAMPLE_ELEMENTS) {
            throw problems.invalid("would produce " + out.toBatchString() + ", more than " + MAX_SAMPLE_ELEMENTS
                    + " elements per sample");
        }
        IrNode node = IrNode.layer(name, layer, inputs, out, onnxOutput);
        nodes.add(node);
        names.add(name);
        return node;
    }

    /**
     * Builds the graph of every node the output depends on; the others are recorded in the provenance as removed
     * (unless a later layer absorbed them).
     *
     * @param out        the output node, not pending
     * @param outputName the ONNX output's name, for the Identity added when the output is the input itself
     * @param provenance the provenance so far; completed here
     * @param folded     how many nodes were evaluated at import time
     * @return the graph
     */
    Graph build(IrNode out, String outputName, Provenance provenance, int folded) {
        if (out == input) {
            out = append(unique(outputName), new Identity(), List.of(input), null);
        }
        Set<IrNode> live = new HashSet<>();
        live.add(out);
        for (int k = nodes.size() - 1; k >= 0; k--) {
            IrNode p = nodes.get(k);
            if (live.contains(p)) {
                live.addAll(p.inputs());
            }
        }
        GraphBuilder b = Graph.builder(input.name(), input.shape());
        List<String> unused = new ArrayList<>();
        for (IrNode p : nodes) {
            if (live.contains(p)) {
                b.add(p.name(), p.layer(), p.inputs().stream().map(IrNode::name).toList());
            } else if (!p.absorbed()) {
                unused.add(p.name());
            }
        }
        if (folded > 0) {
            provenance.note("evaluated at import", folded + " shape-computation/constant nodes");
        }
        if (!unused.isEmpty()) {
            provenance.note("removed", "nodes that do not reach the output: " + unused);
        }
        provenance.forEach(b::provenance);
        try {
            return b.output(out.name()).build();
        } catch (InvalidGraphException e) {
            throw new ModelFormatException(problems.source() + ": " + e.getMessage(), e);
        }
    }
}
