package io.github.dtd4j.graph;

import java.util.List;

/** Element-wise sum of two or more inputs of equal shape (the residual sum of ResNets). */
public record Add() implements Layer {
    @Override
    public int arity() {
        return -1;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape first = inputs.get(0);
        for (Shape s : inputs) {
            if (!s.equals(first)) {
                throw Layer.mismatch(node, this, "inputs of equal shape " + first.toBatchString(), s);
            }
        }
        return first;
    }
}
