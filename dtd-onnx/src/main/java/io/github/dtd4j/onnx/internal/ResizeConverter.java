package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Resize;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code Resize} (opsets 11–17) in {@code nearest} or {@code linear} mode → {@link Resize} with one matrix per
 * resampled per-sample axis, computed as the operator's specification (and ONNX Runtime) computes the sampling: the
 * output size from {@code sizes} or {@code floor(in · scale)}; the source coordinate of output index {@code o} by the
 * {@code coordinate_transformation_mode} ({@code half_pixel}, {@code pytorch_half_pixel}, {@code align_corners},
 * {@code asymmetric}, {@code tf_half_pixel_for_nn}); nearest mode rounding it by {@code nearest_mode} and clamping it
 * into the input, linear mode clamping it into {@code [0, in − 1]} and weighting the two neighbours. PyTorch's
 * {@code F.interpolate(mode='nearest')} exports asymmetric/floor, {@code mode='bilinear'} pytorch_half_pixel (or
 * align_corners). Cubic mode, {@code tf_crop_and_resize} and resampling the batch axis are listed as unsupported.
 */
final class ResizeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        String mode = ctx.attrs().s("mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw new NotSupported("Resize mode '" + mode + "' (nearest and linear only)");
        }
        String transform = ctx.attrs().s("coordinate_transformation_mode", "half_pixel");
        String nearestMode = ctx.attrs().s("nearest_mode", "round_prefer_floor");
        Const scales = ctx.optionalConstant(2, "scales");
        Const sizes = ctx.optionalConstant(3, "sizes");
        if (scales != null && scales.length() == 0) {
            scales = null;
        }
        if (sizes != null && sizes.length() == 0) {
            sizes = null;
        }
        long[] in = x.shape().withBatch(1);
        int rank = in.length;
        if ((scales == null) == (sizes == null)) {
            throw ctx.invalid("needs exactly one of scales and sizes");
        }
        if ((scales != null ? scales.length() : sizes.length()) != rank) {
            throw ctx.invalid("scales or sizes must have " + rank + " values for " + x.shape().toBatchString());
        }
        List<Integer> axes = new ArrayList<>();
        List<INDArray> matrices = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            double scale;
            long out;
            if (sizes != null) {
                out = sizes.longs()[a];
                scale = (double) out / in[a];
            } else {
                scale = scales.at(a);
                if (!(scale > 0)) {
                    throw ctx.invalid("scale " + scale + " on axis " + a + " is not positive");
                }
                out = (long) Math.floor(in[a] * scale);
            }
            if (a == 0) {
                if (sizes != null ? !Const.isBatch(sizes.longs()[0]) && out != 1 && out != ctx.staticBatch()
                        : scale != 1) {
                    throw new NotSupported("Resize of the batch axis");
                }
                continue;
            }
            if (out < 1 || out > Integer.MAX_VALUE / Math.max(1, in[a])) {
                throw ctx.invalid("output size " + out + " on axis " + a + " is out of range");
            }
            double[][] m = matrix(ctx, mode, transform, nearestMode, (int) in[a], (int) out, scale);
            if (!isIdentity(m)) {
                axes.add(a - 1);
                matrices.add(Nd4j.create(m).castTo(ctx.dtype()));
            }
        }
        if (axes.isEmpty()) {
            ctx.output(x);
            ctx.note("removed", "Resize '" + ctx.name() + "' (resamples nothing)");
            return;
        }
        ctx.emit(new Resize(axes.stream().mapToInt(Integer::intValue).toArray(), matrices), x);
    }

    /** {@return the sampling matrix {@code [out, in]} of one axis} */
    static double[][] matrix(ConversionContext ctx, String mode, String transform, String nearestMode, int in, int out,
                             double scale) {
        double[][] m = new double[out][in];
        for (int o = 0; o < out; o++) {
            double c = switch (transform) {
                case "half_pixel" -> (o + 0.5) / scale - 0.5;
                case "pytorch_half_pixel" -> out > 1 ? (o + 0.5) / scale - 0.5 : 0;
                case "align_corners" -> out == 1 ? 0 : o * (in - 1.0) / (out - 1.0);
                case "asymmetric" -> o / scale;
                case "tf_half_pixel_for_nn" -> (o + 0.5) / scale;
                default -> throw new NotSupported("Resize coordinate_transformation_mode '" + transform + "'");
            };
            if (mode.equals("nearest")) {
                long i = switch (nearestMode) {
                    case "round_prefer_floor" -> c == Math.floor(c) + 0.5 ? (long) Math.floor(c) : Math.round(c);
                    case "round_prefer_ceil" -> c == Math.floor(c) + 0.5 ? (long) Math.ceil(c) : Math.round(c);
                    case "floor" -> (long) Math.floor(c);
                    case "ceil" -> (long) Math.ceil(c);
                    default -> throw ctx.invalid("unknown nearest_mode '" + nearestMode + "'");
                };
                m[o][(int) Math.max(0, Math.min(in - 1, i))] = 1;
            } else {
                double cc = Math.max(0, Math.min(in - 1, c));
                int i0 = (int) Math.floor(cc);
                int i1 = Math.min(i0 + 1, in - 1);
                double w1 = cc - i0;
                m[o][i0] += 1 - w1;
                m[o][i1] += w1;
            }
        }
        return m;
    }

    private static boolean isIdentity(double[][] m) {
        if (m.length != m[0].length) {
            return false;
        }
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                if (m[i][j] != (i == j ? 1 : 0)) {
                    return false;
                }
            }
        }
        return true;
    }
}
