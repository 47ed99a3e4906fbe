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

    /**
     * Checks that a constant broadcasts over a per-sample shape: one element, or the sample's rank with every
     * dimension equal to the sample's or 1.
     */
    static void requireBroadcast(String node, Layer layer, String what, INDArray c, Shape in) {
        if (c.length() == 1) {
            return;
        }
        boolean fits = c.rank() == in.rank();
        for (int d = 0; fits && d < in.rank(); d++) {
            fits = c.size(d) == 1 || c.size(d) == in.dim(d);
        }
        if (!fits) {
            throw Layer.invalid(node, layer, what + " " + Shape.format(c.shape()) + " does not broadcast over "
                    + in.toBatchString());
        }
    }

    /** {@return a floating-point, non-empty constant} @param c the constant @param what for messages */
    static INDArray requireConstant(INDArray c, String what) {
        if (c == null || c.isEmpty() || !c.dataType().isFPType()) {
            throw new InvalidGraphException(what + " needs a floating-point constant, got "
                    + (c == null ? "null" : describe(c)));
        }
        return c;
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
