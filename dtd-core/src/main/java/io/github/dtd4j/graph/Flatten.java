package io.github.dtd4j.graph;

import java.util.List;

/** Flattens each sample in C-order (channels, rows, columns): {@code [N,C,H,W] -> [N,C·H·W]}. */
public record Flatten() implements Layer {
    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return Shape.of(inputs.get(0).size());
    }
}
