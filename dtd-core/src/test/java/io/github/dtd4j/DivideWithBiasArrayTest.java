package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The stabilized division with a bias term shaped like the numerators, in one loop ({@link Accounts#divide} on plain
 * arrays): s equals the general path's ND4J operations bit for bit (computed here as that path computes them, on
 * the same arrays), both equal {@code s = R / (d + ε·sign(d))}, {@code d = Σq + b}, sign(0) = +1, from a loop, and the
 * bookings equal that loop's {@code Σ ε·sign(d)·s} and {@code Σ b·s} per sample. The denominators hold exact zeros
 * (+0 and −0) and values of both signs; without a bias term (a product's or a sum's split) nothing is booked with
 * the bias.
 */
class DivideWithBiasArrayTest {
    @ParameterizedTest(name = "{0}, batch {1}, bias {2}")
    @CsvSource({"FLOAT, 1, true", "FLOAT, 3, true", "DOUBLE, 1, true", "DOUBLE, 2, true", "FLOAT, 2, false",
        "DOUBLE, 1, false"})
    void equalsTheGeneralPathBitForBitAndTheFormula(DataType t, int batch, boolean withBias) {
        Nd4j.getRandom().setSeed(11 + batch);
        long[] shape = {batch, 7, 12};
        INDArray z = Nd4j.randn(t, shape);
        // without a bias term, b is zero in the formula and null for the division
        INDArray b = withBias ? Nd4j.randn(t, shape).muli(0.5) : Nd4j.zeros(t, shape);
        INDArray r = Nd4j.randn(t, shape);
        INDArray zf = z.reshape(z.length());
        INDArray bf = b.reshape(b.length());
        for (long i = 0; i < z.length(); i += 7) {
            // d = z + b exactly zero: +0 (z = -b) and -0 (both -0)
            if (i % 2 == 0) {
                zf.putScalar(i, -bf.getDouble(i));
            } else {
                zf.putScalar(i, -0.0);
                bf.putScalar(i, -0.0);
            }
        }
        double eps = 1e-3;

        Accounts fast = new Accounts(batch);
        // the relevance reshaped, as a dense layer's arrays are: ND4J counts it as a view, the loop takes it
        INDArray rr = r.reshape(batch, 84).reshape(shape);
        INDArray s = fast.divide(null, rr, z, withBias ? b : null, eps);

        // the general path's operations, as Accounts.divide runs them on arrays that are not plain
        INDArray d = withBias ? z.add(b) : z.dup();
        INDArray stab = d.gte(0.0).castTo(t).muli(2 * eps).subi(eps);
        INDArray expected = r.div(d.addi(stab));
        assertThat(s.data().asDouble()).as("bit for bit").containsExactly(expected.data().asDouble());

        double[] zv = z.data().asDouble();
        double[] bv = b.data().asDouble();
        double[] rv = r.data().asDouble();
        int per = (int) (z.length() / batch);
        double tol = t == DataType.FLOAT ? 1e-5 : 1e-12;
        double[] stabBooked = new double[batch];
        double[] biasBooked = new double[batch];
        int zeros = 0;
        for (int j = 0; j < zv.length; j++) {
            double dj = zv[j] + bv[j];
            zeros += dj == 0 ? 1 : 0;
            double st = dj >= 0 ? eps : -eps;
            double sj = rv[j] / (dj + st);
            stabBooked[j / per] += st * sj;
            biasBooked[j / per] += bv[j] * sj;
            assertThat(s.data().getDouble(j)).isCloseTo(sj, within(tol * (1 + Math.abs(sj))));
        }
        assertThat(zeros).as("exact zeros in d").isPositive();
        double scale = 1 + java.util.Arrays.stream(rv).map(Math::abs).sum() / eps;
        for (int i = 0; i < batch; i++) {
            assertThat(fast.stabilizer[i]).isCloseTo(stabBooked[i], within(tol * scale * eps));
            assertThat(fast.bias[i]).isCloseTo(biasBooked[i], within(tol * scale));
            if (!withBias) {
                assertThat(fast.bias[i]).isZero();
            }
        }
    }

    @Test
    void takesTheGeneralPathForAnOffsetViewWithTheSameResult() {
        Nd4j.getRandom().setSeed(5);
        INDArray z = Nd4j.randn(DataType.FLOAT, 1, 4, 6);
        INDArray b = Nd4j.randn(DataType.FLOAT, 1, 4, 6);
        INDArray wide = Nd4j.randn(DataType.FLOAT, 1, 8, 6);
        INDArray r = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 6), NDArrayIndex.all());
        assertThat(r.isView()).isTrue();
        Accounts viaView = new Accounts(1);
        INDArray s1 = viaView.divide(null, r, z, b, 1e-6);
        Accounts plain = new Accounts(1);
        INDArray s2 = plain.divide(null, r.dup(), z, b, 1e-6);
        assertThat(s2.data().asDouble()).containsExactly(s1.data().asDouble());
        assertThat(plain.bias[0]).isCloseTo(viaView.bias[0], within(1e-5 * (1 + Math.abs(viaView.bias[0]))));
    }
}
