package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The residual sum's proportional split in one loop ({@link Accounts#splitSum}): the relevance it sends equals the
 * general path's ({@link Accounts#divide} with no bias, then the gradient's copy times each input) bit for bit, both
 * equal a loop written from the formula {@code R_k = x_k · R / (y + ε·sign(y))}, sign(0) = +1, and the stabilizer's
 * booking equals that loop's {@code Σ ε·sign(y)·s} per sample. The sums hold exact zeros and values of both signs.
 */
class SplitSumTest {
    @ParameterizedTest(name = "{0}, {1} inputs, batch {2}")
    @CsvSource({"FLOAT, 2, 1", "FLOAT, 3, 2", "DOUBLE, 2, 3", "DOUBLE, 4, 1"})
    void equalsTheGeneralPathBitForBitAndTheFormula(DataType t, int inputs, int batch) {
        Nd4j.getRandom().setSeed(7 + inputs + batch);
        long[] shape = {batch, 5, 6, 7};
        List<INDArray> xs = new ArrayList<>();
        for (int k = 0; k < inputs; k++) {
            xs.add(Nd4j.randn(t, shape));
        }
        // exact zeros in y: every input zero at some positions, and the first the negative of the second at others
        for (int k = 0; k < inputs; k++) {
            INDArray flat = xs.get(k).reshape(xs.get(k).length());
            for (long i = 0; i < flat.length(); i += 9) {
                flat.putScalar(i, 0.0);
                if (inputs == 2 && i + 4 < flat.length()) {
                    xs.get(0).reshape(flat.length()).putScalar(i + 4, -xs.get(1).reshape(flat.length()).getDouble(i + 4));
                }
            }
        }
        INDArray y = Nd4j.zeros(t, shape);
        for (INDArray x : xs) {
            y.addi(x);
        }
        INDArray r = Nd4j.randn(t, shape);
        double eps = 1e-3;

        Accounts fast = new Accounts(batch);
        List<INDArray> split = fast.splitSum(xs, y, r, eps);
        assertThat(split).hasSize(inputs);

        Accounts general = new Accounts(batch);
        INDArray s = general.divide(null, r, y, null, eps);
        for (int k = 0; k < inputs; k++) {
            INDArray expected = s.dup().muli(xs.get(k));
            assertThat(split.get(k).data().asDouble()).as("input %d, bit for bit", k)
                    .containsExactly(expected.data().asDouble());
        }

        // the formula, element by element in double (float inputs widened after each float rounding)
        double[] yv = y.data().asDouble();
        double[] rv = r.data().asDouble();
        int per = (int) (y.length() / batch);
        double tol = t == DataType.FLOAT ? 1e-5 : 1e-12;
        double[] booked = new double[batch];
        int zeros = 0;
        for (int j = 0; j < yv.length; j++) {
            double stab = yv[j] >= 0 ? eps : -eps;
            zeros += yv[j] == 0 ? 1 : 0;
            double sj = rv[j] / (yv[j] + stab);
            booked[j / per] += stab * sj;
            for (int k = 0; k < inputs; k++) {
                double want = xs.get(k).data().getDouble(j) * sj;
                assertThat(split.get(k).data().getDouble(j)).isCloseTo(want, within(tol * (1 + Math.abs(want))));
            }
        }
        assertThat(zeros).as("exact zeros in the sum").isPositive();
        for (int i = 0; i < batch; i++) {
            assertThat(fast.stabilizer[i]).isCloseTo(booked[i], within(tol * (1 + Math.abs(booked[i]))));
            assertThat(fast.stabilizer[i]).isCloseTo(general.stabilizer[i], within(tol * (1 + Math.abs(booked[i]))));
            assertThat(fast.bias[i]).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"view", "other type", "other shape"})
    void declinesWhatIsNotAPlainArrayOfTheSumsShapeAndType(String what) {
        INDArray y = Nd4j.rand(DataType.FLOAT, 1, 2, 3, 3);
        INDArray r = Nd4j.rand(DataType.FLOAT, 1, 2, 3, 3);
        INDArray other = switch (what) {
            case "view" -> Nd4j.rand(DataType.FLOAT, 1, 4, 3, 3).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
            case "other type" -> Nd4j.rand(DataType.DOUBLE, 1, 2, 3, 3);
            default -> Nd4j.rand(DataType.FLOAT, 1, 3, 3, 2);
        };
        Accounts acc = new Accounts(1);
        assertThat(acc.splitSum(List.of(y.dup(), other), y, r, 1e-6)).isNull();
        assertThat(acc.stabilizer[0]).isZero();
    }
}
