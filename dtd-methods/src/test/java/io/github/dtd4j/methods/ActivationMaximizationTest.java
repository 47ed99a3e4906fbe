package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Activation maximization against the closed-form optimum of a linear classifier with an L2 penalty,
 * {@code x* = w_c / (2λ)}, in image space and through a linear generator ({@code z* = A w_c / (2λ)}); determinism
 * for a seed with jitter and blur on.
 */
class ActivationMaximizationTest {
    @Test
    void aLinearClassifierIsMaximisedByItsWeightsOverTwoLambda() {
        INDArray w = randn(1, 5, 3);
        INDArray b = randn(2, 3);
        Graph g = Graph.sequential(5).dense("fc", w, b).build();
        double lambda = 0.25;
        ActivationMaximization am = Methods.activationMaximization(g).withPrecision(Precision.FLOAT64).withL2(lambda)
                .withLearningRate(1.0).withSteps(60).withInitScale(1.0);
        Attributions a = am.maximize(0, 2);
        INDArray expected = Nd4j.vstack(w.getColumn(0).reshape(1, 5), w.getColumn(2).reshape(1, 5)).divi(2 * lambda);
        System.out.printf(java.util.Locale.ROOT, "activation maximization, linear: max |x - w_c/(2λ)| = %.3g%n",
                maxAbs(a.attribution().sub(expected)));
        assertThat(maxAbs(a.attribution().sub(expected))).isLessThan(1e-12);
        assertThat(a.targets()).containsExactly(0, 2);
        INDArray trajectory = a.extras().get("trajectory");
        assertThat(trajectory.shape()).containsExactly(2, 61);
        for (int i = 0; i < 2; i++) {
            int c = a.targets()[i];
            double best = expected.getRow(i).mul(w.getColumn(c)).sumNumber().doubleValue() + b.getDouble(c);
            assertThat(trajectory.getDouble(i, 60)).isCloseTo(best, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(trajectory.getDouble(i, 0)).isCloseTo(a.extras().get("start").getRow(i).mul(w.getColumn(c))
                    .sumNumber().doubleValue() + b.getDouble(c), org.assertj.core.data.Offset.offset(1e-12));
            for (int t = 1; t <= 60; t++) {
                assertThat(trajectory.getDouble(i, t)).isGreaterThanOrEqualTo(trajectory.getDouble(i, t - 1) - 1e-12);
            }
        }
        // from a given starting point, with one class for all
        INDArray x0 = randn(3, 1, 5);
        Attributions from = am.attribute(x0, 1);
        assertThat(maxAbs(from.attribution().sub(w.getColumn(1).reshape(1, 5).div(2 * lambda)))).isLessThan(1e-12);
        assertThat(from.extras().get("start")).isEqualTo(x0);
    }

    /** g(z) = reshape(z A) to [1,2,3], f(x) = flatten(x) W: z* = A w_c / (2λ), x* = g(z*). */
    @Test
    void inCodeSpaceALinearGeneratorGivesItsClosedFormOptimum() {
        INDArray a = randn(4, 4, 6).muli(0.5);
        INDArray w = randn(5, 6, 3);
        Graph generator = Graph.sequential(4).dense("g", a, null).then("img", new Reshape(Shape.of(1, 2, 3))).build();
        Graph classifier = Graph.sequential(1, 2, 3).then("flat", new Flatten()).then("fc", Dense.of(w, randn(6, 3)))
                .build();
        double lambda = 0.5;
        ActivationMaximization am = Methods.activationMaximization(classifier).withGenerator(generator)
                .withPrecision(Precision.FLOAT64).withL2(lambda).withLearningRate(0.5).withSteps(60);
        Attributions r = am.maximize(2);
        INDArray z = a.mmul(w.getColumn(2).reshape(6, 1)).reshape(1, 4).divi(2 * lambda);
        INDArray x = z.mmul(a).reshape(1, 1, 2, 3);
        System.out.printf(java.util.Locale.ROOT, "activation maximization, code space: max |z - z*| = %.3g, max |x - x*|"
                + " = %.3g%n", maxAbs(r.extras().get("code").sub(z)), maxAbs(r.attribution().sub(x)));
        assertThat(maxAbs(r.extras().get("code").sub(z))).isLessThan(1e-10);
        assertThat(maxAbs(r.attribution().sub(x))).isLessThan(1e-10);
        assertThat(r.attribution().shape()).containsExactly(1, 1, 2, 3);
        assertThat(r.logits().getDouble(0, 2)).isCloseTo(Explainer.of(classifier).precision(Precision.FLOAT64)
                .forward(x).getDouble(0, 2), org.assertj.core.data.Offset.offset(1e-10));
        assertThat(am.settings()).endsWith("generator");
    }

    private static Graph convClassifier() {
        return Graph.sequential(2, 6, 6).conv("c", Conv2d.of(randn(11, 3, 2, 3, 3), randn(12, 3)).withPadding(1))
                .relu().flatten().dense("fc", randn(13, 108, 4).muli(0.2), null).build();
    }

    @Test
    void aSeedGivesTheSameImageWithJitterAndBlur() {
        ActivationMaximization am = Methods.activationMaximization(convClassifier()).withPrecision(Precision.FLOAT64)
                .withSteps(12).withJitter(2, 1).withBlur(0.7, 4);
        Attributions a = am.withSeed(5).maximize(1, 3);
        Attributions b = am.withSeed(5).maximize(1, 3);
        Attributions c = am.withSeed(6).maximize(1, 3);
        assertThat(a.attribution()).isEqualTo(b.attribution());
        assertThat(a.extras().get("trajectory")).isEqualTo(b.extras().get("trajectory"));
        assertThat(a.attribution()).isNotEqualTo(c.attribution());
        assertThat(a.attribution().shape()).containsExactly(2, 2, 6, 6);
        assertThat(a.extras().get("trajectory").shape()).containsExactly(2, 13);
        // the ascent raises the logit
        INDArray t = a.extras().get("trajectory");
        assertThat(t.getDouble(0, 12)).isGreaterThan(t.getDouble(0, 0));
        assertThat(am.settings()).isEqualTo("steps=12, lr=0.1, l2=0.01, blur sigma=0.7 every 4, jitter 2px every 1,"
                + " seed=0");
    }

    @Test
    void jitterRollsBackAndBlurKeepsConstants() {
        INDArray x = randn(21, 2, 3, 5, 4);
        int[][] shifts = {{1, -2}, {-3, 7}};
        assertThat(ActivationMaximization.roll(ActivationMaximization.roll(x, shifts, 1), shifts, -1)).isEqualTo(x);
        INDArray rolled = ActivationMaximization.roll(x, shifts, 1);
        assertThat(rolled.getDouble(0, 1, 1, 0)).isEqualTo(x.getDouble(0, 1, 0, 2));
        INDArray constant = Nd4j.ones(D, 1, 2, 7, 7).muli(3);
        assertThat(maxAbs(ActivationMaximization.blur(constant, 1.3).sub(constant))).isLessThan(1e-14);
        // a point spreads symmetrically and keeps its mass away from the borders
        INDArray point = Nd4j.zeros(D, 1, 1, 15, 15);
        point.putScalar(new long[]{0, 0, 7, 7}, 1.0);
        INDArray blurred = ActivationMaximization.blur(point, 1.0);
        assertThat(blurred.sumNumber().doubleValue()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(blurred.getDouble(0, 0, 6, 7)).isCloseTo(blurred.getDouble(0, 0, 7, 8), org.assertj.core.data.Offset
                .offset(1e-15));
        assertThat(blurred.getDouble(0, 0, 7, 7)).isGreaterThan(blurred.getDouble(0, 0, 6, 7));
    }

    @Test
    void badSettingsAreRejected() {
        Graph dense = Graph.sequential(5).dense("fc", randn(1, 5, 3), null).build();
        assertThatThrownBy(() -> Methods.activationMaximization(dense).withBlur(1, 2))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("image input");
        Graph generator = Graph.sequential(4).dense("g", randn(2, 4, 7), null).build();
        assertThatThrownBy(() -> Methods.activationMaximization(dense).withGenerator(generator))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'g'").hasMessageContaining("[N,7]");
        Graph imageGenerator = Graph.sequential(4).dense("g", randn(2, 4, 72), null).then("img",
                new Reshape(Shape.of(2, 6, 6))).build();
        assertThatThrownBy(() -> Methods.activationMaximization(convClassifier()).withBlur(1, 2)
                .withGenerator(imageGenerator)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("code");
        assertThatThrownBy(() -> Methods.activationMaximization(dense).withSteps(-1))
                .hasMessageContaining("steps");
        assertThatThrownBy(() -> Methods.activationMaximization(dense).attribute(Nd4j.zeros(D, 1, 4)))
                .hasMessageContaining("expected [N,5]");
        assertThatThrownBy(() -> Methods.activationMaximization(dense).attribute(Nd4j.zeros(D, 1, 5),
                Start.relevance("fc", Nd4j.zeros(D, 1, 3)))).hasMessageContaining("intermediate node");
    }
}
