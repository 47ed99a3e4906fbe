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
    /**
     * The batch size, unknown at import time: what {@code Shape(x)[0]} is for an activation {@code x}. A huge negative
     * number far from {@link Long#MIN_VALUE}, which exporters write as the end of a slice that runs backwards.
     */
    static final long BATCH = Long.MIN_VALUE / 2;
    /** The largest factor k of a symbolic {@code k·N} ({@link #batchTimes}). */
    private static final long MAX_FACTOR = 1L << 40;

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

    /**
     * {@return the symbolic value {@code k·N}: the batch size times a known factor, what {@code Shape(x)[0]} is for
     * a tensor whose first axis merges the batch with k windows or heads} {@link #BATCH} is {@code 1·N}.
     *
     * @param k the factor, at least 1
     * @throws NotSupported if it is too large to encode
     */
    static long batchTimes(long k) {
        if (k < 1 || k >= MAX_FACTOR) {
            throw new NotSupported("the batch size times " + k);
        }
        return BATCH + (k - 1);
    }

    /** {@return whether a value is symbolic, {@code k·N}} @param v an integer value */
    static boolean isBatch(long v) {
        return v >= BATCH && v < BATCH + MAX_FACTOR;
    }

    /** {@return k of a symbolic value {@code k·N}} @param v a value for which {@link #isBatch} holds */
    static long batchFactor(long v) {
        return v - BATCH + 1;
    }

    /**
     * {@return a constant of the given dimensions whose element k is this one's element {@code from[k]}}: what
     * transposing, slicing, gathering and broadcasting make of a constant, symbolic values carried along
     *
     * @param outDims   the result's dimensions
     * @param from      for each element of the result, the index of its source element in C order
     * @param newOrigin the result's origin
     */
    Const pick(long[] outDims, int[] from, String newOrigin) {
        int n = from.length;
        if (i != null) {
            long[] v = new long[n];
            for (int k = 0; k < n; k++) {
                v[k] = i[from[k]];
            }
            return ints(outDims, v, newOrigin);
        }
        if (f != null) {
            float[] v = new float[n];
            for (int k = 0; k < n; k++) {
                v[k] = f[from[k]];
            }
            return floats(outDims, v, newOrigin);
        }
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = d[from[k]];
        }
        return doubles(outDims, v, newOrigin);
    }

    /**
     * {@return a matrix transposed, in tiles that stay in the cache}: faster than ND4J's copy of a transposed view on a
     * VGG classifier's [4096, 25088] weight
     */
    Const transposed() {
        if (rank() != 2) {
            throw new IllegalStateException("transposing a rank-" + rank() + " constant");
        }
        int rows = (int) dims[0];
        int cols = (int) dims[1];
        long[] t = {cols, rows};
        if (f == null) {
            // integer and double matrices are small (shape arithmetic, float64 models): the plain index map
            int[] from = new int[length()];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    from[c * rows + r] = r * cols + c;
                }
            }
            return pick(t, from, origin);
        }
        float[] v = new float[f.length];
        final int tile = 64;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int r1 = Math.min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) {
                    int src = r * cols;
                    for (int c = c0; c < c1; c++) {
                        v[c * rows + r] = f[src + c];
                    }
                }
            }
        }
        return floats(t, v, origin);
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
