package io.github.dtd4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PerturbationTest {

    @Test
    void meanIsPerChannel() {
        double[] x = {1, 2, 3, 6, 10, 10, 10, 10};           // 2 channels of 2×2
        double[] r = Perturbation.mean().replacement(x, 2, 2, 2, 0);
        assertThat(r).containsExactly(3, 3, 3, 3, 10, 10, 10, 10);
    }

    @Test
    void uniformStaysInTheImagesRangeAndDependsOnSeedAndIndexOnly() {
        double[] x = new SplittableRandom(1).doubles(3 * 5 * 5, -2, 7).toArray();
        double lo = java.util.Arrays.stream(x).min().getAsDouble();
        double hi = java.util.Arrays.stream(x).max().getAsDouble();
        double[] a = Perturbation.uniform(4).replacement(x, 3, 5, 5, 2);
        for (double v : a) {
            assertThat(v).isBetween(lo, hi);
        }
        assertThat(Perturbation.uniform(4).replacement(x, 3, 5, 5, 2)).isEqualTo(a);
        assertThat(Perturbation.uniform(4).replacement(x, 3, 5, 5, 3)).isNotEqualTo(a);
        assertThat(Perturbation.uniform(5).replacement(x, 3, 5, 5, 2)).isNotEqualTo(a);
    }

    /** Blur against a direct 2-D convolution with the (not separated) Gaussian and clamped coordinates. */
    @Test
    void blurIsTheNormalisedGaussianWithEdgesRepeated() {
        int h = 6;
        int w = 5;
        double sigma = 0.8;
        double[] x = new SplittableRandom(2).doubles(2 * h * w).toArray();
        double[] r = Perturbation.blur(sigma).replacement(x, 2, h, w, 0);
        int rad = (int) Math.ceil(3 * sigma);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    double norm = 0;
                    for (int dy = -rad; dy <= rad; dy++) {
                        for (int dx = -rad; dx <= rad; dx++) {
                            double k = Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
                            int yy = Math.min(h - 1, Math.max(0, y + dy));
                            int xs = Math.min(w - 1, Math.max(0, xx + dx));
                            s += k * x[c * h * w + yy * w + xs];
                            norm += k;
                        }
                    }
                    assertThat(r[c * h * w + y * w + xx]).isCloseTo(s / norm, within(1e-12));
                }
            }
        }
        double[] flat = new double[h * w];
        java.util.Arrays.fill(flat, 0.3);
        for (double v : Perturbation.blur(2).replacement(flat, 1, h, w, 0)) {
            assertThat(v).isCloseTo(0.3, within(1e-15));
        }
    }

    @Test
    void namesAndLabels() {
        assertThat(Perturbation.named("constant", 0.5, 0)).hasToString("constant(0.5)");
        assertThat(Perturbation.named("blur", 0, 0)).hasToString("blur(sigma=1)");
        assertThat(Perturbation.named("UNIFORM", 0, 7)).hasToString("uniform(seed=7)");
        assertThat(Perturbation.named("mean", 0, 0)).hasToString("mean");
    }
}
