package io.github.dtd4j.eval;

import static io.github.dtd4j.eval.Nets.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RegionPerturbationTest {

    /**
     * A linear model on 1×4×4 images of ones: class 0 has weight 1 on the pixels of patch 0, 2 on patch 1, 0.5 on
     * patch 2 and 0 on patch 3 (2×2 patches, row-major), so removing a patch (constant 0) lowers f by 4, 8, 2 or 0;
     * class 1 is the constant 1. f(x) = 14: class 0 is the top class.
     */
    private static Graph toy() {
        double[] w = new double[32];
        double[] perPatch = {1, 2, 0.5, 0};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int patch = (y / 2) * 2 + x / 2;
                w[(y * 4 + x) * 2] = perPatch[patch];
            }
        }
        INDArray wm = Nd4j.create(w, new long[] {16, 2}, 'c');
        INDArray b = Nd4j.create(new double[] {0, 1}, new long[] {2}, 'c');
        return Graph.builder(Shape.of(1, 4, 4)).add("flat", new Flatten(), "input")
                .add("fc", Dense.of(wm, b), "flat").build();
    }

    @Test
    void handComputedCurvesOnALinearToy() {
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        // patch scores 3, 1, 3, 0, spread unevenly over the pixels: only the sums count
        INDArray r = Nd4j.zeros(DataType.DOUBLE, 1, 1, 4, 4);
        r.putScalar(new int[] {0, 0, 0, 0}, 3);      // patch 0
        r.putScalar(new int[] {0, 0, 1, 3}, 2);      // patch 1: 2 − 1
        r.putScalar(new int[] {0, 0, 0, 2}, -1);
        r.putScalar(new int[] {0, 0, 3, 1}, 1.5);    // patch 2: 1.5 + 1.5
        r.putScalar(new int[] {0, 0, 2, 0}, 1.5);
        RegionPerturbation.Result res = RegionPerturbation.of(toy()).withPrecision(Precision.FLOAT64).withPatch(2)
                .withSteps(4).evaluate("given", x, r);
        // MoRF: scores 3, 3 (tie: patch 0 before 2), 1, 0 → patches 0, 2, 1, 3 → f = 14, 10, 8, 0, 0
        assertThat(res.morf()).containsExactly(new double[] {14, 10, 8, 0, 0}, within(1e-12));
        // LeRF: 0, 1, 3, 3 → patches 3, 1, 0, 2 → f = 14, 14, 6, 2, 0
        assertThat(res.lerf()).containsExactly(new double[] {14, 14, 6, 2, 0}, within(1e-12));
        assertThat(res.aopcMorf()).isCloseTo((0 + 4 + 6 + 14 + 14) / 5.0, within(1e-12));
        assertThat(res.aopcLerf()).isCloseTo((0 + 0 + 8 + 12 + 14) / 5.0, within(1e-12));
        assertThat(res.abpc()).isCloseTo(0.8, within(1e-12));
        assertThat(res.targets()).containsExactly(0);
    }

    @Test
    void aStepThatChangesNothingKeepsTheScore() {
        // patch 1 is already 0: perturbing it to 0 leaves the image (and f) as it was
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        for (int y = 0; y < 2; y++) {
            for (int c = 2; c < 4; c++) {
                x.putScalar(new int[] {0, 0, y, c}, 0);
            }
        }
        INDArray r = Nd4j.zeros(DataType.DOUBLE, 1, 1, 4, 4);
        r.putScalar(new int[] {0, 0, 0, 2}, 5); // patch 1 first, then 0, 2, 3 in index order
        RegionPerturbation.Result res = RegionPerturbation.of(toy()).withPrecision(Precision.FLOAT64).withPatch(2)
                .withSteps(4).evaluate("given", x, r);
        // f0 = 4 + 0 + 2 + 0 = 6; patch 1 changes nothing; then −4, −2, −0
        assertThat(res.morf()).containsExactly(new double[] {6, 6, 2, 0, 0}, within(1e-12));
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheTargetClass() {
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        INDArray r = Nd4j.zeros(DataType.DOUBLE, 1, 4, 4);
        r.putScalar(new int[] {0, 0, 2}, 5); // patch 1 first, then 0, 2, 3 in index order
        RegionPerturbation.Result res = RegionPerturbation.of(toy()).withPrecision(Precision.FLOAT64).withPatch(2)
                .withSteps(2).withProbabilities(true).evaluate("given", x, r);
        // f0 = 14 vs 1; after patch 1: 6 vs 1; after patch 0: 2 vs 1
        double[] expected = {sig(14 - 1), sig(6 - 1), sig(2 - 1)};
        assertThat(res.morf()).containsExactly(expected, within(1e-12));
    }

    private static double sig(double d) {
        return 1 / (1 + Math.exp(-d));
    }

    @Test
    void edgePatchesAreCutAtTheBorder() {
        // 4×4 with 3×3 patches: 4 patches of 9, 3, 3 and 1 pixels
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        INDArray r = Nd4j.zeros(DataType.DOUBLE, 1, 1, 4, 4);
        r.putScalar(new int[] {0, 0, 3, 3}, 1); // the 1-pixel corner patch first
        RegionPerturbation.Result res = RegionPerturbation.of(toy()).withPrecision(Precision.FLOAT64).withPatch(3)
                .withSteps(2).evaluate("given", x, r);
        // corner pixel (3,3) has weight 0; then patch 0 (rows 0-2, cols 0-2): 4 + 2·1... computed from the weights:
        // pixels of patch 0: (0..1,0..1) weight 1 → 4, (0..1,2) weight 2 → 4, (2,0..1) weight 0.5 → 1, (2,2) weight 0
        assertThat(res.morf()).containsExactly(new double[] {14, 14, 14 - 9}, within(1e-12));
    }

    /** The slow reference: each x⁽ᵏ⁾ built from x afresh, one image per forward pass, the order by selection. */
    private static double[][] loopCurve(Graph g, INDArray x, INDArray rel, int p, int steps, boolean morf,
                                        Perturbation pert) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        int rows = (h + p - 1) / p;
        int cols = (w + p - 1) / p;
        double[][] out = new double[n][steps + 1];
        for (int i = 0; i < n; i++) {
            double[] img = Nets.image(x, i);
            double[] repl = pert.replacement(img, c, h, w, i);
            double[] score = new double[rows * cols];
            for (int ch = 0; ch < rel.size(1); ch++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        score[(y / p) * cols + xx / p] += rel.getDouble(i, ch, y, xx);
                    }
                }
            }
            List<Integer> order = new ArrayList<>();
            boolean[] used = new boolean[score.length];
            for (int k = 0; k < score.length; k++) {
                int best = -1;
                for (int j = 0; j < score.length; j++) {
                    if (!used[j] && (best < 0 || (morf ? score[j] > score[best] : score[j] < score[best]))) {
                        best = j;
                    }
                }
                used[best] = true;
                order.add(best);
            }
            int target = Nets.argmax(Nets.logits(g, img));
            for (int k = 0; k <= steps; k++) {
                double[] xk = img.clone();
                for (int j = 0; j < k; j++) {
                    int pr = order.get(j) / cols;
                    int pc = order.get(j) % cols;
                    for (int ch = 0; ch < c; ch++) {
                        for (int y = pr * p; y < Math.min(h, pr * p + p); y++) {
                            for (int xx = pc * p; xx < Math.min(w, pc * p + p); xx++) {
                                int idx = ch * h * w + y * w + xx;
                                xk[idx] = repl[idx];
                            }
                        }
                    }
                }
                out[i][k] = Nets.logits(g, xk)[target];
            }
        }
        return out;
    }

    @Test
    void equalsAnIndependentLoopOnARandomCnnInFloat64() {
        Graph g = Nets.cnn(11);
        INDArray x = randn(12, 3, 2, 8, 8);
        Attribution grad = Methods.gradientInput(g).withPrecision(Precision.FLOAT64);
        INDArray rel = grad.attribute(x).attribution();
        for (Perturbation pert : List.of(Perturbation.constant(0.25), Perturbation.mean(), Perturbation.uniform(3),
                Perturbation.blur(1.2))) {
            RegionPerturbation rp = RegionPerturbation.of(g).withPrecision(Precision.FLOAT64).withPatch(3)
                    .withSteps(7).withPerturbation(pert).withBatchSize(5);
            RegionPerturbation.Result res = rp.evaluate(grad, x);
            double[][] morf = loopCurve(g, x, rel, 3, 7, true, pert);
            double[][] lerf = loopCurve(g, x, rel, 3, 7, false, pert);
            double aopc = 0;
            for (int i = 0; i < 3; i++) {
                assertThat(res.perImageMorf()[i]).as(pert + " MoRF, image " + i).containsExactly(morf[i], within(1e-9));
                assertThat(res.perImageLerf()[i]).as(pert + " LeRF, image " + i).containsExactly(lerf[i], within(1e-9));
                for (int k = 0; k <= 7; k++) {
                    aopc += (morf[i][0] - morf[i][k]) / 8 / 3;
                }
            }
            assertThat(res.aopcMorf()).isCloseTo(aopc, within(1e-9));
        }
    }

    @Test
    void theSameNumbersForEveryBatchSizeAndTwice() {
        Graph g = Nets.cnn(21);
        INDArray x = randn(22, 4, 2, 8, 8);
        INDArray before = x.dup();
        Attribution grad = Methods.gradient(g).withPrecision(Precision.FLOAT64);
        RegionPerturbation rp = RegionPerturbation.of(g).withPrecision(Precision.FLOAT64).withPatch(2).withSteps(16)
                .withPerturbation(Perturbation.uniform(5));
        RegionPerturbation.Result a = rp.withBatchSize(1).evaluate(grad, x);
        RegionPerturbation.Result b = rp.withBatchSize(7).evaluate(grad, x);
        RegionPerturbation.Result c = rp.withBatchSize(1000).evaluate(grad, x);
        for (RegionPerturbation.Result r : List.of(b, c)) {
            assertThat(r.morf()).containsExactly(a.morf(), within(1e-12));
            assertThat(r.lerf()).containsExactly(a.lerf(), within(1e-12));
        }
        RegionPerturbation.Result r1 = rp.randomOrder(x, 9);
        RegionPerturbation.Result r2 = rp.withBatchSize(3).randomOrder(x, 9);
        assertThat(r2.morf()).containsExactly(r1.morf(), within(1e-12));
        assertThat(rp.randomOrder(x, 10).morf()).isNotEqualTo(r1.morf());
        assertThat(x).isEqualTo(before);
    }

    @Test
    void float32MatchesFloat64ToItsPrecision() {
        Graph g = Nets.cnn(31);
        INDArray x = randn(32, 2, 2, 8, 8);
        RegionPerturbation rp = RegionPerturbation.of(g).withPatch(2).withSteps(10);
        RegionPerturbation.Result d = rp.withPrecision(Precision.FLOAT64)
                .evaluate(Methods.gradient(g).withPrecision(Precision.FLOAT64), x);
        RegionPerturbation.Result f = rp.evaluate(Methods.gradient(g), x);
        assertThat(f.morf()).containsExactly(d.morf(), within(1e-4));
    }

    @Test
    void theRandomOrderIsAPermutationAndLeRFIsItsReverse() {
        Graph g = toy();
        INDArray x = Nd4j.ones(DataType.DOUBLE, 1, 1, 4, 4);
        RegionPerturbation.Result r = RegionPerturbation.of(g).withPrecision(Precision.FLOAT64).withPatch(2)
                .withSteps(4).randomOrder(x, 1);
        // whatever the order, all 4 patches gone leaves f = 0, and each step removes one patch's 4, 8, 2 or 0
        assertThat(r.morf()[4]).isCloseTo(0, within(1e-12));
        assertThat(r.lerf()[4]).isCloseTo(0, within(1e-12));
        double[] dropsM = new double[4];
        double[] dropsL = new double[4];
        for (int k = 0; k < 4; k++) {
            dropsM[k] = r.morf()[k] - r.morf()[k + 1];
            dropsL[k] = r.lerf()[3 - k] - r.lerf()[4 - k];
        }
        double[] sorted = dropsM.clone();
        java.util.Arrays.sort(sorted);
        assertThat(sorted).containsExactly(new double[] {0, 2, 4, 8}, within(1e-12));
        assertThat(dropsL).containsExactly(dropsM, within(1e-12));
    }

    @Test
    void badInputIsAClearError() {
        Graph g = Nets.cnn(41);
        assertThatThrownBy(() -> RegionPerturbation.of(g).withPatch(9))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("larger than the image 8x8");
        assertThatThrownBy(() -> RegionPerturbation.of(g).withPatch(2).withSteps(17))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("number of 2x2 patches, 16");
        assertThatThrownBy(() -> RegionPerturbation.of(g).withSteps(0))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> RegionPerturbation.of(g).withBatchSize(0))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("batch size");
        assertThatThrownBy(() -> RegionPerturbation.of(Graph.sequential(6).dense("d", randn(1, 6, 2), null).build()))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("images [C,H,W]");
        RegionPerturbation rp = RegionPerturbation.of(g);
        assertThatThrownBy(() -> rp.evaluate(Methods.gradient(g), randn(1, 2, 2, 7, 8)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("[N,2,8,8]");
        INDArray nan = randn(1, 1, 2, 8, 8);
        nan.putScalar(new int[] {0, 1, 2, 3}, Double.NaN);
        assertThatThrownBy(() -> rp.evaluate(Methods.gradient(g), nan))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> rp.evaluate("r", randn(1, 2, 2, 8, 8), randn(2, 2, 1, 4, 4)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("relevance must be");
        assertThatThrownBy(() -> Perturbation.named("sepia", 0, 0))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown 'sepia'");
        assertThatThrownBy(() -> Perturbation.blur(0)).isInstanceOf(ConfigurationException.class);
    }
}
