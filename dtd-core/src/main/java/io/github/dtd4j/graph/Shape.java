package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * The shape of one sample, without the batch dimension: {@code [1568]} for a vector, {@code [3,224,224]} for an
 * image in channels-height-width order. Immutable.
 */
public final class Shape {
    private final long[] dims;

    private Shape(long[] dims) {
        for (long d : dims) {
            if (d <= 0) {
                throw new InvalidGraphException("shape dimensions must be positive, got " + Arrays.toString(dims));
            }
        }
        this.dims = dims;
    }

    /** {@return the shape with the given dimensions} @param dims the per-sample dimensions, each positive */
    public static Shape of(long... dims) {
        return new Shape(dims.clone());
    }

    /** {@return the per-sample shape of an array whose first dimension is the batch} @param batchShape full shape */
    public static Shape ofBatch(long[] batchShape) {
        if (batchShape.length < 1) {
            throw new InvalidGraphException("an array with a batch dimension has rank >= 1");
        }
        return new Shape(Arrays.copyOfRange(batchShape, 1, batchShape.length));
    }

    /** {@return the number of dimensions} */
    public int rank() {
        return dims.length;
    }

    /** {@return dimension {@code i}} @param i index, 0 is the first per-sample dimension (channels for images) */
    public long dim(int i) {
        return dims[i];
    }

    /** {@return a copy of the dimensions} */
    public long[] dims() {
        return dims.clone();
    }

    /** {@return the number of elements of one sample} */
    public long size() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** {@return the full array shape for a batch of {@code n}} @param n batch size */
    public long[] withBatch(long n) {
        long[] s = new long[dims.length + 1];
        s[0] = n;
        System.arraycopy(dims, 0, s, 1, dims.length);
        return s;
    }

    /** {@return true if an array of shape {@code batchShape} holds samples of this shape} @param batchShape shape */
    public boolean matchesBatch(long[] batchShape) {
        return batchShape.length == dims.length + 1 && Arrays.equals(dims, 0, dims.length, batchShape, 1, batchShape.length);
    }

    /** {@return the shape as {@code [N,3,224,224]}, with a symbolic batch} */
    public String toBatchString() {
        StringJoiner j = new StringJoiner(",", "[N,", "]");
        for (long d : dims) {
            j.add(Long.toString(d));
        }
        return dims.length == 0 ? "[N]" : j.toString();
    }

    /** {@return a full array shape formatted like {@code [1,3,224,224]}} @param shape any array shape */
    public static String format(long[] shape) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (long d : shape) {
            j.add(Long.toString(d));
        }
        return j.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return format(dims);
    }
}
