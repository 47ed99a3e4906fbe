package io.github.dtd4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.spi.Tensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The JVM loops over arrays' memory ({@link Flat}, and {@link Tensors}' sign scan) against libnd4j's operations they
 * stand for (bit for bit, by raw bit patterns, so that ±0 and NaN count) or the reductions they replace, and against
 * the formulas from a loop over single values. The arrays hold NaN, ±0 and ±∞ and are long enough per sample to
 * cross the loops' 4,096-value chunks.
 */
class FlatTest {
    /** {@code [batch, 3, 50, 40]}: 6,000 values per sample, special values written at fixed places */
    private static INDArray signed(DataType t, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(t, batch, 3, 50, 40);
        INDArray f = x.reshape(x.length());
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < special.length; i++) {
            f.putScalar(13L + 997L * i, special[i]);
            f.putScalar(x.length() - 1 - 31L * i, special[i]);
        }
        return x;
    }

    private static long[] bits(INDArray a) {
        INDArray c = a.dup('c');
        long[] b = new long[(int) c.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = c.dataType() == DataType.FLOAT ? Float.floatToRawIntBits(c.getFloat(i))
                    : Double.doubleToRawLongBits(c.getDouble(i));
        }
        return b;
    }

    private static long[] index(long[] shape, long flat) {
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = flat % shape[d];
            flat /= shape[d];
        }
        return at;
    }

    @ParameterizedTest(name = "{0}, batch {1}")
    @CsvSource({"FLOAT, 1", "FLOAT, 2", "DOUBLE, 1", "DOUBLE, 3"})
    void signedHalvesSumAsTheProductsAndTheSumDoBitForBit(DataType t, int batch) {
        INDArray x = signed(t, batch, 17 + batch);
        Nd4j.getRandom().setSeed(99 + batch);
        INDArray tt = Nd4j.randn(t, batch, 6, 50, 40);
        INDArray got = Flat.sumOfSignedHalves(tt, x);

        // the operations it replaces: the stacked signs (libnd4j's relu and scalar_min) times t, then the halves added
        INDArray signs = Nd4j.concat(1, Nd4j.exec(new RectifiedLinear(x.dup(), 0.0)),
                Nd4j.exec(new ScalarMin(x.dup(), null, x.ulike(), 0.0)));
        INDArray prod = tt.mul(signs);
        INDArray expected = Ops.channelView(prod, 0, 3).add(Ops.channelView(prod, 3, 6));
        assertThat(bits(got)).containsExactly(bits(expected));
        // the formula from single values: t_c·max(0, x) + t_{C+c}·min(0, x)
        for (long i = 0; i < x.length(); i += 7) {
            long[] at = index(x.shape(), i);
            double v = x.getDouble(at);
            double a = tt.getDouble(at[0], at[1], at[2], at[3]);
            double b = tt.getDouble(at[0], at[1] + 3, at[2], at[3]);
            double want = t == DataType.FLOAT
                    ? (float) ((float) (a * (v < 0 ? 0 : v)) + (float) (b * (v < 0 ? v : 0)))
                    : a * (v < 0 ? 0 : v) + b * (v < 0 ? v : 0);
            if (Double.isNaN(want)) {
                assertThat(got.getDouble(at)).isNaN();
            } else {
                assertThat(got.getDouble(at) + 0.0).isEqualTo(want + 0.0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"FLOAT", "DOUBLE"})
    void noneWithSignAgreesWithTheReductions(DataType t) {
        INDArray x = Nd4j.rand(t, 2, 3, 50, 40); // in [0, 1)
        assertThat(Tensors.nonNegative(x)).isTrue();
        assertThat(Tensors.nonPositive(x)).isFalse();
        INDArray f = x.reshape(x.length());
        // a −0 is neither: still non-negative, and its negation non-positive
        f.putScalar(5000, -0.0);
        assertThat(Tensors.nonNegative(x)).isTrue();
        assertThat(Tensors.nonPositive(x.neg())).isTrue();
        // one negative value, the last of the second sample (past the first chunk)
        f.putScalar(x.length() - 1, -1e-30);
        assertThat(Tensors.nonNegative(x)).isFalse().isEqualTo(x.minNumber().doubleValue() >= 0);
        assertThat(Tensors.nonPositive(x.neg())).isFalse();
        f.putScalar(x.length() - 1, 0.5);
        assertThat(Tensors.nonNegative(x)).isTrue();
        // a NaN is no evidence of a sign: it fails both
        f.putScalar(7777, Double.NaN);
        assertThat(Tensors.nonNegative(x)).isFalse();
        assertThat(Tensors.nonPositive(x.neg())).isFalse();
        f.putScalar(7777, 0.25);
        assertThat(Tensors.nonNegative(Nd4j.create(t, 0))).isTrue();
        // a view that does not lead its buffer takes the reduction, and agrees
        INDArray first = x.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertThat(Flat.leading(first)).isTrue(); // the first sample's values lead the buffer
        INDArray later = x.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertThat(Flat.leading(later)).isFalse();
        assertThat(Tensors.nonNegative(later)).isTrue();
        f.putScalar(7777, Double.NaN); // the reduction skips it; the view's answer does not
        assertThat(Tensors.nonNegative(later)).isFalse();
        assertThat(Tensors.nonPositive(later.neg())).isFalse();
        f.putScalar(7777, 0.25);
        f.putScalar(7000, -2.0);
        assertThat(Tensors.nonNegative(later)).isFalse();
        assertThat(Tensors.nonNegative(first)).isTrue();
    }
}
