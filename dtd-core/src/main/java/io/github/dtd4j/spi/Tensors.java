package io.github.dtd4j.spi;

import io.github.dtd4j.errors.InvalidInputException;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Small array helpers for rules. Every method returns a new array and leaves its arguments untouched. */
public final class Tensors {
    private Tensors() {
    }

    /** {@return max(0, a)} @param a any array */
    public static INDArray positive(INDArray a) {
        return Transforms.relu(a, true);
    }

    /** {@return min(0, a)} @param a any array */
    public static INDArray negative(INDArray a) {
        return Transforms.min(a, 0.0, true);
    }

    /** {@return true if no element is negative or NaN} @param a any array */
    public static boolean nonNegative(INDArray a) {
        // a scan that stops at the first negative value where the memory allows (a signed array answers at once);
        // else a reduction, which skips NaN, so NaN is looked for too
        return a.length() == 0 || (leading(a) ? noneWithSign(a, -1)
                : a.minNumber().doubleValue() >= 0 && !hasNaN(a));
    }

    /** {@return true if no element is positive or NaN} @param a any array */
    public static boolean nonPositive(INDArray a) {
        return a.length() == 0 || (leading(a) ? noneWithSign(a, 1)
                : a.maxNumber().doubleValue() <= 0 && !hasNaN(a));
    }

    /** Values read per bulk copy out of the buffer by the sign scan. */
    private static final int SCAN_CHUNK = 4096;

    /**
     * {@return whether a float or double array's values are its buffer's first {@code length} values, in C order with
     * stride 1} (the scan's criterion; the engine's loops use the same one, {@code internal.Flat.leading}, which this
     * exported package cannot call)
     */
    private static boolean leading(INDArray a) {
        DataType t = a.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && a.offset() == 0 && a.ordering() == 'c'
                && a.elementWiseStride() == 1 && a.data().length() >= a.length() && a.length() <= Integer.MAX_VALUE;
    }

    /**
     * {@return whether no value of a {@link #leading} array has the given sign}: {@code sign > 0} asks "none
     * positive", {@code sign < 0} "none negative"; a NaN counts as having either sign (it is no evidence of a sign),
     * and zeros of either sign have neither. The scan stops at the first such value, so a signed array answers after
     * a few values instead of a reduction over all of them.
     */
    private static boolean noneWithSign(INDArray a, int sign) {
        long n = a.length();
        if (a.dataType() == DataType.FLOAT) {
            FloatBuffer b = a.data().asNioFloat();
            float[] v = new float[(int) Math.min(SCAN_CHUNK, n)];
            for (long from = 0; from < n; from += v.length) {
                int len = (int) Math.min(v.length, n - from);
                b.get((int) from, v, 0, len);
                for (int i = 0; i < len; i++) {
                    if (sign < 0 ? !(v[i] >= 0) : !(v[i] <= 0)) {
                        return false;
                    }
                }
            }
            return true;
        }
        DoubleBuffer b = a.data().asNioDouble();
        double[] v = new double[(int) Math.min(SCAN_CHUNK, n)];
        for (long from = 0; from < n; from += v.length) {
            int len = (int) Math.min(v.length, n - from);
            b.get((int) from, v, 0, len);
            for (int i = 0; i < len; i++) {
                if (sign < 0 ? !(v[i] >= 0) : !(v[i] <= 0)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean hasNaN(INDArray a) {
        return a.dataType().isFPType() && org.nd4j.linalg.indexing.BooleanIndexing.or(a,
                org.nd4j.linalg.indexing.conditions.Conditions.isNan());
    }

    /** {@return an array of ones shaped and typed like {@code a}} @param a any array */
    public static INDArray onesLike(INDArray a) {
        return Nd4j.ones(a.dataType(), a.shape());
    }

    /**
     * Fills an array shaped like {@code like} with one value per channel (axis 1), or with one value everywhere.
     *
     * @param like   gives shape and dtype, {@code [N,C,...]}
     * @param values length 1, or one per channel
     * @return a new array
     */
    public static INDArray perChannel(INDArray like, double[] values) {
        INDArray out = Nd4j.zeros(like.dataType(), like.shape());
        return values.length == 1 ? out.addi(values[0]) : out.addi(channelVector(like, values));
    }

    /**
     * {@return {@code x − v} with one value per channel (axis 1) or one value everywhere, in one broadcast operation}
     *
     * @param x      {@code [N,C,...]}
     * @param values length 1, or one per channel
     */
    public static INDArray minusPerChannel(INDArray x, double[] values) {
        return values.length == 1 ? x.sub(values[0]) : x.sub(channelVector(x, values));
    }

    /** {@return the values as {@code [1, C, 1, ...]} in like's type, to broadcast over like's channels} */
    private static INDArray channelVector(INDArray like, double[] values) {
        if (like.rank() < 2 || like.size(1) != values.length) {
            throw new InvalidInputException("per-channel values: " + values.length + " values for an array of shape "
                    + io.github.dtd4j.graph.Shape.format(like.shape()));
        }
        long[] bshape = new long[like.rank()];
        java.util.Arrays.fill(bshape, 1);
        bshape[1] = values.length;
        return Nd4j.create(values).castTo(like.dataType()).reshape(bshape);
    }
}
