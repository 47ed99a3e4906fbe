package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Occlusion against a brute-force loop written from Captum's definition (one occluded copy of one element per
 * forward pass, windows placed until one reaches the edge, the sum of the drops divided by the windows covering each
 * pixel), and against the closed form of a linear model with 1×1 windows.
 */
class OcclusionTest {

    /** conv → relu → max-pool → flatten → dense on 2×9×7 images. */
    private static Graph net() {
        return Graph.builder(Shape.of(2, 9, 7))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3).muli(0.5), randn(2, 3).muli(0.1)).withPadding(1), "input")
                .add("r1", new Relu(), "c1")
                .add("p1", MaxPool2d.of(2, 2), "r1")
                .add("flat", new Flatten(), "p1")
                .add("fc", Dense.of(randn(3, 36, 4).muli(0.5), randn(4, 4).muli(0.1)), "flat")
                .build();
    }

    /** Window starts along an axis: 0, s, 2s, ... until a window reaches the end (it may stick out). */
    private static List<Integer> starts(int length, int k, int s) {
        List<Integer> out = new ArrayList<>();
        for (int r = 0; ; r += s) {
            out.add(r);
            if (r + k >= length) {
                return out;
            }
        }
    }

    /** Captum's occlusion of one class, element by element, window by window. */
    private static double[][][][] bruteForce(Graph g, INDArray x, int c, int k, int s, INDArray baseline) {
        Explainer fwd = Explainer.of(g).precision(Precision.FLOAT64);
        int n = (int) x.size(0);
        int ch = (int) x.size(1);
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        double[][][][] out = new double[n][ch][h][w];
        for (int i = 0; i < n; i++) {
            INDArray xi = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
            double fx = fwd.forward(xi).getDouble(0, c);
            double[][] sum = new double[h][w];
            double[][] count = new double[h][w];
            for (int r0 : starts(h, k, s)) {
                for (int q0 : starts(w, k, s)) {
                    INDArray occluded = xi.dup();
                    for (int r = r0; r < Math.min(r0 + k, h); r++) {
                        for (int q = q0; q < Math.min(q0 + k, w); q++) {
                            for (int cc = 0; cc < ch; cc++) {
                                double b = baseline == null ? 0 : baseline.getDouble(cc, r, q);
                                occluded.putScalar(new long[]{0, cc, r, q}, b);
                            }
                        }
                    }
                    double drop = fx - fwd.forward(occluded).getDouble(0, c);
                    for (int r = r0; r < Math.min(r0 + k, h); r++) {
                        for (int q = q0; q < Math.min(q0 + k, w); q++) {
                            sum[r][q] += drop;
                            count[r][q]++;
                        }
                    }
                }
            }
            for (int cc = 0; cc < ch; cc++) {
                for (int r = 0; r < h; r++) {
                    for (int q = 0; q < w; q++) {
                        out[i][cc][r][q] = sum[r][q] / count[r][q];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void occlusionEqualsABruteForceLoop() {
        Graph g = net();
        INDArray x = randn(5, 2, 2, 9, 7);
        INDArray baseline = randn(6, 2, 9, 7).muli(0.3);
        double worst = 0;
        // k=3, s=2: 4×3 windows, the last row and column of windows end at the edge; k=4, s=3: the last row of
        // windows sticks out and is cut; k=1: every pixel alone
        int[][] cases = {{3, 2}, {4, 3}, {1, 1}, {7, 7}};
        for (int[] ks : cases) {
            for (INDArray b : new INDArray[]{null, baseline}) {
                Occlusion m = Methods.occlusion(g).withPrecision(Precision.FLOAT64).withWindow(ks[0]).withStride(ks[1])
                        .withBaseline(b);
                Attributions a = m.attribute(x, 2);
                INDArray expected = Nd4j.createFromArray(bruteForce(g, x, 2, ks[0], ks[1], b));
                double d = maxAbs(a.attribution().sub(expected));
                assertThat(d).as("window %d, stride %d, baseline %s", ks[0], ks[1], b == null ? "0" : "given")
                        .isLessThan(1e-12 * (1 + maxAbs(expected)));
                worst = Math.max(worst, d);
                assertThat(a.targets()).containsExactly(2, 2);
            }
        }
        System.out.println("occlusion vs brute force: max |difference| " + worst);
        // the rows per forward pass change nothing
        Occlusion m = Methods.occlusion(g).withPrecision(Precision.FLOAT64).withWindow(3).withStride(2);
        INDArray all = m.attribute(x, 1).attribution();
        for (int rows : new int[]{1, 4, 1000}) {
            assertThat(maxAbs(m.withInternalBatchSize(rows).attribute(x, 1).attribution().sub(all)))
                    .isLessThan(1e-14 * (1 + maxAbs(all)));
        }
        // a constant baseline is a baseline tensor filled with it
        INDArray half = Nd4j.valueArrayOf(new long[]{2, 9, 7}, 0.5, D);
        assertThat(maxAbs(m.withBaseline(0.5).attribute(x, 1).attribution()
                .sub(m.withBaseline(half).attribute(x, 1).attribution()))).isZero();
    }

    @Test
    void onALinearModelOneByOneWindowsGiveTheChannelSumOfGradientTimesInput() {
        INDArray w = randn(11, 2 * 5 * 4, 3);
        Graph g = Graph.builder(Shape.of(2, 5, 4)).add("flat", new Flatten(), "input")
                .add("fc", Dense.of(w, randn(12, 3)), "flat").build();
        INDArray x = randn(13, 2, 2, 5, 4);
        INDArray a = Methods.occlusion(g).withPrecision(Precision.FLOAT64).withWindow(1).withStride(1)
                .attribute(x, 0).attribution();
        INDArray gx = x.mul(w.getColumn(0).reshape(1, 2, 5, 4).broadcast(2, 2, 5, 4));
        INDArray perPixel = gx.sum(true, 1);
        for (int c = 0; c < 2; c++) {
            INDArray channel = a.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(c, c + 1));
            assertThat(maxAbs(channel.sub(perPixel))).isLessThan(1e-12);
        }
    }

    @Test
    void badSettingsAndBaselinesAreRejectedNamingWhatAndWhere() {
        Graph g = net();
        assertThatThrownBy(() -> Methods.occlusion(g).withWindow(8))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("occlusion: the window 8x8 is larger than the image 9x7 of the input 'input' "
                        + "[N,2,9,7]");
        assertThatThrownBy(() -> Methods.occlusion(g).withWindow(3).withStride(4))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("stride 4x4 is larger than the window");
        assertThatThrownBy(() -> Methods.occlusion(g).withWindow(0)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("at least 1x1");
        assertThatThrownBy(() -> Methods.occlusion(g).withBaseline(Nd4j.zeros(D, 3, 9, 7)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("occlusion: baseline [3,9,7] does not fit the input 'input' [N,2,9,7]");
        assertThatThrownBy(() -> Methods.occlusion(g).withBaseline(Nd4j.zeros(D, 2, 2, 9, 7))
                .attribute(randn(1, 3, 2, 9, 7), 0))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("baseline batch 2 for an input batch of 3");
        assertThatThrownBy(() -> Methods.occlusion(g).attribute(Nd4j.zeros(D, 1, 2, 7, 9)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("expected [N,2,9,7]");
        assertThatThrownBy(() -> Methods.occlusion(Graph.sequential(6).dense("l1", randn(1, 6, 3), null).build()))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("needs image inputs");
        // a window as large as the image is one window; its stride does not matter
        assertThat(Methods.occlusion(g).withWindow(9, 7).withStride(20).settings())
                .isEqualTo("window 9x7, stride 20x20, baseline 0.0");
    }
}
