package io.github.dtd4j.graph;

import java.util.List;

/** Global average pooling: {@code [N,C,H,W] -> [N,C,1,1]} (as ONNX GlobalAveragePool). */
public record GlobalAvgPool() implements Layer {
    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != 3) {
            throw Layer.mismatch(node, this, "[N,C,H,W]", in);
        }
        return Shape.of(in.dim(0), 1, 1);
    }
}
