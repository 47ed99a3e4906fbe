package io.github.dtd4j.graph;

import java.util.List;

/**
 * One named node of a {@link Graph}: a layer, the names of the nodes it reads, and its inferred per-sample output
 * shape.
 *
 * @param name        unique within the graph
 * @param layer       what the node computes
 * @param inputs      names of the nodes it reads, in order
 * @param outputShape per-sample shape of what it produces
 */
public record Node(String name, Layer layer, List<String> inputs, Shape outputShape) {
    /** Copies the input list. */
    public Node {
        inputs = List.copyOf(inputs);
    }

    /** {@return the layer's kind, e.g. "Conv2d"} */
    public String kind() {
        return layer.kind();
    }

    /** {@return true for Dense and Conv2d nodes, the ones that take a propagation rule} */
    public boolean isLinear() {
        return layer instanceof Dense || layer instanceof Conv2d;
    }
}
