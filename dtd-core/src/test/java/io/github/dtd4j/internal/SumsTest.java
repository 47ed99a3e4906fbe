package io.github.dtd4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sweep's sums by matrix–vector products equal a loop over the elements accumulated in double: per sample, per
 * channel and in total, for batches of one and more, for sizes that grow the kept column of ones, that use a view of
 * it, and that are past it (the reduction's path); a NaN or an infinity anywhere makes the total non-finite.
 */
class SumsTest {
    @ParameterizedTest(name = "{0}: [{1},{2},{3},{4}]")
    @CsvSource({
        "DOUBLE, 1, 3, 5, 7", "FLOAT, 1, 3, 5, 7", "DOUBLE, 3, 4, 6, 6", "FLOAT, 3, 4, 6, 6",
        "FLOAT, 1, 144, 56, 56", "FLOAT, 2, 96, 112, 112", "DOUBLE, 1, 1, 1, 1", "FLOAT, 2, 1, 2049, 2049"})
    void equalTheLoopInDouble(DataType dt, int n, int c, int h, int w) {
        Nd4j.getRandom().setSeed(n * 1000L + c);
        INDArray a = Nd4j.rand(dt, n, c, h, w).subi(0.3);
        double[] data = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        long per = (long) c * h * w;
        double[] perSample = new double[n];
        double[][] perChannel = new double[n][c];
        for (int i = 0; i < data.length; i++) {
            perSample[(int) (i / per)] += data[i];
            perChannel[(int) (i / per)][(int) (i % per / ((long) h * w))] += data[i];
        }
        // float32 sums of up to 8 million terms of either sign: relative to the sum of magnitudes
        double tol = (dt == DataType.DOUBLE ? 1e-12 : 1e-6) * per;
        double[] got = Sums.perSample(a);
        INDArray channels = Sums.perChannel(a);
        assertThat(channels.shape()).containsExactly(n, c);
        double total = 0;
        for (int i = 0; i < n; i++) {
            assertThat(got[i]).isCloseTo(perSample[i], org.assertj.core.data.Offset.offset(tol));
            for (int k = 0; k < c; k++) {
                assertThat(channels.getDouble(i, k)).isCloseTo(perChannel[i][k],
                        org.assertj.core.data.Offset.offset(tol));
            }
            total += perSample[i];
        }
        assertThat(Sums.total(a)).isCloseTo(total, org.assertj.core.data.Offset.offset(tol * n));
        assertThat(Sums.perSample(a.reshape(n, per))).hasSize(n);
        // each sample's sums have the bits they have when the sample comes alone (batch-independent ledgers)
        for (int i = 0; i < n; i++) {
            INDArray one = a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
            assertThat(Sums.perSample(one)[0]).as("sample " + i).isEqualTo(got[i]);
            assertThat(Sums.perChannel(one).toDoubleVector()).as("sample " + i)
                    .containsExactly(channels.getRow(i).toDoubleVector());
        }
        a.putScalar(new long[]{n - 1, c - 1, h - 1, w - 1}, Double.NaN);
        assertThat(Sums.total(a)).isNaN();
        a.putScalar(new long[]{n - 1, c - 1, h - 1, w - 1}, Double.POSITIVE_INFINITY);
        assertThat(Double.isFinite(Sums.total(a))).isFalse();
    }
}
