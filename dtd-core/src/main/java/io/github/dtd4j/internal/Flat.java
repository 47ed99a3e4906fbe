package io.github.dtd4j.internal;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loops over an array's memory on the JVM, for passes that ND4J would run as several operations. Each ND4J operation
 * and each array it makes costs 3–45 µs of bookkeeping here before it touches data, and a reduction reads about
 * 2 GB/s; these loops read the buffer directly. They take float and double arrays whose values are the first
 * {@code length} values of their buffer in C order ({@link #leading}); callers keep ND4J's operations for any other.
 */
public final class Flat {
    private Flat() {
    }

    /** The longest array the loops take: NIO buffers are indexed by int, and a stacked pair is twice as long. */
    private static final long MAX_LENGTH = Integer.MAX_VALUE / 2;

    /** Values read per bulk copy out of the buffer. */
    private static final int CHUNK = 4096;

    /**
     * {@return whether the array's values are its buffer's first {@code length} values, in C order with stride 1}
     * (a float or double array): the criterion for these loops. A reshaped array counts as a view for ND4J but
     * qualifies here.
     */
    public static boolean leading(INDArray a) {
        DataType t = a.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && a.offset() == 0 && a.ordering() == 'c'
                && a.elementWiseStride() == 1 && a.data().length() >= a.length() && a.length() <= MAX_LENGTH;
    }

    /**
     * {@return {@code t[:, :C] ⊙ x⁺ + t[:, C:] ⊙ x⁻} for {@link #leading} arrays {@code t [N, 2C, ...]} and
     * {@code x [N, C, ...]}, as a new {@code [N, C, ...]} array}, in one pass, with the roundings of the products
     * and the sum in that order (what multiplying by {@code Ops.stackSigns}'s halves and adding them gives, bit for
     * bit)
     */
    public static INDArray sumOfSignedHalves(INDArray t, INDArray x) {
        int n = (int) x.size(0);
        int per = (int) (x.length() / Math.max(1, n));
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        if (x.dataType() == DataType.FLOAT) {
            FloatBuffer tb = t.data().asNioFloat();
            FloatBuffer xb = x.data().asNioFloat();
            FloatBuffer ob = out.data().asNioFloat();
            float[] v = new float[Math.min(CHUNK, Math.max(per, 1))];
            float[] a = new float[v.length];
            float[] b = new float[v.length];
            for (int i = 0; i < n; i++) {
                for (int from = 0; from < per; from += v.length) {
                    int len = Math.min(v.length, per - from);
                    xb.get(i * per + from, v, 0, len);
                    tb.get(2 * i * per + from, a, 0, len);
                    tb.get(2 * i * per + per + from, b, 0, len);
                    for (int k = 0; k < len; k++) {
                        float e = v[k];
                        boolean neg = e < 0;
                        a[k] = a[k] * (neg ? 0f : e) + b[k] * (neg ? e : 0f);
                    }
                    ob.put(i * per + from, a, 0, len);
                }
            }
            return out;
        }
        DoubleBuffer tb = t.data().asNioDouble();
        DoubleBuffer xb = x.data().asNioDouble();
        DoubleBuffer ob = out.data().asNioDouble();
        double[] v = new double[Math.min(CHUNK, Math.max(per, 1))];
        double[] a = new double[v.length];
        double[] b = new double[v.length];
        for (int i = 0; i < n; i++) {
            for (int from = 0; from < per; from += v.length) {
                int len = Math.min(v.length, per - from);
                xb.get(i * per + from, v, 0, len);
                tb.get(2 * i * per + from, a, 0, len);
                tb.get(2 * i * per + per + from, b, 0, len);
                for (int k = 0; k < len; k++) {
                    double e = v[k];
                    boolean neg = e < 0;
                    a[k] = a[k] * (neg ? 0 : e) + b[k] * (neg ? e : 0);
                }
                ob.put(i * per + from, a, 0, len);
            }
        }
        return out;
    }
}
