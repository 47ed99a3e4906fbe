package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * Reshapes each sample, C-order, to a fixed shape with the same number of elements.
 *
 * @param shape the per-sample target shape
 */
public record Reshape(Shape shape) implements Layer {
    /** Requires a shape. */
    public Reshape {
        if (shape == null) {
            throw new InvalidGraphException("Reshape needs a target shape");
        }
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.size() != shape.size()) {
            throw Layer.mismatch(node, this, shape.size() + " elements per sample (to reshape to " + shape.toBatchString()
                    + ")", in);
        }
        return shape;
    }
}
