package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Pad} with zeros on the rows and columns of {@code [N,C,H,W]} → a {@link PadFolding.ZeroPad} that
 * {@link PadFolding} folds into the Conv or AveragePool reading it; a Pad of nothing is dropped.
 */
final class PadConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        String mode = ctx.attrs().s("mode", "constant");
        if (!mode.equals("constant")) {
            throw new NotSupported("Pad mode '" + mode + "' (only zero padding is supported)");
        }
        // opsets before 11 give the pads as an attribute, later ones as an input
        long[] p = ctx.attrs().has("pads") ? ctx.attrs().ints("pads") : ctx.constant(1, "pads").longs();
        Const value = ctx.optionalConstant(2, "constant_value");
        if (value != null && value.length() > 0 && value.at(0) != 0) {
            throw new NotSupported("padding with the value " + value.at(0) + " (only zeros are supported)");
        }
        if (node.getInputCount() > 3 && !node.getInput(3).isEmpty()) {
            throw new NotSupported("Pad with an axes input");
        }
        int rank = x.shape().rank() + 1;
        if (p.length != 2 * rank) {
            throw ctx.invalid("pads " + Arrays.toString(p) + " must have " + 2 * rank + " values for rank " + rank);
        }
        boolean zero = true;
        for (int k = 0; k < p.length; k++) {
            if (p[k] < 0) {
                throw new NotSupported("negative padding (cropping) " + Arrays.toString(p));
            }
            zero &= p[k] == 0;
            boolean spatial = rank == 4 && (k % rank) >= 2;
            if (p[k] != 0 && !spatial) {
                throw new NotSupported("padding other than the rows and columns of [N,C,H,W] " + Arrays.toString(p));
            }
        }
        if (zero) {
            ctx.output(x);
            ctx.note("removed", "Pad '" + ctx.name() + "' (pads nothing)");
            return;
        }
        int[] pads = {Geometry.bounded(ctx, "padding", p[2], 0), Geometry.bounded(ctx, "padding", p[3], 0),
            Geometry.bounded(ctx, "padding", p[6], 0), Geometry.bounded(ctx, "padding", p[7], 0)};
        ctx.emitPending(new PadFolding.ZeroPad(pads, ctx.name()), x);
    }
}
