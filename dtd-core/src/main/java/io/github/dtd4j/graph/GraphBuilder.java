package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Graph} node by node. Each node may read only nodes added before it (or the input), so the
 * insertion order is a topological order and cycles cannot be expressed. Shapes are inferred as nodes are added,
 * and the first mismatch is reported with the node's name, kind and shapes.
 */
public final class GraphBuilder {
    private final String inputName;
    private final Shape inputShape;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Map<String, String> provenance = new LinkedHashMap<>();
    private String output;

    GraphBuilder(String inputName, Shape inputShape) {
        if (inputName == null || inputName.isBlank()) {
            throw new InvalidGraphException("the input needs a name");
        }
        if (inputShape == null) {
            throw new InvalidGraphException("the input needs a shape");
        }
        this.inputName = inputName;
        this.inputShape = inputShape;
        shapes.put(inputName, inputShape);
    }

    /**
     * Adds a node.
     *
     * @param name   unique name
     * @param layer  what it computes
     * @param inputs names of earlier nodes or of the input
     * @return this builder
     * @throws InvalidGraphException for a duplicate name, an unknown input, the wrong number of inputs or shapes
     *                               that do not fit
     */
    public GraphBuilder add(String name, Layer layer, String... inputs) {
        return add(name, layer, List.of(inputs));
    }

    /** Adds a node; see {@link #add(String, Layer, String...)}. @return this builder */
    public GraphBuilder add(String name, Layer layer, List<String> inputs) {
        if (name == null || name.isBlank()) {
            throw new InvalidGraphException("a node needs a non-blank name (layer " + layer + ")");
        }
        if (layer == null) {
            throw new InvalidGraphException("node '" + name + "' has no layer");
        }
        if (shapes.containsKey(name)) {
            throw new InvalidGraphException("layer '" + name + "' (" + layer.kind() + "): the name is already used");
        }
        int arity = layer.arity();
        if (arity > 0 && inputs.size() != arity) {
            throw new InvalidGraphException("layer '" + name + "' (" + layer.kind() + "): takes " + arity
                    + " input(s), got " + inputs.size() + " " + inputs);
        }
        if (arity < 0 && inputs.size() < 2) {
            throw new InvalidGraphException("layer '" + name + "' (" + layer.kind() + "): takes two or more inputs, got "
                    + inputs);
        }
        List<Shape> in = new ArrayList<>();
        for (String i : inputs) {
            Shape s = shapes.get(i);
            if (s == null) {
                throw new InvalidGraphException("layer '" + name + "' (" + layer.kind() + "): reads '" + i
                        + "', which is neither the input nor an earlier node");
            }
            in.add(s);
        }
        Shape out = layer.outputShape(name, in);
        nodes.add(new Node(name, layer, inputs, out));
        shapes.put(name, out);
        return this;
    }

    /** Names the output node (default: the last node added). @param name node name @return this builder */
    public GraphBuilder output(String name) {
        this.output = name;
        return this;
    }

    /** Records where the graph came from. @param key what @param value detail @return this builder */
    public GraphBuilder provenance(String key, String value) {
        provenance.merge(key, value, (a, b) -> a + "; " + b);
        return this;
    }

    /** {@return the per-sample shape of a node added so far, or of the input} @param name node name */
    public Shape shapeOf(String name) {
        Shape s = shapes.get(name);
        if (s == null) {
            throw new InvalidGraphException("no node named '" + name + "' yet");
        }
        return s;
    }

    /** {@return true if a node or the input has that name} @param name node name */
    public boolean has(String name) {
        return shapes.containsKey(name);
    }

    /**
     * {@return the graph}
     *
     * @throws InvalidGraphException if it is empty, the output is unknown, or some node does not reach the output
     */
    public Graph build() {
        if (nodes.isEmpty()) {
            throw new InvalidGraphException("a graph needs at least one node");
        }
        String out = output == null ? nodes.get(nodes.size() - 1).name() : output;
        if (!shapes.containsKey(out) || out.equals(inputName)) {
            throw new InvalidGraphException("the output '" + out + "' is not a node of the graph");
        }
        return new Graph(inputName, inputShape, nodes, out, provenance);
    }
}
