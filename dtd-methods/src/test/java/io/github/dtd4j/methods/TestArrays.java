package io.github.dtd4j.methods;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded float64 arrays and the comparisons the method tests share. */
final class TestArrays {
    /** Every test computes in float64. */
    static final DataType D = DataType.DOUBLE;

    private TestArrays() {
    }

    /** {@return standard normal values from a seeded generator, float64} @param seed seed @param shape shape */
    static INDArray randn(long seed, long... shape) {
        Random r = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return Nd4j.randn(r, shape).castTo(D);
    }

    /** {@return max |a|} @param a any array */
    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }
}
