package io.github.dtd4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Conv2d;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Depthwise convolutions run on libnd4j's {@code depthwise_conv2d} (oneDNN's in float32), dilated ones on strided views
 * of the taps: the output and the transpose equal direct loops from the definition, and the transpose is the
 * adjoint, {@code ⟨s, conv(x)⟩ = ⟨convᵀ(s), x⟩}, for symmetric and asymmetric padding, strides that do and do not
 * fill the input, padding as wide as the kernel, dilation and a 5×5 kernel, in float32 and float64.
 */
class DepthwiseConvTest {
    @ParameterizedTest(name = "{0}: C {1}, H {2}, stride {3}, pads {4},{5},{6},{7}, dilation {8}, kernel {9}")
    @CsvSource({
        "DOUBLE, 3, 7, 1, 1, 1, 1, 1, 1, 3", "FLOAT, 3, 7, 1, 1, 1, 1, 1, 1, 3",
        "DOUBLE, 4, 9, 2, 1, 1, 1, 1, 1, 3", "FLOAT, 4, 9, 2, 1, 1, 1, 1, 1, 3",
        "DOUBLE, 2, 8, 2, 0, 1, 1, 0, 1, 3", "FLOAT, 2, 8, 2, 0, 1, 1, 0, 1, 3",
        "DOUBLE, 3, 10, 1, 2, 2, 2, 2, 2, 3", "FLOAT, 3, 10, 1, 2, 2, 2, 2, 2, 3",
        "DOUBLE, 2, 11, 2, 2, 1, 2, 1, 1, 5", "FLOAT, 2, 11, 2, 2, 1, 2, 1, 1, 5",
        "DOUBLE, 5, 6, 3, 1, 0, 1, 2, 1, 3", "FLOAT, 5, 6, 3, 1, 0, 1, 2, 1, 3",
        // stride 1 padded asymmetrically (the spread transpose), and padding as wide as the kernel (libnd4j's bp)
        "DOUBLE, 3, 7, 1, 0, 1, 2, 1, 1, 3", "FLOAT, 3, 7, 1, 0, 1, 2, 1, 1, 3",
        "DOUBLE, 2, 6, 1, 3, 3, 3, 3, 1, 3", "FLOAT, 2, 6, 2, 3, 3, 3, 3, 1, 3"})
    void equalsTheLoopAndItsTransposeIsTheAdjoint(DataType dt, int channels, int h, int stride, int top, int left,
                                                  int bottom, int right, int dilation, int k) {
        Nd4j.getRandom().setSeed(7);
        int w = h + 1;
        INDArray x = Nd4j.rand(dt, 2, channels, h, w).subi(0.5);
        INDArray weight = Nd4j.rand(dt, channels, 1, k, k).subi(0.5);
        INDArray bias = Nd4j.rand(dt, channels);
        Conv2d c = Conv2d.of(weight, bias).withStride(stride).withPadding(top, left, bottom, right)
                .withDilation(dilation).withGroups(channels);
        INDArray y = Ops.conv2d(x, weight, bias, c);
        long oh = (h + top + bottom - (long) dilation * (k - 1) - 1) / stride + 1;
        long ow = (w + left + right - (long) dilation * (k - 1) - 1) / stride + 1;
        assertThat(y.shape()).containsExactly(2, channels, oh, ow);
        double tol = dt == DataType.DOUBLE ? 1e-12 : 1e-5;
        for (int n = 0; n < 2; n++) {
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias.getDouble(ch);
                        for (int p = 0; p < k; p++) {
                            for (int q = 0; q < k; q++) {
                                int r = i * stride - top + p * dilation;
                                int col = j * stride - left + q * dilation;
                                if (r >= 0 && r < h && col >= 0 && col < w) {
                                    acc += weight.getDouble(ch, 0, p, q) * x.getDouble(n, ch, r, col);
                                }
                            }
                        }
                        assertThat(y.getDouble(n, ch, i, j)).as("output %d,%d,%d,%d", n, ch, i, j)
                                .isCloseTo(acc, org.assertj.core.data.Offset.offset(tol));
                    }
                }
            }
        }
        INDArray s = Nd4j.rand(dt, y.shape()).subi(0.5);
        INDArray t = Ops.conv2dTranspose(s, weight, c, x.shape());
        assertThat(t.shape()).containsExactly(x.shape());
        // the transpose element by element: each output's s spread back over the inputs its window read
        double[][][][] g = new double[2][channels][h][w];
        for (int n = 0; n < 2; n++) {
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        for (int p = 0; p < k; p++) {
                            for (int q = 0; q < k; q++) {
                                int r = i * stride - top + p * dilation;
                                int col = j * stride - left + q * dilation;
                                if (r >= 0 && r < h && col >= 0 && col < w) {
                                    g[n][ch][r][col] += weight.getDouble(ch, 0, p, q) * s.getDouble(n, ch, i, j);
                                }
                            }
                        }
                    }
                }
                for (int r = 0; r < h; r++) {
                    for (int col = 0; col < w; col++) {
                        assertThat(t.getDouble(n, ch, r, col)).as("transpose %d,%d,%d,%d", n, ch, r, col)
                                .isCloseTo(g[n][ch][r][col], org.assertj.core.data.Offset.offset(tol));
                    }
                }
            }
        }
        double lhs = s.castTo(DataType.DOUBLE).mul(Ops.conv2d(x, weight, null, c).castTo(DataType.DOUBLE))
                .sumNumber().doubleValue();
        double rhs = t.castTo(DataType.DOUBLE).mul(x.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        assertThat(rhs).as("adjoint").isCloseTo(lhs, org.assertj.core.data.Offset.offset(tol * 10 * Math.abs(lhs)
                + tol));
    }
}
