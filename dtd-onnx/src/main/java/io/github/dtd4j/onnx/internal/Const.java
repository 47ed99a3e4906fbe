package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A constant tensor met during import: an initializer, a {@code Constant} node's value, or the result of shape
 * arithmetic evaluated at import time. Exactly one of {@code f}, {@code d}, {@code i} holds the values, in C order.
 * Integer tensors may hold {@link #BATCH}, the symbolic batch size that {@code Shape} of an activation yields.
 */
final class Const implements Value {
    /** The batch size, unknown at import time: what {@code Shape(x)[0]} is for an activation {@code x}. */
    static final long BATCH = Long.MIN_VALUE;

    final long[] dims;
    final float[] f;
    final double[] d;
    final long[] i;
    /** Name of the initializer (or value) it came from, for naming the layer that uses it; may be null. */
    final String origin;

    private Const(long[] dims, float[] f, double[] d, long[] i, String origin) {
        this.dims = dims;
        this.f = f;
        this.d = d;
        this.i = i;
        this.origin = origin;
    }

    static Const floats(long[] dims, float[] values, String origin) {
        return new Const(dims, values, null, null, origin);
    }

    static Const doubles(long[] dims, double[] values, String origin) {
        return new Const(dims, null, values, null, origin);
    }

    static Const ints(long[] dims, long[] values, String origin) {
        return new Const(dims, null, null, values, origin);
    }

    static Const vector(long... values) {
        return ints(new long[]{values.length}, values, null);
    }

    static Const scalar(long value) {
        return ints(new long[0], new long[]{value}, null);
    }

    boolean isInt() {
        return i != null;
    }

    int length() {
        return f != null ? f.length : d != null ? d.length : i.length;
    }

    int rank() {
        return dims.length;
    }

    /** {@return value k as a double ({@link #BATCH} stays a huge negative number)} */
    double at(int k) {
        return f != null ? f[k] : d != null ? d[k] : (double) i[k];
    }

    /** {@return every value as a long (floats truncated toward zero)} */
    long[] longs() {
        if (i != null) {
            return i.clone();
        }
        long[] out = new long[length()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (long) at(k);
        }
        return out;
    }

    /** {@return the same values with other dimensions (same element count)} */
    Const withDims(long[] newDims, String newOrigin) {
        return new Const(newDims, f, d, i, newOrigin);
    }

    /** {@return the same values with another origin} */
    Const withOrigin(String newOrigin) {
        return new Const(dims, f, d, i, newOrigin);
    }

    /** {@return the values as a new ND4J array of the given type and shape (same element count)} */
    INDArray toArray(DataType type, long... shape) {
        if (type == DataType.DOUBLE) {
            double[] v = d;
            if (v == null) {
                v = new double[length()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = at(k);
                }
            }
            return Nd4j.create(v, shape, DataType.DOUBLE);
        }
        float[] v = f;
        if (v == null) {
            v = new float[length()];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) at(k);
            }
        }
        return Nd4j.create(v, shape, DataType.FLOAT);
    }

    /** {@return the values as a new array with the tensor's own dimensions} */
    INDArray toArray(DataType type) {
        return toArray(type, dims);
    }

    @Override
    public String toString() {
        return (i != null ? "int" : f != null ? "float" : "double") + Arrays.toString(dims)
                + (origin == null ? "" : " '" + origin + "'");
    }
}
