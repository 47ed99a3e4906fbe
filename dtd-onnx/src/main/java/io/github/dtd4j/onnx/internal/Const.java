package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A constant tensor met during import: an initializer, a {@code Constant} node's value, or the result of shape
 * arithmetic evaluated at import time. Exactly one of the floats (decoded, or raw bytes), {@code d}, {@code i} holds
 * the values, in C order.
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
    /** The float values, decoded from {@link #raw} on first use. */
    private float[] f;
    /**
     * Float values as the file stores them (little-endian), not decoded yet: an initializer whose only use is to
     * become a layer's array goes from the file's bytes to native memory without a float[] on the heap between.
     */
    private final java.nio.ByteBuffer raw;
    final double[] d;
    final long[] i;
    /** Name of the initializer (or value) it came from, for naming the layer that uses it; may be null. */
    final String origin;

    private Const(long[] dims, float[] f, java.nio.ByteBuffer raw, double[] d, long[] i, String origin) {
        this.dims = dims;
        this.f = f;
        this.raw = raw;
        this.d = d;
        this.i = i;
        this.origin = origin;
    }

    static Const floats(long[] dims, float[] values, String origin) {
        return new Const(dims, values, null, null, null, origin);
    }

    /**
     * {@return a float constant of raw little-endian bytes, decoded when first read}
     *
     * @param dims   its dimensions
     * @param bytes  4 bytes per value, little-endian; not copied, and never modified
     * @param origin its name
     */
    static Const rawFloats(long[] dims, java.nio.ByteBuffer bytes, String origin) {
        return new Const(dims, null, bytes.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN), null, null, origin);
    }

    static Const doubles(long[] dims, double[] values, String origin) {
        return new Const(dims, null, null, values, null, origin);
    }

    static Const ints(long[] dims, long[] values, String origin) {
        return new Const(dims, null, null, null, values, origin);
    }

    /** {@return whether the values are floats} */
    private boolean isFloat() {
        return f != null || raw != null;
    }

    /** {@return the float values, decoded now if they were not yet; null for another type} */
    private float[] floats() {
        if (f == null && raw != null) {
            float[] v = new float[raw.remaining() / 4];
            raw.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            f = v;
        }
        return f;
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
        if (isFloat()) {
            float[] all = floats();
            float[] v = new float[n];
            for (int k = 0; k < n; k++) {
                v[k] = all[from[k]];
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
        if (!isFloat()) {
            // integer and double matrices are small (shape arithmetic, float64 models): the plain index map
            int[] from = new int[length()];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    from[c * rows + r] = r * cols + c;
                }
            }
            return pick(t, from, origin);
        }
        float[] f = floats();
        float[] v = new float[f.length];
        transpose(java.nio.FloatBuffer.wrap(f), java.nio.FloatBuffer.wrap(v), rows, cols);
        return floats(t, v, origin);
    }

    /** Writes the {@code rows × cols} matrix {@code in} transposed into {@code out}, in tiles that stay in the cache. */
    private static void transpose(java.nio.FloatBuffer in, java.nio.FloatBuffer out, int rows, int cols) {
        final int tile = 64;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int r1 = Math.min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) {
                    int src = r * cols;
                    for (int c = c0; c < c1; c++) {
                        out.put(c * rows + r, in.get(src + c));
                    }
                }
            }
        }
    }

    boolean isInt() {
        return i != null;
    }

    int length() {
        return f != null ? f.length : raw != null ? raw.remaining() / 4 : d != null ? d.length : i.length;
    }

    int rank() {
        return dims.length;
    }

    /** {@return value k as a double ({@link #BATCH} stays a huge negative number)} */
    double at(int k) {
        return isFloat() ? floats()[k] : d != null ? d[k] : (double) i[k];
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
        return new Const(newDims, f, raw, d, i, newOrigin);
    }

    /** {@return the same values with another origin} */
    Const withOrigin(String newOrigin) {
        return new Const(dims, f, raw, d, i, newOrigin);
    }

    /** {@return the values as a new ND4J array of the given type and shape (same element count)} */
    INDArray toArray(DataType type, long... shape) {
        // one copy into native memory (Nd4j.create(float[], ...) takes 15 times as long: 0.5 s for VGG16's fc6)
        if (length() == 0) {
            return Nd4j.create(type, shape);
        }
        if (type == DataType.DOUBLE) {
            double[] v = d;
            if (v == null) {
                v = new double[length()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = at(k);
                }
            }
            INDArray a = Nd4j.createUninitialized(DataType.DOUBLE, shape);
            ((org.bytedeco.javacpp.DoublePointer) a.data().pointer()).put(v, 0, v.length);
            return a;
        }
        if (f == null && raw != null && java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN) {
            // the file's bytes are the array's bytes: one copy, and no float[] on the heap
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
            java.nio.ByteBuffer dst = a.data().asNio();
            dst.clear();
            dst.put(raw.duplicate());
            return a;
        }
        float[] v = isFloat() ? floats() : null;
        if (v == null) {
            v = new float[length()];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) at(k);
            }
        }
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
        ((org.bytedeco.javacpp.FloatPointer) a.data().pointer()).put(v, 0, v.length);
        return a;
    }

    /**
     * {@return a matrix transposed, as a new array}: for float matrices written straight into the array's native
     * memory, in tiles that stay in the cache (no transposed copy on the heap: 411 MB for VGG16's fc6)
     *
     * @param type the array's type
     */
    INDArray transposedArray(DataType type) {
        if (rank() != 2 || !isFloat() || type != DataType.FLOAT) {
            return transposed().toArray(type);
        }
        // read from the file's bytes if not decoded yet: no float[] on the heap
        java.nio.FloatBuffer in = f != null ? java.nio.FloatBuffer.wrap(f)
                : raw.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int rows = (int) dims[0];
        int cols = (int) dims[1];
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, cols, rows);
        transpose(in, a.data().asNioFloat(), rows, cols);
        return a;
    }

    /** {@return the values as a new array with the tensor's own dimensions} */
    INDArray toArray(DataType type) {
        return toArray(type, dims);
    }

    @Override
    public String toString() {
        return (i != null ? "int" : isFloat() ? "float" : "double") + Arrays.toString(dims)
                + (origin == null ? "" : " '" + origin + "'");
    }
}
