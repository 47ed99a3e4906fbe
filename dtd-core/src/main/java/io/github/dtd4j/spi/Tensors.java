package io.github.dtd4j.spi;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.internal.Flat;
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
        return a.length() == 0 || (Flat.leading(a) ? Flat.noneWithSign(a, -1)
                : a.minNumber().doubleValue() >= 0 && !hasNaN(a));
    }

    /** {@return true if no element is positive or NaN} @param a any array */
    public static boolean nonPositive(INDArray a) {
        return a.length() == 0 || (Flat.leading(a) ? Flat.noneWithSign(a, 1)
                : a.maxNumber().doubleValue() <= 0 && !hasNaN(a));
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
