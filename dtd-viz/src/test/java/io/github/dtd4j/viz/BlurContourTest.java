package io.github.dtd4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.errors.InvalidInputException;
import java.awt.Color;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The display helpers of {@code --blur} and {@code --contour}, on maps whose answers are worked out by hand. */
class BlurContourTest {
    private static double[][] delta(int n, int y, int x) {
        double[][] m = new double[n][n];
        m[y][x] = 1;
        return m;
    }

    @Test
    void aPointBecomesASampledGaussianAndAConstantStaysConstant() {
        double sigma = 1.5;
        double[][] b = Heatmaps.blur(delta(21, 10, 10), sigma);
        // away from the edges: the product of two normalised 1-D kernels cut at 3σ (radius 5)
        double norm = 0;
        for (int d = -5; d <= 5; d++) {
            norm += Math.exp(-0.5 * d * d / (sigma * sigma));
        }
        for (int dy = -5; dy <= 5; dy++) {
            for (int dx = -5; dx <= 5; dx++) {
                double expected = Math.exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma)) / (norm * norm);
                assertThat(b[10 + dy][10 + dx]).isCloseTo(expected, within(1e-15));
            }
        }
        assertThat(b[10][16]).isZero();
        double sum = 0;
        for (double[] row : b) {
            for (double v : row) {
                sum += v;
            }
        }
        assertThat(sum).isCloseTo(1, within(1e-12));
        double[][] flat = new double[7][9];
        for (double[] row : flat) {
            java.util.Arrays.fill(row, -2.5);
        }
        for (double[] row : Heatmaps.blur(flat, 2)) {
            for (double v : row) {
                assertThat(v).isCloseTo(-2.5, within(1e-12));
            }
        }
    }

    @Test
    void blurNeverModifiesItsInputAndRejectsABadSigma() {
        double[][] m = delta(5, 2, 2);
        double[][] zero = Heatmaps.blur(m, 0);
        assertThat(zero).isDeepEqualTo(m).isNotSameAs(m);
        Heatmaps.blur(m, 1);
        assertThat(m).isDeepEqualTo(delta(5, 2, 2));
        assertThatThrownBy(() -> Heatmaps.blur(m, -1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Heatmaps.blur(m, Double.NaN)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void contoursMarkTheInnerEdgeOfEachLevelAtDisplayResolution() {
        // a 2x2 block of 1 in a 4x4 map, and one pixel of -1
        double[][] m = new double[4][4];
        m[1][1] = m[1][2] = m[2][1] = m[2][2] = 1;
        m[3][0] = -1;
        BufferedImage white = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        BufferedImage c = Heatmaps.contours(white, m, new double[]{0.5}, Color.RED, Color.BLUE);
        int red = 0;
        int blue = 0;
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int rgb = c.getRGB(x, y) & 0xFFFFFF;
                boolean block = x >= 2 && x <= 5 && y >= 2 && y <= 5;
                boolean edge = block && (x == 2 || x == 5 || y == 2 || y == 5);
                if (rgb == 0xFF0000) {
                    red++;
                    assertThat(edge).as("red at %d,%d", x, y).isTrue();
                } else if (rgb == 0x0000FF) {
                    blue++;
                    // the -1 pixel is (0,3) -> display pixels x 0..1, y 6..7; the picture's border draws no line
                    assertThat(x <= 1 && y >= 6).as("blue at %d,%d", x, y).isTrue();
                } else {
                    assertThat(rgb).isEqualTo(0xFFFFFF);
                }
            }
        }
        // the block's 4x4 display square minus its 2x2 inside; the -1 pixel's square touches the border on two sides
        assertThat(red).isEqualTo(12);
        assertThat(blue).isEqualTo(3);
        assertThat(white.getRGB(3, 2) & 0xFFFFFF).as("the picture is not modified").isEqualTo(0xFFFFFF);
        BufferedImage none = Heatmaps.contours(white, m, new double[]{2}, Color.RED, null);
        assertThat(none.getRGB(2, 2) & 0xFFFFFF).isEqualTo(0xFFFFFF);
        assertThatThrownBy(() -> Heatmaps.contours(new BufferedImage(7, 8, BufferedImage.TYPE_INT_RGB), m,
                new double[]{0.5}, Color.RED, null)).isInstanceOf(InvalidInputException.class);
    }
}
