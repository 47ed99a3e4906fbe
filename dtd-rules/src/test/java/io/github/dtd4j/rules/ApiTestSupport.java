package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.BatchNorm;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded float64 arrays and exact or relative array comparisons for the tests of the core API (selectors, starts,
 * stops, custom layers, gradients). Values are read element by element into Java doubles, so that a comparison
 * never relies on an ND4J operation of the code under test.
 */
final class ApiTestSupport {
    private ApiTestSupport() {
    }

    /** {@return the number of elements of a shape} */
    static int size(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return Math.toIntExact(n);
    }

    /** {@return a float64 array of normal values times {@code scale}, from the seeded generator (Box–Muller)} */
    static INDArray gaussian(SplittableRandom rnd, double scale, long... shape) {
        double[] v = new double[size(shape)];
        for (int i = 0; i < v.length; i++) {
            double u = 1 - rnd.nextDouble();
            v[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    /** {@return a float64 array of values uniform in [lo, hi)} */
    static INDArray uniform(SplittableRandom rnd, double lo, double hi, long... shape) {
        double[] v = new double[size(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    /** {@return an inference BatchNorm over {@code c} channels with scale, shift, mean and variance drawn at random} */
    static BatchNorm batchNorm(SplittableRandom rnd, long c) {
        return new BatchNorm(uniform(rnd, 0.5, 1.5, c), gaussian(rnd, 0.3, c), gaussian(rnd, 0.3, c),
                uniform(rnd, 0.5, 1.5, c), 1e-5);
    }

    /** {@return the elements in C order, as Java doubles} */
    static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').reshape('c', new long[]{a.length()}).toDoubleVector();
    }

    /** {@return max |a_i|} */
    static double maxAbs(double[] a) {
        return Arrays.stream(a).map(Math::abs).max().orElse(0);
    }

    /** {@return max |a_i|} */
    static double maxAbs(INDArray a) {
        return maxAbs(values(a));
    }

    /** Asserts equal shapes and equal values, element by element, to the last bit (0.0 equals −0.0). */
    static void assertSameValues(String what, INDArray actual, INDArray expected) {
        assertThat(actual.shape()).as("%s: shape", what).containsExactly(expected.shape());
        double[] a = values(actual);
        double[] e = values(expected);
        for (int i = 0; i < a.length; i++) {
            if (!(a[i] == e[i])) {
                throw new AssertionError(what + ": element " + i + " differs: " + a[i] + " vs " + e[i]);
            }
        }
    }

    /** Asserts equal shapes and {@code |actual − expected| ≤ rel · max(max|expected|, floor)} element by element. */
    static void assertClose(String what, INDArray actual, INDArray expected, double rel, double floor) {
        assertThat(actual.shape()).as("%s: shape", what).containsExactly(expected.shape());
        assertClose(what, values(actual), values(expected), rel, floor);
    }

    /** As {@link #assertClose(String, INDArray, INDArray, double, double)} on plain arrays. */
    static void assertClose(String what, double[] actual, double[] expected, double rel, double floor) {
        assertThat(actual).as("%s: length", what).hasSameSizeAs(expected);
        double tol = rel * Math.max(maxAbs(expected), floor);
        int worst = 0;
        double worstDiff = -1;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d) || d > worstDiff) {
                worst = i;
                worstDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        if (actual.length > 0 && !(worstDiff <= tol)) {
            throw new AssertionError(what + ": largest difference at element " + worst + ": " + actual[worst] + " vs "
                    + expected[worst] + " (|diff| " + worstDiff + " > " + tol + ")");
        }
    }
}
