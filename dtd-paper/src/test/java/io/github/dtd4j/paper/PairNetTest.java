package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.graph.Precision;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The hand-written forward and backward passes of {@link PairNet} against the library and finite differences. */
class PairNetTest {
    /** A random float64 net whose detectors are partly active on inputs in [−0.5, 1.5]. */
    static PairNet net(long seed) {
        PairNet n = PairNet.init(seed, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(seed + 1);
        return new PairNet(n.w1(), Nd4j.rand(DataType.DOUBLE, PairNet.HIDDEN).muli(-0.5), n.w2().add(0.02),
                Nd4j.rand(DataType.DOUBLE, PairNet.HIDDEN).muli(-0.5));
    }

    static INDArray input(long seed, int b) {
        return Nd4j.rand(DataType.DOUBLE, b, PairNet.IN).muli(2).subi(0.5);
    }

    @Test
    void forwardAgreesWithTheLibrarysGraph() {
        PairNet n = net(1);
        INDArray x = input(2, 3);
        INDArray lib = Explainer.of(n.graph()).precision(Precision.FLOAT64).forward(x).reshape(new long[]{3});
        assertThat(n.forward(x).toDoubleVector()).containsExactly(lib.toDoubleVector(), within(1e-9));
        assertThat(lib.minNumber().doubleValue()).isGreaterThan(0);
    }

    /** The demo's former hand-written input gradient, now the reference of {@link LibraryMethodsTest}. */
    @Test
    void inputGradientMatchesCentralDifferences() {
        PairNet n = net(3);
        INDArray x = input(4, 1);
        INDArray g = LibraryMethodsTest.handWrittenGradient(n, x);
        Random r = new Random(5);
        double h = 1e-6;
        for (int t = 0; t < 40; t++) {
            int k = r.nextInt(PairNet.IN);
            INDArray xp = x.dup();
            INDArray xm = x.dup();
            xp.putScalar(0, k, x.getDouble(0, k) + h);
            xm.putScalar(0, k, x.getDouble(0, k) - h);
            double fd = (n.forward(xp).getDouble(0) - n.forward(xm).getDouble(0)) / (2 * h);
            assertThat(g.getDouble(0, k)).as("pixel %d", k).isCloseTo(fd, within(1e-5 * Math.max(1, Math.abs(fd))));
        }
        assertThat(g.norm2Number().doubleValue()).isGreaterThan(0);
    }

    @Test
    void parameterGradientsOfTheLossMatchCentralDifferences() {
        PairNet n = net(6);
        INDArray x = input(7, 4);
        INDArray target = Nd4j.createFromArray(100.0, 0.0, 100.0, 0.0);
        PairNet.Pass p = n.pass(x);
        INDArray err = p.f().sub(target);
        PairNet.Grads g = n.backward(p, err.mul(2.0 / 4));
        INDArray[] params = {n.w1(), n.b1(), n.w2(), n.b2()};
        INDArray[] grads = {g.w1(), g.b1(), g.w2(), g.b2()};
        Random r = new Random(8);
        double h = 1e-6;
        for (int i = 0; i < 4; i++) {
            INDArray flat = params[i].reshape(new long[]{params[i].length()});
            INDArray gflat = grads[i].reshape(new long[]{grads[i].length()});
            for (int t = 0; t < 15; t++) {
                long k = r.nextInt((int) flat.length());
                double v = flat.getDouble(k);
                flat.putScalar(k, v + h);
                double lp = loss(n, x, target);
                flat.putScalar(k, v - h);
                double lm = loss(n, x, target);
                flat.putScalar(k, v);
                double fd = (lp - lm) / (2 * h);
                assertThat(gflat.getDouble(k)).as("param %d entry %d", i, k)
                        .isCloseTo(fd, within(1e-4 * Math.max(1, Math.abs(fd))));
            }
        }
    }

    static double loss(PairNet n, INDArray x, INDArray t) {
        INDArray e = n.forward(x).sub(t);
        return e.mul(e).meanNumber().doubleValue();
    }
}
