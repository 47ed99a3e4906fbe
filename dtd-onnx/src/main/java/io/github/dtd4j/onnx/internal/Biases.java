package io.github.dtd4j.onnx.internal;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Constants read as a layer's bias: one value per output, or one for all, broadcast the ONNX way. */
final class Biases {
    private Biases() {
    }

    /**
     * {@return a bias of {@code m} values for a dense layer: {@code [m]}, {@code [1,m]} (or more leading 1s, up to the
     * output's rank) or a single value}
     *
     * @param ctx     the node, for the element type
     * @param c       the constant
     * @param m       the layer's outputs
     * @param maxRank the rank of the layer's output, batch included: a constant of a higher rank would broadcast it
     * @param what    what the constant is, for messages ("C")
     * @throws NotSupported for any other shape
     */
    static INDArray row(ConversionContext ctx, Const c, long m, int maxRank, String what) {
        boolean ok = c.rank() <= maxRank;
        for (int k = 0; k < c.rank(); k++) {
            long want = k == c.rank() - 1 ? m : 1;
            ok &= c.dims[k] == want || c.dims[k] == 1;
        }
        if (!ok) {
            throw new NotSupported(what + " with dimensions " + Arrays.toString(c.dims) + " is not a bias of " + m
                    + " outputs");
        }
        return c.length() == m ? c.toArray(ctx.dtype(), m) : Nd4j.valueArrayOf(new long[]{m}, c.at(0), ctx.dtype());
    }

    /**
     * {@return a bias of one value per channel: {@code [C,1,1]}, {@code [1,C,1,1]} or a single value}
     *
     * @param ctx      the node, for the element type
     * @param c        the constant
     * @param channels the convolution's output channels
     * @throws NotSupported for any other shape
     */
    static INDArray channel(ConversionContext ctx, Const c, long channels) {
        boolean scalar = c.length() == 1 && c.rank() <= 4;
        boolean perChannel = c.rank() >= 3 && c.rank() <= 4 && c.dims[c.rank() - 3] == channels
                && c.dims[c.rank() - 2] == 1 && c.dims[c.rank() - 1] == 1 && (c.rank() == 3 || c.dims[0] == 1);
        if (scalar) {
            return Nd4j.valueArrayOf(new long[]{channels}, c.at(0), ctx.dtype());
        }
        if (!perChannel) {
            throw new NotSupported("the constant with dimensions " + Arrays.toString(c.dims) + " is not one value "
                    + "per channel ([C,1,1] or [1,C,1,1]) of " + channels + " channels");
        }
        return c.toArray(ctx.dtype(), channels);
    }
}
