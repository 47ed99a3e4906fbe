package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An immutable directed acyclic graph of named {@link Node}s in topological order, with one input and one output.
 * Shapes are inferred and checked when the graph is built; a graph that exists is valid.
 *
 * <p>Build one by hand with {@link #sequential(long...)} for a chain of layers or {@link #builder(Shape)} for
 * any DAG; importers build them from ONNX and DL4J models.
 *
 * <pre>{@code
 * Graph net = Graph.sequential(1568)
 *     .dense("detect1", w1, b1).relu().sumPool(4)
 *     .dense("detect2", w2, b2).relu().sumPool(400)
 *     .build();
 * }</pre>
 */
public final class Graph {
    private final String inputName;
    private final Shape inputShape;
    private final List<Node> nodes;
    private final Map<String, Node> byName;
    private final Map<String, List<String>> consumers;
    private final String outputName;
    private final Map<String, String> provenance;
    private final boolean frozen;

    Graph(String inputName, Shape inputShape, List<Node> nodes, String outputName, Map<String, String> provenance) {
        this(inputName, inputShape, nodes, outputName, provenance, false);
    }

    private Graph(String inputName, Shape inputShape, List<Node> nodes, String outputName,
                  Map<String, String> provenance, boolean frozen) {
        this.frozen = frozen;
        this.inputName = inputName;
        this.inputShape = inputShape;
        this.nodes = List.copyOf(nodes);
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        Map<String, Node> map = new LinkedHashMap<>();
        Map<String, List<String>> cons = new HashMap<>();
        for (Node n : this.nodes) {
            map.put(n.name(), n);
            for (String in : n.inputs()) {
                cons.computeIfAbsent(in, k -> new ArrayList<>()).add(n.name());
            }
        }
        this.byName = Collections.unmodifiableMap(map);
        cons.replaceAll((k, v) -> List.copyOf(v));
        this.consumers = Collections.unmodifiableMap(cons);
        this.outputName = outputName;
        checkReachesOutput();
    }

    /** {@return a builder for a chain of layers on vector inputs} @param inputShape per-sample input dims */
    public static SequentialBuilder sequential(long... inputShape) {
        return new SequentialBuilder(Shape.of(inputShape));
    }

    /** {@return a builder for a chain of layers} @param inputShape per-sample input shape */
    public static SequentialBuilder sequential(Shape inputShape) {
        return new SequentialBuilder(inputShape);
    }

    /** {@return a builder for any DAG; the input node is called "input"} @param inputShape per-sample shape */
    public static GraphBuilder builder(Shape inputShape) {
        return new GraphBuilder("input", inputShape);
    }

    /** {@return a builder for any DAG} @param inputName name of the input @param inputShape per-sample shape */
    public static GraphBuilder builder(String inputName, Shape inputShape) {
        return new GraphBuilder(inputName, inputShape);
    }

    /** {@return the name by which nodes refer to the graph's input} */
    public String inputName() {
        return inputName;
    }

    /** {@return the per-sample input shape} */
    public Shape inputShape() {
        return inputShape;
    }

    /** {@return the nodes in topological order (every node after the nodes it reads)} */
    public List<Node> nodes() {
        return nodes;
    }

    /** {@return the node with that name} @param name node name */
    public Optional<Node> node(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** {@return the names of the nodes that read {@code name} (the input's name is allowed)} @param name node */
    public List<String> consumers(String name) {
        return consumers.getOrDefault(name, List.of());
    }

    /** {@return the name of the output node} */
    public String outputName() {
        return outputName;
    }

    /** {@return the per-sample output shape} */
    public Shape outputShape() {
        return byName.get(outputName).outputShape();
    }

    /** {@return the per-sample shape of a node's output or of the input} @param name node or input name */
    public Shape shapeOf(String name) {
        if (name.equals(inputName)) {
            return inputShape;
        }
        Node n = byName.get(name);
        if (n == null) {
            throw new InvalidGraphException("no node named '" + name + "'");
        }
        return n.outputShape();
    }

    /**
     * {@return where the graph came from and what was done to it: source, producer, rewrites}; keys are free text,
     * values human-readable
     */
    public Map<String, String> provenance() {
        return provenance;
    }

    /** {@return a copy with one more provenance entry} @param key what @param value detail */
    public Graph withProvenance(String key, String value) {
        Map<String, String> p = new LinkedHashMap<>(provenance);
        p.merge(key, value, (a, b) -> a + "; " + b);
        return new Graph(inputName, inputShape, nodes, outputName, p, frozen);
    }

    /**
     * {@return this graph, with the promise that its parameter arrays will not be modified}: an explainer (and every
     * method built on one) then computes with these arrays instead of taking its own copy of the weights, one copy
     * fewer (528 MB for VGG16) and no copying time. Only an explainer of the graph's own precision can; a float64
     * explainer of a float32 graph still casts. ND4J has no read-only arrays: modifying a frozen graph's arrays
     * changes every explainer built on it, silently. For a graph nobody else holds, as
     * {@code Explainer.of(OnnxModels.load(path).frozen())} or the command line's.
     */
    public Graph frozen() {
        return frozen ? this : new Graph(inputName, inputShape, nodes, outputName, provenance, true);
    }

    /** {@return whether explainers may use the parameter arrays without copying them: see {@link #frozen()}} */
    public boolean isFrozen() {
        return frozen;
    }

    /**
     * {@return the names of every node (and the input) that {@code name} depends on, not itself}
     *
     * @param name a node name or the input's name
     * @throws InvalidGraphException for an unknown name
     */
    public Set<String> ancestors(String name) {
        requireKnown(name);
        Set<String> out = new HashSet<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        todo.add(name);
        while (!todo.isEmpty()) {
            Node n = byName.get(todo.poll());
            if (n != null) {
                for (String i : n.inputs()) {
                    if (out.add(i)) {
                        todo.add(i);
                    }
                }
            }
        }
        return Set.copyOf(out);
    }

    /**
     * {@return the names of every node that depends on {@code name}, not itself}
     *
     * @param name a node name or the input's name
     * @throws InvalidGraphException for an unknown name
     */
    public Set<String> descendants(String name) {
        requireKnown(name);
        Set<String> out = new HashSet<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        todo.add(name);
        while (!todo.isEmpty()) {
            for (String c : consumers(todo.poll())) {
                if (out.add(c)) {
                    todo.add(c);
                }
            }
        }
        return Set.copyOf(out);
    }

    private void requireKnown(String name) {
        if (!inputName.equals(name) && !byName.containsKey(name)) {
            throw new InvalidGraphException("no node named '" + name + "'");
        }
    }

    /** {@return the number of parameters (weights, biases, BatchNorm vectors)} */
    public long parameterCount() {
        long n = 0;
        for (Node node : nodes) {
            for (INDArray a : parameters(node.layer())) {
                n += a.length();
            }
        }
        return n;
    }

    /** {@return the arrays a layer holds} @param layer a layer */
    public static List<INDArray> parameters(Layer layer) {
        List<INDArray> out = new ArrayList<>();
        if (layer instanceof Dense d) {
            out.add(d.weight());
            if (d.bias() != null) {
                out.add(d.bias());
            }
        } else if (layer instanceof Conv2d c) {
            out.add(c.weight());
            if (c.bias() != null) {
                out.add(c.bias());
            }
        } else if (layer instanceof BatchNorm b) {
            out.addAll(List.of(b.gamma(), b.beta(), b.mean(), b.var()));
        } else if (layer instanceof LayerNorm l) {
            out.add(l.gamma());
            if (l.beta() != null) {
                out.add(l.beta());
            }
        } else if (layer instanceof ConstantMul m) {
            out.add(m.factor());
        } else if (layer instanceof ConstantAdd a) {
            out.add(a.constant());
        } else if (layer instanceof ConstantConcat c) {
            out.add(c.constant());
        } else if (layer instanceof Resize r) {
            out.addAll(r.matrices());
        } else if (layer instanceof CustomLayer c) {
            out.addAll(c.parameters());
        }
        return out;
    }

    private void checkReachesOutput() {
        Set<String> live = new HashSet<>();
        live.add(outputName);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (live.contains(n.name())) {
                live.addAll(n.inputs());
            }
        }
        List<String> dead = new ArrayList<>();
        for (Node n : nodes) {
            if (!live.contains(n.name())) {
                dead.add(n.name() + " (" + n.kind() + ")");
            }
        }
        if (!dead.isEmpty()) {
            throw new InvalidGraphException("nodes that do not reach the output '" + outputName + "': " + dead);
        }
        if (!live.contains(inputName)) {
            throw new InvalidGraphException("the output '" + outputName + "' does not depend on the input '"
                    + inputName + "'");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Graph[input ").append(inputName).append(' ')
                .append(inputShape.toBatchString()).append('\n');
        for (Node n : nodes) {
            sb.append("  ").append(n.name()).append(" = ").append(n.kind()).append(n.inputs()).append(" -> ")
                    .append(n.outputShape().toBatchString()).append('\n');
        }
        return sb.append("  output ").append(outputName).append(']').toString();
    }
}
