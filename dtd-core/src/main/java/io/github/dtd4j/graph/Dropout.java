package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * Dropout at inference time: the identity. Kept as its own kind so a graph shows where the model had it.
 *
 * @param rate the training-time drop rate, for information only
 */
public record Dropout(double rate) implements Layer {
    /** Validates the rate. */
    public Dropout {
        if (!(rate >= 0 && rate < 1)) {
            throw new InvalidGraphException("Dropout rate must be in [0,1), got " + rate);
        }
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return inputs.get(0);
    }
}
