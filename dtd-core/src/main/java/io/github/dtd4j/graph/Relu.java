package io.github.dtd4j.graph;

import java.util.List;

/** Rectified linear unit {@code max(0, x)}; relevance passes through unchanged. */
public record Relu() implements Layer {
    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return inputs.get(0);
    }
}
