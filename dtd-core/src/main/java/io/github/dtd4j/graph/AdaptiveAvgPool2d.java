package io.github.dtd4j.graph;

import java.util.List;

/**
 * PyTorch's adaptive average pooling: output cell (i, j) averages input rows {@code floor(i·H/oh)} to
 * {@code ceil((i+1)·H/oh)} (exclusive), and likewise for columns.
 *
 * @param outH output height
 * @param outW output width
 */
public record AdaptiveAvgPool2d(int outH, int outW) implements Layer {
    /** Validates sizes. */
    public AdaptiveAvgPool2d {
        Arrays2.positive("AdaptiveAvgPool2d output size", outH, outW);
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != 3) {
            throw Layer.mismatch(node, this, "[N,C,H,W]", in);
        }
        return Shape.of(in.dim(0), outH, outW);
    }
}
