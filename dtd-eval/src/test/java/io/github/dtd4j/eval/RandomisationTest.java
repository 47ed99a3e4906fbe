package io.github.dtd4j.eval;

import static io.github.dtd4j.eval.Nets.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Methods;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class RandomisationTest {

    @Test
    void spearmanByHand() {
        assertThat(Randomisation.ranks(new double[] {10, 20, 20, 5})).containsExactly(2, 3.5, 3.5, 1);
        // no ties: 1 − 6 Σd² / (n(n² − 1)) with d = (−1, 1, −1, 1, 0): 1 − 24/120
        assertThat(Randomisation.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5}))
                .isCloseTo(0.8, within(1e-15));
        assertThat(Randomisation.spearman(new double[] {1, 2, 3}, new double[] {1, 8, 27})).isCloseTo(1, within(1e-15));
        assertThat(Randomisation.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1})).isCloseTo(-1, within(1e-15));
        // ties: ranks (1, 2.5, 2.5, 4) and (1, 2, 3, 4): Pearson = 4.5 / √(4.5·5)
        assertThat(Randomisation.spearman(new double[] {0, 1, 1, 2}, new double[] {0, 1, 2, 3}))
                .isCloseTo(4.5 / Math.sqrt(4.5 * 5), within(1e-15));
        assertThat(Randomisation.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})).isZero();
    }

    @Test
    void stagesDestroyTheTopLayersFirstAndLeaveTheRest() {
        Graph g = Nets.cnn(101);
        Randomisation r = Randomisation.of(g).withSeed(4);
        assertThat(r.layers()).containsExactly("fc2", "fc1", "c1");
        assertThat(r.randomised(0)).isSameAs(g);
        Graph two = r.randomised(2);
        for (Node n : g.nodes()) {
            List<INDArray> before = Graph.parameters(n.layer());
            List<INDArray> after = Graph.parameters(two.node(n.name()).orElseThrow().layer());
            for (int i = 0; i < before.size(); i++) {
                boolean changed = !before.get(i).equalsWithEps(after.get(i), 0);
                assertThat(changed).as(n.name() + " tensor " + i)
                        .isEqualTo(n.name().equals("fc2") || n.name().equals("fc1"));
                if (changed) {
                    // the same mean and standard deviation, up to sampling
                    assertThat(after.get(i).stdNumber().doubleValue())
                            .isCloseTo(before.get(i).stdNumber().doubleValue(),
                                    within(0.5 * before.get(i).stdNumber().doubleValue() + 1e-12));
                }
            }
        }
        // seeded: the same draw twice, another seed another draw
        assertThat(Graph.parameters(r.randomised(1).node("fc2").orElseThrow().layer()).get(0))
                .isEqualTo(Graph.parameters(two.node("fc2").orElseThrow().layer()).get(0));
        assertThat(Graph.parameters(r.withSeed(5).randomised(1).node("fc2").orElseThrow().layer()).get(0))
                .isNotEqualTo(Graph.parameters(two.node("fc2").orElseThrow().layer()).get(0));
    }

    @Test
    void tellsTheGradientFromAnExplanationThatIgnoresTheModel() {
        Graph g = Nets.cnn(111);
        INDArray x = randn(112, 6, 2, 8, 8);
        Randomisation check = Randomisation.of(g).withPrecision(Precision.FLOAT64).withSeed(1);
        Randomisation.Result grad = check.evaluate(m -> Methods.gradient(m).withPrecision(Precision.FLOAT64), x);
        Randomisation.Result input = check.evaluate(m -> Nets.inputItself(), x);
        assertThat(grad.stages()).containsExactly("(trained)", "fc2", "fc1", "c1");
        assertThat(grad.spearman()[0]).isCloseTo(1, within(1e-12));
        assertThat(input.spearman()).containsExactly(new double[] {1, 1, 1, 1}, within(1e-12));
        assertThat(grad.last()).isLessThan(0.5);
        // batch size does not change the numbers
        assertThat(check.withBatchSize(1).evaluate(m -> Methods.gradient(m).withPrecision(Precision.FLOAT64), x)
                .spearman()).containsExactly(grad.spearman(), within(1e-12));
    }

    @Test
    void badSettingsAreClearErrors() {
        Graph g = Nets.cnn(121);
        assertThatThrownBy(() -> Randomisation.of(g).randomised(4)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("between 0 and 3");
        assertThatThrownBy(() -> Randomisation.of(g).evaluate(null, randn(1, 1, 2, 8, 8)))
                .isInstanceOf(ConfigurationException.class);
    }
}
