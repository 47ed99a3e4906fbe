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
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SelectivityTest {

    /** The linear toy of RegionPerturbationTest: class 0 weighs the 2×2 quadrants 1, 2, 0.5, 0. */
    static Graph toy(double bias0) {
        double[] w = new double[32];
        double[] perQuadrant = {1, 2, 0.5, 0};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                w[(y * 4 + x) * 2] = perQuadrant[(y / 2) * 2 + x / 2];
            }
        }
        return Graph.builder(Shape.of(1, 4, 4)).add("flat", new Flatten(), "input")
                .add("fc", Dense.of(Nd4j.create(w, new long[] {16, 2}, 'c'),
                        Nd4j.create(new double[] {bias0, 1}, new long[] {2}, 'c')), "flat").build();
    }

    @Test
    void handComputedOnALinearToy() {
        // gradient×input = the weights on an image of ones; removed pixels (0) get relevance 0
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        Graph g = toy(0);
        Selectivity.Result r = Selectivity.of(g).withPrecision(Precision.FLOAT64).withPatch(2).withSteps(4)
                .evaluate(Methods.gradientInput(g).withPrecision(Precision.FLOAT64), x);
        // step 1: the window at (0,2) sums 8 → f = 6; step 2: of the windows clear of it, (0,0) sums 4 → f = 2;
        // step 3: only windows on rows 2-3 are left: (2,0) sums 2 → f = 0; step 4: (2,2), sum 0 → f = 0
        assertThat(r.curve()).containsExactly(new double[] {14, 6, 2, 0, 0}, within(1e-12));
        assertThat(r.windows()[0]).containsExactly(2, 0, 8, 10);
        assertThat(r.auc()).isCloseTo(22 / 5.0, within(1e-12));
    }

    /** The slow reference: one image at a time, every window's sum and clearance checked pixel by pixel. */
    private static double[] loop(Graph g, Attribution method, double[] image, int c, int h, int w, int p, int steps,
                                 double fill) {
        double[] cur = image.clone();
        boolean[] removed = new boolean[h * w];
        int target = Nets.argmax(Nets.logits(g, image));
        double[] curve = new double[steps + 1];
        for (int k = 0; k <= steps; k++) {
            curve[k] = Nets.logits(g, cur)[target];
            if (k == steps) {
                break;
            }
            INDArray a = method.attribute(Nd4j.create(cur, new long[] {1, c, h, w}, 'c'), Start.classes(target))
                    .attribution();
            int by = -1;
            int bx = -1;
            double best = 0;
            for (int y = 0; y + p <= h; y++) {
                for (int x = 0; x + p <= w; x++) {
                    boolean clear = true;
                    double s = 0;
                    for (int yy = y; yy < y + p; yy++) {
                        for (int xx = x; xx < x + p; xx++) {
                            clear &= !removed[yy * w + xx];
                            for (int ch = 0; ch < a.size(1); ch++) {
                                s += a.getDouble(0, ch, yy, xx);
                            }
                        }
                    }
                    if (clear && (by < 0 || s > best)) {
                        by = y;
                        bx = x;
                        best = s;
                    }
                }
            }
            for (int yy = by; yy < by + p; yy++) {
                for (int xx = bx; xx < bx + p; xx++) {
                    removed[yy * w + xx] = true;
                    for (int ch = 0; ch < c; ch++) {
                        cur[ch * h * w + yy * w + xx] = fill;
                    }
                }
            }
        }
        return curve;
    }

    @Test
    void equalsAnIndependentLoopOnARandomCnnInFloat64() {
        Graph g = Nets.cnn(51);
        INDArray x = randn(52, 3, 2, 8, 8);
        Attribution grad = Methods.gradientInput(g).withPrecision(Precision.FLOAT64);
        Selectivity.Result r = Selectivity.of(g).withPrecision(Precision.FLOAT64).withPatch(2).withSteps(6)
                .withPerturbation(Perturbation.constant(-0.5)).withBatchSize(2).evaluate(grad, x);
        double auc = 0;
        for (int i = 0; i < 3; i++) {
            double[] ref = loop(g, grad, Nets.image(x, i), 2, 8, 8, 2, 6, -0.5);
            assertThat(r.perImage()[i]).as("image " + i).containsExactly(ref, within(1e-9));
            for (double v : ref) {
                auc += v / 7 / 3;
            }
        }
        assertThat(r.auc()).isCloseTo(auc, within(1e-9));
    }

    @Test
    void batchSizeDoesNotMatter() {
        Graph g = Nets.cnn(61);
        INDArray x = randn(62, 5, 2, 8, 8);
        Selectivity s = Selectivity.of(g).withPrecision(Precision.FLOAT64).withPatch(3).withSteps(4);
        Attribution grad = Methods.gradient(g).withPrecision(Precision.FLOAT64);
        assertThat(s.withBatchSize(2).evaluate(grad, x).curve())
                .containsExactly(s.withBatchSize(64).evaluate(grad, x).curve(), within(1e-12));
    }

    @Test
    void badSettingsAreClearErrors() {
        Graph g = Nets.cnn(71);
        assertThatThrownBy(() -> Selectivity.of(g).withPatch(9)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("shorter side 8");
        assertThatThrownBy(() -> Selectivity.of(g).withPatch(3).withSteps(5))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("between 1 and 4");
        assertThatThrownBy(() -> Selectivity.of(g).evaluate(null, randn(1, 1, 2, 8, 8)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("method is null");
    }
}
