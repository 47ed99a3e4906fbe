package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Formatting and checks shared by the layer records. */
final class Arrays2 {
    private Arrays2() {
    }

    static String describe(INDArray a) {
        return a == null ? "none" : a.dataType() + Shape.format(a.shape());
    }

    static INDArray requireRank(INDArray a, int rank, String what) {
        if (a == null) {
            throw new InvalidGraphException(what + " is required");
        }
        if (a.rank() != rank) {
            throw new InvalidGraphException(what + " must have rank " + rank + ", got " + Shape.format(a.shape()));
        }
        if (!a.dataType().isFPType()) {
            throw new InvalidGraphException(what + " must be floating point, got " + a.dataType());
        }
        if (a.isEmpty() || a.length() == 0) {
            throw new InvalidGraphException(what + " must not be empty, got " + Shape.format(a.shape()));
        }
        return a;
    }

    static INDArray requireVector(INDArray a, long length, String what) {
        if (a == null) {
            return null;
        }
        if (a.length() != length || (a.rank() != 1 && !(a.rank() == 2 && (a.rows() == 1 || a.columns() == 1)))) {
            throw new InvalidGraphException(what + " must be a vector of length " + length + ", got "
                    + Shape.format(a.shape()));
        }
        if (!a.dataType().isFPType()) {
            throw new InvalidGraphException(what + " must be floating point, got " + a.dataType());
        }
        return a.rank() == 1 ? a : a.reshape(length);
    }

    static void positive(String what, long... values) {
        for (long v : values) {
            if (v <= 0) {
                throw new InvalidGraphException(what + " must be positive, got " + v);
            }
        }
    }

    static void nonNegative(String what, long... values) {
        for (long v : values) {
            if (v < 0) {
                throw new InvalidGraphException(what + " must be >= 0, got " + v);
            }
        }
    }
}
