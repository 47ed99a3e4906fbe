package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The demo's sensitivity analysis and nearest-root Taylor decomposition come from dtd-methods
 * ({@code Methods.sensitivity}, {@code Methods.taylor}); before that the demo computed them with the network's own
 * hand-written backward pass and root search. That code is kept here, as it was, as the reference: on the shipped
 * network and sample the library gives the same relevances up to float rounding, and the same Table 1 numbers.
 */
class LibraryMethodsTest {
    static PairNet net;
    static INDArray x;

    @BeforeAll
    static void load() {
        net = PaperDemo.shippedNet().castTo(DataType.DOUBLE);
        x = PaperDemo.shippedSample().input(DataType.DOUBLE);
    }

    /** The demo's former {@code PairNet.gradient}: ∂f/∂x back-propagated by hand through the pooled ReLU layers. */
    static INDArray handWrittenGradient(PairNet n, INDArray x) {
        PairNet.Pass p = n.pass(x);
        DataType t = n.w1().dataType();
        INDArray dz2 = p.z2().gt(0).castTo(t);
        INDArray dp1 = dz2.mmul(n.w2().transpose());
        INDArray dz1 = dp1.mmul(PairNet.pooling(t).transpose()).muli(p.z1().gt(0).castTo(t));
        return dz1.mmul(n.w1().transpose());
    }

    /** The demo's former root search, {@code Heatmapping.root}: projections onto f = 0.05·f(x) inside the box. */
    static INDArray handWrittenRoot(PairNet n, INDArray x) {
        double f0 = n.forward(x).getDouble(0);
        if (!(f0 > 0)) {
            return null;
        }
        INDArray xt = x.dup();
        for (int it = 0; it < Heatmapping.ROOT_ITERATIONS; it++) {
            double f = n.forward(xt).getDouble(0);
            if (f < 0.1 * f0) {
                return xt;
            }
            INDArray g = handWrittenGradient(n, xt);
            double gg = g.mul(g).sumNumber().doubleValue();
            if (gg == 0) {
                return null;
            }
            xt = Transforms.min(Transforms.max(xt.sub(g.mul((f - 0.05 * f0) / gg)), -0.5, false), 1.5, false);
        }
        return null;
    }

    /** The demo's former Taylor relevance: ∇f(x̃) ⊙ (x − x̃) per sample, 0 where no root. */
    static INDArray handWrittenTaylor(PairNet n, INDArray xs) {
        INDArray r = Nd4j.zeros(DataType.DOUBLE, xs.shape());
        for (int i = 0; i < xs.size(0); i++) {
            INDArray xi = xs.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all()).dup();
            INDArray root = handWrittenRoot(n, xi);
            if (root != null) {
                r.putRow(i, handWrittenGradient(n, root).mul(xi.sub(root)).reshape(new long[]{xi.length()}));
            }
        }
        return r;
    }

    static double relativeDifference(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue() / b.amaxNumber().doubleValue();
    }

    @Test
    void sensitivityIsTheHandWrittenOneUpToRounding() {
        INDArray g = handWrittenGradient(net, x);
        INDArray reference = g.mul(g);
        INDArray library = Heatmapping.SENSITIVITY.relevance(net, x);
        double d = relativeDifference(library, reference);
        System.out.println("sensitivity, library vs hand-written: max |difference| / max |R| = " + d);
        assertThat(d).isLessThan(1e-12);
        sameTableRow(Heatmapping.SENSITIVITY, library, reference);
    }

    @Test
    void taylorIsTheHandWrittenOneUpToRounding() {
        INDArray reference = handWrittenTaylor(net, x);
        INDArray library = Heatmapping.TAYLOR.relevance(net, x);
        double d = relativeDifference(library, reference);
        System.out.println("taylor, library vs hand-written: max |difference| / max |R| = " + d);
        assertThat(d).isLessThan(1e-9);
        sameTableRow(Heatmapping.TAYLOR, library, reference);
        // the roots are the same and every pair with f(x) > 0 has one
        INDArray roots = Heatmapping.taylor(net).attribute(x, 0).extras().get("root");
        double[] f = net.forward(x).toDoubleVector();
        for (int i = 0; i < f.length; i++) {
            INDArray xi = x.getRow(i, true).dup();
            INDArray root = handWrittenRoot(net, xi);
            if (f[i] > 0) {
                assertThat(root).as("pair %d", i).isNotNull();
                assertThat(roots.getRow(i, true).sub(root).amaxNumber().doubleValue()).as("pair %d", i)
                        .isLessThan(1e-9);
            }
        }
    }

    /** Table 1's numbers of both relevances agree to 10⁻¹⁰ relative (the counts exactly). */
    static void sameTableRow(Heatmapping m, INDArray library, INDArray reference) {
        double[] f = net.forward(x).toDoubleVector();
        PaperDemo.Row a = PaperDemo.row(m, f, library.toDoubleMatrix(), 0);
        PaperDemo.Row b = PaperDemo.row(m, f, reference.toDoubleMatrix(), 0);
        assertThat(a.explained()).isEqualTo(b.explained());
        double[] va = {a.maxRelError(), a.medianRelError(), a.meanRatio(), a.minR(), a.negativeFraction()};
        double[] vb = {b.maxRelError(), b.medianRelError(), b.meanRatio(), b.minR(), b.negativeFraction()};
        for (int k = 0; k < va.length; k++) {
            assertThat(va[k]).as("%s, number %d", m, k).isCloseTo(vb[k],
                    org.assertj.core.api.Assertions.within(1e-10 * Math.max(1, Math.abs(vb[k]))));
        }
        assertThat(a.negativePixels()).isEqualTo(b.negativePixels());
        assertThat(a.conservative()).isEqualTo(b.conservative());
        assertThat(a.positive()).isEqualTo(b.positive());
    }
}
