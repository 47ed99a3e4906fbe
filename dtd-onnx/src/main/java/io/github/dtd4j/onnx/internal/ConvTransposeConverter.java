package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Resize;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code ConvTranspose} (2-D) → the same linear map as layers dtd4j has: the input spread out by the stride (a
 * {@link Resize} whose matrices put input row i at row i·s and leave zero rows between), then a {@link Conv2d} of
 * stride 1 with the kernel flipped and its input and output channels exchanged per group, padded by
 * {@code d·(k−1) − pad} at the start and {@code d·(k−1) − pad + output_padding} at the end. Every output is the same
 * sum of input × weight products as the transposed convolution's, so the convolution's rule explains it as it would
 * the transposed one: the inserted zeros are no inputs and receive nothing. {@code output_shape} and {@code auto_pad}
 * are resolved to pads as the specification says. Padding larger than the dilated kernel (a cropped result) is
 * listed as unsupported.
 */
final class ConvTransposeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.image(0);
        Const w = ctx.constant(1, "the weight");
        Const b = ctx.optionalConstant(2, "the bias");
        if (w.rank() != 4) {
            throw new NotSupported((w.rank() - 2) + "-D transposed convolutions (2-D only)");
        }
        long group = ctx.attrs().i("group", 1);
        long cin = x.shape().dim(0);
        if (group < 1 || w.dims[0] != cin || cin % group != 0) {
            throw ctx.invalid("weight " + Arrays.toString(w.dims) + " and group " + group + " do not fit "
                    + cin + " input channels");
        }
        int[] k = {Geometry.bounded(ctx, "kernel height", w.dims[2], 1),
            Geometry.bounded(ctx, "kernel width", w.dims[3], 1)};
        int[] stride = Geometry.pair(ctx, "strides", 1);
        int[] dil = Geometry.pair(ctx, "dilations", 1);
        long[] outPad = ctx.attrs().ints("output_padding");
        long[] in = {x.shape().dim(1), x.shape().dim(2)};
        long[] pads = pads(ctx, in, k, stride, dil, outPad);
        long cout = w.dims[1] * group;
        if (b != null && b.length() != cout) {
            throw ctx.invalid("bias has " + b.length() + " values for " + cout + " output channels");
        }
        int[] convPads = new int[4];
        for (int a = 0; a < 2; a++) {
            long full = (long) dil[a] * (k[a] - 1);
            long start = full - pads[a];
            long end = full - pads[a + 2] + (outPad == null ? 0 : outPad[a]);
            if (start < 0 || end < 0) {
                throw new NotSupported("ConvTranspose padding " + Arrays.toString(pads) + " larger than the dilated "
                        + "kernel (a cropped result)");
            }
            convPads[a] = Geometry.bounded(ctx, "padding", start, 0);
            convPads[a + 2] = Geometry.bounded(ctx, "padding", end, 0);
        }
        Conv2d conv = new Conv2d(flipped(w, (int) group).castTo(ctx.dtype()),
                b == null ? null : b.toArray(ctx.dtype(), b.length()), 1, 1, convPads[0], convPads[1], convPads[2],
                convPads[3], dil[0], dil[1], (int) group);
        Act spread = x;
        if (stride[0] > 1 || stride[1] > 1) {
            List<Integer> axes = new java.util.ArrayList<>();
            List<INDArray> matrices = new java.util.ArrayList<>();
            for (int a = 0; a < 2; a++) {
                if (stride[a] > 1) {
                    double[][] m = new double[(int) ((in[a] - 1) * stride[a] + 1)][(int) in[a]];
                    for (int i = 0; i < in[a]; i++) {
                        m[i * stride[a]][i] = 1;
                    }
                    axes.add(a + 1);
                    matrices.add(Nd4j.create(m).castTo(ctx.dtype()));
                }
            }
            spread = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/spread"),
                    new Resize(axes.stream().mapToInt(Integer::intValue).toArray(), matrices), List.of(x.node())));
        }
        ctx.emit(w, conv, spread);
        ctx.note("rewritten", "ConvTranspose '" + ctx.name() + "' as its input spread by the stride and a convolution "
                + "with the kernel flipped");
    }

    /**
     * {@return the pads (top, left, bottom, right): the attribute, or from {@code output_shape} or {@code auto_pad} as
     * the specification computes them}
     */
    private static long[] pads(ConversionContext ctx, long[] in, int[] k, int[] stride, int[] dil, long[] outPad) {
        long[] shape = ctx.attrs().ints("output_shape");
        String auto = ctx.attrs().s("auto_pad", "NOTSET");
        long[] p = ctx.attrs().ints("pads");
        if (shape == null && (auto.equals("NOTSET") || auto.equals("VALID"))) {
            if (p == null) {
                return new long[4];
            }
            if (p.length != 4) {
                throw ctx.invalid("pads " + Arrays.toString(p) + " must have 4 values");
            }
            return p.clone();
        }
        long[] out = new long[4];
        for (int a = 0; a < 2; a++) {
            long target = shape != null ? shape[shape.length - 2 + a] : in[a] * stride[a];
            long total = stride[a] * (in[a] - 1) + (outPad == null ? 0 : outPad[a]) + ((long) (k[a] - 1) * dil[a] + 1)
                    - target;
            if (total < 0) {
                throw new NotSupported("ConvTranspose output_shape larger than the full result (" + target + ")");
            }
            boolean upper = !auto.equals("SAME_LOWER");
            out[a] = upper ? total / 2 : total - total / 2;
            out[a + 2] = total - out[a];
        }
        return out;
    }

    /**
     * {@return the convolution weight {@code [out, in/groups, kh, kw]} of a transposed convolution's weight
     * {@code [in, out/groups, kh, kw]}: per group, input and output channels exchanged and the kernel rotated by 180°}
     */
    private static INDArray flipped(Const w, int group) {
        long cin = w.dims[0];
        long coutG = w.dims[1];
        long cinG = cin / group;
        long kh = w.dims[2];
        long kw = w.dims[3];
        double[] out = new double[(int) (coutG * group * cinG * kh * kw)];
        for (long g = 0; g < group; g++) {
            for (long c = 0; c < cinG; c++) {
                for (long m = 0; m < coutG; m++) {
                    for (long i = 0; i < kh; i++) {
                        for (long j = 0; j < kw; j++) {
                            long src = (((g * cinG + c) * coutG + m) * kh + i) * kw + j;
                            long dst = (((g * coutG + m) * cinG + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j);
                            out[(int) dst] = w.at((int) src);
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, new long[]{coutG * group, cinG, kh, kw}, org.nd4j.linalg.api.buffer.DataType.DOUBLE);
    }
}
