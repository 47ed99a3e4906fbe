package io.github.dtd4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Conv2d;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dilated convolutions in float32: the oneDNN build rejects them when given a dilation, so Ops writes the dilation
 * into the kernel. Float32 results must equal the float64 ones, which a direct loop computes here.
 */
class DilatedConvFloatTest {
    private static final Conv2d GEOMETRY = new Conv2d(Nd4j.zeros(DataType.DOUBLE, 3, 2, 3, 2), null, 2, 1, 1, 2, 0,
            1, 2, 3, 1);

    /** Direct loop: out[n,o,y,x] = Σ w[o,i,ky,kx]·xin[n,i,y·s−pt+ky·dh, x·s−pl+kx·dw]. */
    private static double[] loop(INDArray x, INDArray w, Conv2d c, long oh, long ow) {
        double[] out = new double[(int) (x.size(0) * w.size(0) * oh * ow)];
        int k = 0;
        for (int n = 0; n < x.size(0); n++) {
            for (int o = 0; o < w.size(0); o++) {
                for (int y = 0; y < oh; y++) {
                    for (int xo = 0; xo < ow; xo++) {
                        double s = 0;
                        for (int i = 0; i < w.size(1); i++) {
                            for (int ky = 0; ky < w.size(2); ky++) {
                                for (int kx = 0; kx < w.size(3); kx++) {
                                    long iy = (long) y * c.strideH() - c.padTop() + (long) ky * c.dilationH();
                                    long ix = (long) xo * c.strideW() - c.padLeft() + (long) kx * c.dilationW();
                                    if (iy >= 0 && iy < x.size(2) && ix >= 0 && ix < x.size(3)) {
                                        s += w.getDouble(o, i, ky, kx) * x.getDouble(n, i, iy, ix);
                                    }
                                }
                            }
                        }
                        out[k++] = s;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void forwardAndTransposeInFloatMatchALoop() {
        Nd4j.getRandom().setSeed(8);
        INDArray w = Nd4j.randn(DataType.FLOAT, 3, 2, 3, 2);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 2, 9, 7);
        Conv2d c = GEOMETRY.withWeights(w, null);
        INDArray y = Ops.conv2d(x, w, null, c);
        double[] ref = loop(x, w, c, y.size(2), y.size(3));
        double[] got = y.reshape(y.length()).toDoubleVector();
        for (int i = 0; i < ref.length; i++) {
            assertThat(got[i]).as("output %d", i).isCloseTo(ref[i], org.assertj.core.api.Assertions.within(1e-4));
        }
        // adjoint: <s, conv(x)> = <transpose(s), x>
        INDArray s = Nd4j.randn(DataType.FLOAT, y.shape());
        INDArray t = Ops.conv2dTranspose(s, w, c, x.shape());
        assertThat(t.shape()).isEqualTo(x.shape());
        double lhs = s.castTo(DataType.DOUBLE).mul(y.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        double rhs = t.castTo(DataType.DOUBLE).mul(x.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        assertThat(rhs).isCloseTo(lhs, org.assertj.core.api.Assertions.within(1e-3 * Math.max(1, Math.abs(lhs))));
    }
}
