package io.github.dtd4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Selector;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.examples.CustomLayerExample.LeakyRelu;
import io.github.dtd4j.examples.CustomLayerExample.PassLeaky;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A layer kind and its rule from outside dtd-core, against loops written from the ε-rule's formula. */
class CustomLayerExampleTest {
    private static final double EPS = 0.01;

    private static double stab(double z) {
        return z + EPS * (z >= 0 ? 1 : -1);
    }

    @Test
    void aLayerKindAndARuleFromOutsideCoreExplainAsTheFormulaSays() {
        Graph net = CustomLayerExample.network(7);
        double[][] w1 = ((Dense) net.node("fc1").orElseThrow().layer()).weight().toDoubleMatrix();
        double[][] w2 = ((Dense) net.node("fc2").orElseThrow().layer()).weight().toDoubleMatrix();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 6).subi(0.5);
        Explainer ex = Explainer.of(net).precision(Precision.FLOAT64).rule(Rules.epsilon(EPS))
                .rule(Selector.kind(LeakyRelu.class), new PassLeaky());
        assertThat(ex.coverage().propagationOf("leaky")).isEqualTo("pass (leaky relu)");
        double[] xi = x.toDoubleVector();
        // forward by hand
        double[] z1 = new double[5];
        double[] a = new double[5];
        for (int j = 0; j < 5; j++) {
            for (int i = 0; i < 6; i++) {
                z1[j] += xi[i] * w1[i][j];
            }
            a[j] = z1[j] >= 0 ? z1[j] : 0.1 * z1[j];
        }
        double[] y = new double[3];
        int top = 0;
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 5; j++) {
                y[k] += a[j] * w2[j][k];
            }
            top = y[k] > y[top] ? k : top;
        }
        // ε on fc2 (only the top class carries relevance), pass through the leaky ReLU, ε on fc1
        double[] rA = new double[5];
        for (int j = 0; j < 5; j++) {
            rA[j] = a[j] * w2[j][top] / stab(y[top]) * y[top];
        }
        double[] rX = new double[6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 5; j++) {
                rX[i] += xi[i] * w1[i][j] / stab(z1[j]) * rA[j];
            }
        }
        try (Explanation e = ex.explain(x)) {
            assertThat(e.targets()[0]).isEqualTo(top);
            assertThat(e.logits().toDoubleVector()).containsExactly(y, within(1e-12));
            assertThat(e.inputRelevance().toDoubleVector()).containsExactly(rX, within(1e-12));
        }
    }

    @Test
    void withoutARuleTheCustomNodeIsListedWithTheOthers() {
        Graph net = CustomLayerExample.network(7);
        assertThatThrownBy(() -> Explainer.of(net).coverage()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'leaky' (LeakyRelu)").hasMessageContaining("'fc1' (Dense)")
                .hasMessageContaining("'fc2' (Dense)");
        CustomLayerExample.main(new String[0]);
    }

    @Test
    void aBadSlopeIsOurException() {
        assertThatThrownBy(() -> new LeakyRelu(1.5)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("slope");
    }
}
