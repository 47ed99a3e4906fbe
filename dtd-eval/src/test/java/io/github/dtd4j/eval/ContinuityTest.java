package io.github.dtd4j.eval;

import static io.github.dtd4j.eval.Nets.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ContinuityTest {

    /** The tutorial's §5.1 network: f(x) = (relu(x1 − x2) + relu(x2 − x1) + relu(x1 + x2)) / 2 = max(x1, x2). */
    private static Graph maxNet() {
        INDArray w1 = Nd4j.create(new double[] {1, -1, 1, -1, 1, 1}, new long[] {2, 3}, 'c');
        INDArray w2 = Nd4j.create(new double[] {0.5, 0.5, 0.5}, new long[] {3, 1}, 'c');
        return Graph.builder(Shape.of(1, 1, 2)).add("flat", new Flatten(), "input")
                .add("h", Dense.of(w1, null), "flat").add("r", new Relu(), "h")
                .add("out", Dense.of(w2, null), "r").build();
    }

    @Test
    void sensitivityJumpsOnTheTutorialsMaxNetwork() {
        // x = (3, 1), shifts −1, 0, +1: (1, 0), (3, 1), (0, 3); the gradient is (1,0), (1,0), (0,1)
        INDArray x = Nd4j.create(new double[] {3, 1}, new long[] {1, 1, 1, 2}, 'c');
        Graph g = maxNet();
        Continuity.Result r = Continuity.of(g).withPrecision(Precision.FLOAT64).withTranslations(1)
                .evaluate(Methods.gradient(g).withPrecision(Precision.FLOAT64), x);
        // pairs: (−1,0): 0/√5; (0,+1): 2/√13; (−1,+1): 2/√10, the largest
        assertThat(r.mean()).isCloseTo(2 / Math.sqrt(10), within(1e-12));
        assertThat(r.steps()).containsExactly(-1, 0, 1);
        assertThat(r.heatmaps()[0][2]).containsExactly(0, 1);
        // gradient×input = (x1, 0) or (0, x2): (1,0), (3,0), (0,3); the largest is (0,+1): 6/√13 vs (−1,+1) 4/√10
        Continuity.Result t = Continuity.of(g).withPrecision(Precision.FLOAT64).withTranslations(1)
                .evaluate(Methods.gradientInput(g).withPrecision(Precision.FLOAT64), x);
        assertThat(t.mean()).isCloseTo(Math.max(Math.max(2 / Math.sqrt(5), 6 / Math.sqrt(13)), 4 / Math.sqrt(10)),
                within(1e-12));
    }

    /** The slow reference: one input at a time, every pair. */
    private static double loop(Graph g, Attribution m, double[][] seq, int target, long[] shape) {
        double[][] r = new double[seq.length][];
        for (int i = 0; i < seq.length; i++) {
            INDArray a = m.attribute(Nd4j.create(seq[i], shape, 'c'), Start.classes(target)).attribution();
            r[i] = a.reshape(a.length()).toDoubleVector();
        }
        double best = 0;
        for (int i = 0; i < seq.length; i++) {
            for (int j = 0; j < seq.length; j++) {
                double dx = 0;
                double dr = 0;
                for (int k = 0; k < seq[i].length; k++) {
                    dx += (seq[i][k] - seq[j][k]) * (seq[i][k] - seq[j][k]);
                }
                for (int k = 0; k < r[i].length; k++) {
                    dr += Math.abs(r[i][k] - r[j][k]);
                }
                if (i != j && dx > 0) {
                    best = Math.max(best, dr / Math.sqrt(dx));
                }
            }
        }
        return best;
    }

    @Test
    void equalsAnIndependentLoopOnARandomCnnInFloat64() {
        Graph g = Nets.cnn(81);
        INDArray x = randn(82, 2, 2, 8, 8);
        Attribution m = Methods.gradientInput(g).withPrecision(Precision.FLOAT64);
        Continuity.Result r = Continuity.of(g).withPrecision(Precision.FLOAT64).withTranslations(2).withBatchSize(3)
                .evaluate(m, x);
        for (int i = 0; i < 2; i++) {
            double[] img = Nets.image(x, i);
            double[][] seq = new double[5][img.length];
            for (int s = -2; s <= 2; s++) {
                for (int c = 0; c < 2; c++) {
                    for (int y = 0; y < 8; y++) {
                        for (int xx = 0; xx < 8; xx++) {
                            int src = xx - s;
                            seq[s + 2][c * 64 + y * 8 + xx] = src >= 0 && src < 8 ? img[c * 64 + y * 8 + src] : 0;
                        }
                    }
                }
            }
            int target = Nets.argmax(Nets.logits(g, img));
            assertThat(r.perImage()[i]).isCloseTo(loop(g, m, seq, target, new long[] {1, 2, 8, 8}), within(1e-9));
        }
    }

    @Test
    void noiseIsSeededAndStartsFromTheImage() {
        Graph g = Nets.cnn(91);
        INDArray x = randn(92, 2, 2, 8, 8);
        Attribution m = Methods.gradient(g).withPrecision(Precision.FLOAT64);
        Continuity c = Continuity.of(g).withPrecision(Precision.FLOAT64).withNoise(0.05, 4, 3);
        Continuity.Result a = c.evaluate(m, x);
        Continuity.Result b = c.withBatchSize(1).evaluate(m, x);
        assertThat(b.perImage()).containsExactly(a.perImage(), within(1e-12));
        assertThat(c.withNoise(0.05, 4, 4).evaluate(m, x).perImage()).isNotEqualTo(a.perImage());
        assertThat(a.steps()).containsExactly(0, 1, 2, 3, 4);
        double[] first = a.heatmaps()[1][0];
        INDArray g0 = m.attribute(x, a.targets()).attribution().sum(1);
        for (int p = 0; p < 64; p++) {
            assertThat(first[p]).isCloseTo(g0.getDouble(1, p / 8, p % 8), within(1e-12));
        }
    }

    @Test
    void badSettingsAreClearErrors() {
        Graph g = Nets.cnn(93);
        assertThatThrownBy(() -> Continuity.of(g).withTranslations(8)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("between 1 and 7");
        assertThatThrownBy(() -> Continuity.of(g).withNoise(-1, 3, 0)).isInstanceOf(ConfigurationException.class);
    }
}
