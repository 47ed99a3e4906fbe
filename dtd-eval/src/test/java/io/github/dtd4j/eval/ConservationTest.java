package io.github.dtd4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.rules.Presets;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ConservationTest {

    @Test
    void handComputedOnTheLinearToy() {
        // class 0: weights 1, 2, 0.5, 0 on the quadrants, bias 2; x = 1 except x(0,0) = −1
        Graph g = SelectivityTest.toy(2);
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        x.putScalar(new int[] {0, 0, 0, 0}, -1);
        Conservation.Result r = Conservation.of(g).withPrecision(Precision.FLOAT64)
                .evaluate(Methods.gradientInput(g).withPrecision(Precision.FLOAT64), x);
        // f = 4 − 2 + 8 + 2 + 0 + 2 = 14; Σ R = 12 (gradient×input misses the bias)
        assertThat(r.explained()).isEqualTo(1);
        assertThat(r.maxRelError()).isCloseTo(2 / 14.0, within(1e-12));
        assertThat(r.meanRatio()).isCloseTo(12 / 14.0, within(1e-12));
        // |R| sums to 1 + 3 + 8 + 2 = 14, of which 1 negative; 1 of 16 elements
        assertThat(r.negativeMass()).isCloseTo(1 / 14.0, within(1e-12));
        assertThat(r.negativeElements()).isCloseTo(1 / 16.0, within(1e-12));
        assertThat(r.minR()).isCloseTo(-1, within(1e-12));
        assertThat(r.conservative()).isFalse();
        assertThat(r.positive()).isFalse();
    }

    @Test
    void zPlusOnAReluNetWithoutBiasesIsConservativeAndPositive() {
        // DTD (w² on the input, z⁺ above) on a bias-free ReLU net: Σ R = f(x) and R ≥ 0 on non-negative inputs
        Graph g = Graph.sequential(1, 4, 4).flatten()
                .dense("d1", Nets.randn(1, 16, 8), null).relu()
                .dense("d2", Nets.randn(2, 8, 3), null).build();
        INDArray x = Nets.randn(3, 5, 1, 4, 4);
        x = org.nd4j.linalg.ops.transforms.Transforms.abs(x);
        Conservation.Result r = Conservation.of(g).withPrecision(Precision.FLOAT64).evaluate(
                Methods.lrp(Explainer.of(g).precision(Precision.FLOAT64).preset(Presets.dtdWSquare())), x);
        assertThat(r.explained()).isPositive();
        // (the engine's default stabilizer takes a little: the paper's Table 1 tolerance is 1e-3)
        assertThat(r.maxRelError()).isLessThan(1e-5);
        assertThat(r.conservative()).isTrue();
    }
}
