package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The min-max relevance model: its hand-written gradients, its targets and its relevance redistribution. */
class MinMaxModelTest {
    static MinMaxModel model(PairNet n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return new MinMaxModel(n.w1().add(Nd4j.randn(DataType.DOUBLE, n.w1().shape()).muli(0.01)),
                Nd4j.randn(DataType.DOUBLE, PairNet.HIDDEN, PairNet.HIDDEN).muli(0.01), n.b1().dup());
    }

    @Test
    void gradientsMatchCentralDifferences() {
        PairNet n = PairNetTest.net(11);
        MinMaxModel m = model(n, 12);
        INDArray x = PairNetTest.input(13, 4);
        double[] loss = new double[1];
        INDArray[] g = m.gradients(n, x, PairNet.pooling(DataType.DOUBLE), loss);
        assertThat(loss[0]).isCloseTo(m.loss(n, x), within(1e-9 * Math.max(1, loss[0])));
        INDArray[] params = {m.v(), m.u(), m.d()};
        Random r = new Random(14);
        double h = 1e-6;
        for (int i = 0; i < 3; i++) {
            INDArray flat = params[i].reshape(new long[]{params[i].length()});
            INDArray gflat = g[i].reshape(new long[]{g[i].length()});
            for (int t = 0; t < 15; t++) {
                long k = r.nextInt((int) flat.length());
                double v = flat.getDouble(k);
                flat.putScalar(k, v + h);
                double lp = m.loss(n, x);
                flat.putScalar(k, v - h);
                double lm = m.loss(n, x);
                flat.putScalar(k, v);
                double fd = (lp - lm) / (2 * h);
                assertThat(gflat.getDouble(k)).as("param %d entry %d", i, k)
                        .isCloseTo(fd, within(1e-4 * Math.max(1, Math.abs(fd))));
            }
        }
    }

    /** z⁺ on the top layer is conservative: the 100 targets R_k add up to f(x). */
    @Test
    void targetsAddUpToTheOutput() {
        PairNet n = PairNetTest.net(15);
        INDArray x = PairNetTest.input(16, 3);
        MinMaxModel.Truth t = MinMaxModel.truth(n, x);
        assertThat(t.rk().sum(1).toDoubleVector()).containsExactly(n.forward(x).toDoubleVector(), within(1e-6));
        assertThat(t.rk().minNumber().doubleValue()).isGreaterThanOrEqualTo(0);
    }

    /** The pixel relevances add up to the model's own prediction Σ_k R̂_k and are ≥ 0 for inputs in the box. */
    @Test
    void pixelRelevanceConservesThePredictedRelevance() {
        PairNet n = PairNetTest.net(17);
        MinMaxModel m = model(n, 18);
        INDArray x = PairNetTest.input(19, 3);
        INDArray r = m.relevance(n, x);
        INDArray rhat = m.pass(x, MinMaxModel.truth(n, x).rl()).rhat();
        // up to the library's default stabilizer (1e-6 per detector, 400 detectors)
        assertThat(r.sum(1).toDoubleVector()).containsExactly(rhat.sum(1).toDoubleVector(), within(1e-3));
        assertThat(rhat.sum(1).minNumber().doubleValue()).isGreaterThan(0);
        assertThat(Transforms.min(r, 0.0, true).minNumber().doubleValue()).isGreaterThanOrEqualTo(-1e-12);
    }
}
