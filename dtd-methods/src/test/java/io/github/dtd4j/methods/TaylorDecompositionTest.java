package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Simple Taylor decomposition at a root: the root is one (|f(x̃)| below the tolerance, checked by a forward pass of
 * its own), the attribution is the gradient at the root (from {@link GradientMethod}) times x − x̃, a linear model
 * has the closed form, and searches that cannot succeed say why.
 */
class TaylorDecompositionTest {

    /** A piecewise-linear network: dense → relu → dense → relu → dense, with biases, logits not clipped. */
    private static Graph reluNet() {
        return Graph.sequential(8).dense("l1", randn(1, 8, 12), randn(2, 12).muli(0.1)).relu()
                .dense("l2", randn(3, 12, 10).muli(0.5), randn(4, 10).muli(0.1)).relu()
                .dense("l3", randn(5, 10, 3).muli(0.5), randn(6, 3).muli(0.1)).build();
    }

    @Test
    void onAPiecewiseLinearNetworkTheRootIsARootAndTheResultIsReproducible() {
        Graph g = reluNet();
        INDArray x = randn(7, 5, 8);
        TaylorDecomposition t = Methods.taylor(g).withPrecision(Precision.FLOAT64);
        Attributions a = t.attribute(x, 1);
        Explainer fwd = Explainer.of(g).precision(Precision.FLOAT64);
        INDArray root = a.extras().get("root");
        INDArray fRoot = fwd.forward(root).getColumn(1);
        INDArray fx = fwd.forward(x).getColumn(1);
        for (int i = 0; i < 5; i++) {
            assertThat(Math.abs(fRoot.getDouble(i))).as("element %d", i).isLessThan(1e-3 * Math.abs(fx.getDouble(i)));
            assertThat(a.extras().get("root-output").getDouble(i)).isCloseTo(fRoot.getDouble(i), Offset.offset(1e-12));
            assertThat(a.extras().get("steps").getDouble(i)).isGreaterThanOrEqualTo(1);
        }
        INDArray gradAtRoot = Methods.gradient(g).withPrecision(Precision.FLOAT64).attribute(root, 1).attribution();
        INDArray expected = gradAtRoot.mul(x.sub(root));
        assertThat(maxAbs(a.attribution().sub(expected))).isLessThan(1e-12 * (1 + maxAbs(expected)));
        double[] delta = a.convergenceDelta().orElseThrow();
        for (int i = 0; i < 5; i++) {
            double sum = a.attribution().getRow(i).sumNumber().doubleValue();
            assertThat(delta[i]).isCloseTo(sum - fx.getDouble(i), Offset.offset(1e-12));
        }
        // the same input gives the same root and attribution, bit for bit, and one element alone the same as in
        // the batch (up to the batched matrix products' rounding)
        Attributions again = t.attribute(x, 1);
        assertThat(again.attribution()).isEqualTo(a.attribution());
        assertThat(again.extras().get("root")).isEqualTo(root);
        INDArray third = t.attribute(x.getRow(2, true), 1).attribution();
        assertThat(maxAbs(third.sub(a.attribution().getRow(2, true)))).isLessThan(1e-9 * (1 + maxAbs(third)));
    }

    @Test
    void aLinearModelIsDecomposedExactlyInOneStep() {
        INDArray w = randn(11, 6, 2);
        INDArray b = randn(12, 2);
        Graph g = Graph.sequential(6).dense("fc", w, b).build();
        INDArray x = randn(13, 3, 6);
        Attributions a = Methods.taylor(g).withPrecision(Precision.FLOAT64).attribute(x, 0);
        INDArray wc = w.getColumn(0).reshape(1, 6);
        double ww = wc.mul(wc).sumNumber().doubleValue();
        INDArray f = x.mmul(w.getColumn(0).reshape(6, 1)).addi(b.getDouble(0));
        // x̃ = x − w f/‖w‖², R_i = w_i² f/‖w‖²: the whole f(x), nothing dissipated
        INDArray expected = wc.mul(wc).broadcast(3, 6).mulColumnVector(f).divi(ww);
        assertThat(maxAbs(a.attribution().sub(expected))).isLessThan(1e-12 * (1 + maxAbs(expected)));
        for (double d : a.convergenceDelta().orElseThrow()) {
            assertThat(Math.abs(d)).isLessThan(1e-12);
        }
        assertThat(a.extras().get("steps").toDoubleVector()).containsOnly(1.0);
    }

    @Test
    void aBoxKeepsTheRootInsideAndAZeroOutputIsItsOwnRoot() {
        Graph g = reluNet();
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(21), 4, 8).castTo(D);
        Attributions a = Methods.taylor(g).withPrecision(Precision.FLOAT64).withBox(-1, 2).withMaxSteps(500)
                .attribute(x, 0);
        INDArray root = a.extras().get("root");
        assertThat(root.minNumber().doubleValue()).isGreaterThanOrEqualTo(-1);
        assertThat(root.maxNumber().doubleValue()).isLessThanOrEqualTo(2);
        // f = relu(z): an input where f(x) = 0 explains nothing
        Graph clipped = Graph.sequential(2).dense("fc", Nd4j.createFromArray(new double[][]{{1}, {1}}),
                Nd4j.createFromArray(-10.0)).relu().build();
        Attributions zero = Methods.taylor(clipped).withPrecision(Precision.FLOAT64)
                .attribute(Nd4j.createFromArray(new double[][]{{1, 2}}), 0);
        assertThat(zero.attribution().toDoubleVector()).containsOnly(0.0);
        assertThat(zero.extras().get("steps").toDoubleVector()).containsOnly(0.0);
    }

    @Test
    void searchesWithoutARootAndBadSettingsSayWhy() {
        // f = Σ relu(z) + 1 ≥ 1: no root; the steps run into the region where every ReLU is off
        Graph noRoot = Graph.sequential(4).dense("l1", randn(31, 4, 3), null).relu()
                .dense("l2", Nd4j.ones(D, 3, 1), Nd4j.createFromArray(1.0)).build();
        INDArray x = Nd4j.createFromArray(new double[][]{{1, 2, 3, 4}, {0.5, -1, 2, 1}});
        INDArray fx = Explainer.of(noRoot).precision(Precision.FLOAT64).forward(x);
        assertThat(fx.minNumber().doubleValue()).isGreaterThan(1);
        TaylorDecomposition t = Methods.taylor(noRoot).withPrecision(Precision.FLOAT64);
        assertThatThrownBy(() -> t.attribute(x, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("taylor: no root for batch element 0: the gradient vanished after")
                .hasMessageContaining("the output is flat there");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).withPrecision(Precision.FLOAT64).withMaxSteps(1)
                .attribute(randn(7, 5, 8), 1)).isInstanceOf(InvalidInputException.class)
                .hasMessageMatching("taylor: no root for batch element \\d \\(and \\d more\\) within 1 steps: .*");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).withLevel(0.2).attribute(randn(7, 5, 8)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("tolerance must be above |level|").hasMessageContaining("tolerance 0.001, level 0.2");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).withTolerance(1)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("tolerance must be in (0, 1)");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).withBox(1, 1)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("box [1.0, 1.0] is empty");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).withMaxSteps(0)).isInstanceOf(ConfigurationException.class);
        INDArray nan = Nd4j.zeros(D, 1, 8);
        nan.putScalar(3, Double.NaN);
        assertThatThrownBy(() -> Methods.taylor(reluNet()).attribute(nan)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> Methods.taylor(reluNet()).attribute(Nd4j.zeros(D, 1, 7)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected [N,8]");
    }
}
