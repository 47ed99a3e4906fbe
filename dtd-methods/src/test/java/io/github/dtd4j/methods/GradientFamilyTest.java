package io.github.dtd4j.methods;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient family against references that can disagree: central finite differences of the forward pass, loops
 * written from the modified-ReLU rules, completeness of Integrated Gradients, SmoothGrad's σ = 0 limit, and LRP-0.
 */
class GradientFamilyTest {
    private static final DataType D = DataType.DOUBLE;

    private static INDArray randn(long seed, long... shape) {
        Random r = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return Nd4j.randn(r, shape).castTo(D);
    }

    /** conv → relu → max-pool → conv → relu → avg-pool → flatten → dense, with biases. */
    private static Graph convNet(boolean biases) {
        return Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3).muli(0.5), biases ? randn(2, 3).muli(0.1) : null)
                        .withPadding(1), "input")
                .add("r1", new io.github.dtd4j.graph.Relu(), "c1")
                .add("p1", MaxPool2d.of(2, 2), "r1")
                .add("c2", Conv2d.of(randn(3, 4, 3, 3, 3).muli(0.4), biases ? randn(4, 4).muli(0.1) : null)
                        .withPadding(1), "p1")
                .add("r2", new io.github.dtd4j.graph.Relu(), "c2")
                .add("p2", AvgPool2d.of(2, 2), "r2")
                .add("flat", new io.github.dtd4j.graph.Flatten(), "p2")
                .add("fc", Dense.of(randn(5, 16, 5).muli(0.5), biases ? randn(6, 5).muli(0.1) : null), "flat")
                .build();
    }

    private static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }

    @Test
    void gradientEqualsCentralFiniteDifferences() {
        Graph g = convNet(true);
        INDArray x = randn(9, 2, 2, 8, 8);
        GradientMethod m = Methods.gradient(g).withPrecision(Precision.FLOAT64);
        Attributions a = m.attribute(x, 3);
        Explainer fwd = Explainer.of(g).precision(Precision.FLOAT64);
        INDArray fd = Nd4j.zeros(D, x.shape());
        double h = 1e-6;
        for (long i = 0; i < x.length(); i++) {
            long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(x.shape(), i);
            INDArray xp = x.dup();
            xp.putScalar(idx, x.getDouble(idx) + h);
            INDArray xm = x.dup();
            xm.putScalar(idx, x.getDouble(idx) - h);
            double d = (fwd.forward(xp).getDouble(idx[0], 3) - fwd.forward(xm).getDouble(idx[0], 3)) / (2 * h);
            fd.putScalar(idx, d);
        }
        assertThat(maxAbs(a.attribution().sub(fd))).isLessThanOrEqualTo(1e-6 * maxAbs(fd));
        assertThat(a.targets()).containsExactly(3, 3);
        // the relatives: sensitivity is its square, gradient×input its product with the input
        INDArray gr = a.attribution();
        assertThat(maxAbs(Methods.sensitivity(g).withPrecision(Precision.FLOAT64).attribute(x, 3).attribution()
                .sub(gr.mul(gr)))).isLessThan(1e-15 * Math.max(1, maxAbs(gr.mul(gr))));
        assertThat(maxAbs(Methods.gradientInput(g).withPrecision(Precision.FLOAT64).attribute(x, 3).attribution()
                .sub(gr.mul(x)))).isLessThan(1e-15 * Math.max(1, maxAbs(gr.mul(x))));
    }

    @Test
    void gradientTimesInputEqualsLrp0WithoutBiases() {
        Graph g = convNet(false);
        INDArray x = randn(11, 3, 2, 8, 8);
        INDArray gi = Methods.gradientInput(g).withPrecision(Precision.FLOAT64).attribute(x, 1).attribution();
        INDArray lrp = Methods.lrp(Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.LRP_0))
                .attribute(x, 1).attribution();
        // LRP-0 starts from R = f(x) = y·∂f/∂y at the output; on a bias-free ReLU network R_i = x_i ∂f/∂x_i below
        assertThat(maxAbs(gi.sub(lrp))).isLessThanOrEqualTo(1e-5 * maxAbs(lrp));
    }

    /** y = W3 relu(W2 relu(W1 x)): the modified-ReLU backward passes written as loops. */
    @Test
    void guidedBackpropAndDeconvnetEqualLoopsOverTheirReluRules() {
        INDArray w1 = randn(21, 6, 7);
        INDArray w2 = randn(22, 7, 5);
        INDArray w3 = randn(23, 5, 4);
        Graph g = Graph.sequential(6).dense("l1", w1, null).relu().dense("l2", w2, null).relu().dense("l3", w3, null)
                .build();
        INDArray x = randn(24, 1, 6);
        double[] xi = x.toDoubleVector();
        double[][] m1 = w1.toDoubleMatrix();
        double[][] m2 = w2.toDoubleMatrix();
        double[][] m3 = w3.toDoubleMatrix();
        double[] z1 = new double[7];
        for (int j = 0; j < 7; j++) {
            for (int i = 0; i < 6; i++) {
                z1[j] += xi[i] * m1[i][j];
            }
        }
        double[] z2 = new double[5];
        for (int k = 0; k < 5; k++) {
            for (int j = 0; j < 7; j++) {
                z2[k] += Math.max(0, z1[j]) * m2[j][k];
            }
        }
        int c = 2;
        for (boolean guided : new boolean[]{true, false}) {
            double[] g2 = new double[5];
            for (int k = 0; k < 5; k++) {
                double up = m3[k][c];
                g2[k] = guided ? Math.max(0, z2[k] > 0 ? up : 0) : Math.max(0, up);
            }
            double[] g1 = new double[7];
            for (int j = 0; j < 7; j++) {
                double up = 0;
                for (int k = 0; k < 5; k++) {
                    up += m2[j][k] * g2[k];
                }
                g1[j] = guided ? Math.max(0, z1[j] > 0 ? up : 0) : Math.max(0, up);
            }
            double[] g0 = new double[6];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 7; j++) {
                    g0[i] += m1[i][j] * g1[j];
                }
            }
            GradientMethod m = (guided ? Methods.guidedBackprop(g) : Methods.deconvnet(g))
                    .withPrecision(Precision.FLOAT64);
            assertThat(m.attribute(x, c).attribution().toDoubleVector()).as(m.name())
                    .containsExactly(g0, org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void integratedGradientsIsCompleteUpToTheQuadratureError() {
        Graph g = convNet(true);
        INDArray x = randn(31, 2, 2, 8, 8);
        IntegratedGradients coarse = Methods.integratedGradients(g).withPrecision(Precision.FLOAT64).withSteps(4);
        IntegratedGradients fine = coarse.withSteps(128);
        double[] dc = coarse.attribute(x).convergenceDelta().orElseThrow();
        double[] df = fine.attribute(x).convergenceDelta().orElseThrow();
        INDArray fx = Explainer.of(g).precision(Precision.FLOAT64).forward(x);
        for (int i = 0; i < 2; i++) {
            double scale = Math.abs(fx.getRow(i).maxNumber().doubleValue()) + 1;
            assertThat(Math.abs(df[i])).isLessThan(2e-3 * scale);
            assertThat(Math.abs(df[i])).isLessThanOrEqualTo(Math.abs(dc[i]) + 1e-12);
        }
        // the steps run in chunks: the chunk size changes nothing
        INDArray one = fine.withSteps(16).attribute(x).attribution();
        INDArray chunked = fine.withSteps(16).withInternalBatchSize(3).attribute(x).attribution();
        assertThat(maxAbs(one.sub(chunked))).isLessThan(1e-12 * maxAbs(one));
    }

    @Test
    void integratedGradientsOfALinearModelIsExactForEveryQuadrature() {
        INDArray w = randn(41, 6, 3);
        Graph g = Graph.sequential(6).dense("fc", w, null).build();
        INDArray x = randn(42, 2, 6);
        for (Quadrature q : Quadrature.values()) {
            Attributions a = Methods.integratedGradients(g).withPrecision(Precision.FLOAT64).withQuadrature(q)
                    .withSteps(7).attribute(x, 1);
            INDArray expected = x.mulRowVector(w.getColumn(1).reshape(1, 6));
            assertThat(maxAbs(a.attribution().sub(expected))).as(q.name()).isLessThan(1e-12);
            for (double d : a.convergenceDelta().orElseThrow()) {
                assertThat(Math.abs(d)).as(q.name()).isLessThan(1e-12);
            }
        }
    }

    @Test
    void gaussLegendreNodesIntegratePolynomialsExactly() {
        for (int n : new int[]{1, 2, 5, 50}) {
            double[][] p = Quadrature.GAUSS_LEGENDRE.points(n);
            for (int deg = 0; deg <= 2 * n - 1; deg++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += p[1][k] * Math.pow(p[0][k], deg);
                }
                assertThat(sum).as("n=%d, x^%d", n, deg).isCloseTo(1.0 / (deg + 1), org.assertj.core.data.Offset
                        .offset(1e-12));
            }
        }
    }

    @Test
    void smoothGradWithoutNoiseIsTheGradientAndASeedIsReproducible() {
        Graph g = convNet(true);
        INDArray x = randn(51, 2, 2, 8, 8);
        INDArray grad = Methods.gradient(g).withPrecision(Precision.FLOAT64).attribute(x).attribution();
        SmoothGrad sg = Methods.smoothGrad(g).withPrecision(Precision.FLOAT64).withSamples(4);
        assertThat(maxAbs(sg.withNoise(0).attribute(x).attribution().sub(grad))).isLessThan(1e-12 * maxAbs(grad));
        INDArray a = sg.withSeed(3).attribute(x).attribution();
        INDArray b = sg.withSeed(3).attribute(x).attribution();
        INDArray c = sg.withSeed(4).attribute(x).attribution();
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
        INDArray var = sg.withVariant(SmoothGrad.Variant.VARGRAD).attribute(x).attribution();
        assertThat(var.minNumber().doubleValue()).isGreaterThanOrEqualTo(-1e-12);
    }

    @Test
    void badInputsAreRejectedAsTheExplainerRejectsThem() {
        Graph g = convNet(true);
        assertThatThrownBy(() -> Methods.gradient(g).attribute(Nd4j.zeros(D, 1, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected [N,2,8,8]");
        assertThatThrownBy(() -> Methods.integratedGradients(g).attribute(Nd4j.zeros(D, 1, 2, 8, 8), 9))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("class 9");
        assertThatThrownBy(() -> Methods.integratedGradients(g).withBaseline(Nd4j.zeros(D, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("baseline");
        INDArray nan = Nd4j.zeros(D, 1, 2, 8, 8);
        nan.putScalar(0, Double.NaN);
        assertThatThrownBy(() -> Methods.smoothGrad(g).attribute(nan)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> Methods.integratedGradients(g).attribute(Nd4j.zeros(D, 1, 2, 8, 8),
                Start.relevance("c1", Nd4j.zeros(D, 1, 3, 8, 8)))).hasMessageContaining("intermediate node");
    }
}
