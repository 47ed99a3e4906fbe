package io.github.dtd4j.methods;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded float64 arrays and the measures the method tests compare with. */
final class TestArrays {
    static final DataType D = DataType.DOUBLE;

    private TestArrays() {
    }

    /** {@return standard normal values from a generator seeded with {@code seed}, float64} */
    static INDArray randn(long seed, long... shape) {
        Random r = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return Nd4j.randn(r, shape).castTo(D);
    }

    /** {@return the largest absolute value} */
    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }
}
