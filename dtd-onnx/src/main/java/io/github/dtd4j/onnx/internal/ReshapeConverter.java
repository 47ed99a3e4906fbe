package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Reshape} of an activation to a constant shape whose first dimension stays the batch → {@link Reshape}
 * ({@code 0} and {@code -1} resolved); a reshape to the same shape passes through. A first dimension of the batch times
 * k (a Swin transformer's windows: {@code [N·k, tokens, C]}) keeps the batch on axis 0 and k as the sample's first
 * axis, in a merged {@link Layout}; a later reshape to {@code [N, ...]} takes it out again. (A reshaped constant is
 * evaluated by the {@link ConstantFolder}.)
 */
final class ReshapeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        long[] t = target(ctx);
        boolean allowZero = ctx.attrs().i("allowzero", 0) != 0;
        Act x = ctx.laid(0);
        if (x.layout().axis() != 0) {
            throw new NotSupported("Reshape of a tensor that " + x.layout().describe() + ", "
                    + Dims.format(x.layout().onnxDims(x.shape())) + " (the batch must lead)");
        }
        long per = x.shape().size();
        long[] in = x.layout().onnxDims(x.shape());
        for (int k = 0; k < t.length; k++) {
            if (t[k] == 0) {
                if (allowZero) {
                    throw new NotSupported("allowzero=1 with a 0 in the shape (empty tensors)");
                }
                if (k >= in.length) {
                    throw ctx.invalid("shape " + Dims.format(t) + " copies dimension " + k + " of a rank-"
                            + in.length + " input");
                }
                t[k] = in[k];
            }
        }
        if (t.length == 0) {
            throw new NotSupported("reshaping to a scalar would drop the batch dimension");
        }
        // the first dimension is the batch, alone or times k windows or heads: symbolic, a multiple of a batch size
        // fixed in the file, or -1 (then k follows from the element count)
        long factor;
        if (Const.isBatch(t[0])) {
            factor = Const.batchFactor(t[0]);
        } else if (ctx.staticBatch() > 0 && t[0] > 0 && t[0] % ctx.staticBatch() == 0) {
            factor = t[0] / ctx.staticBatch();
        } else if (t[0] == -1) {
            factor = -1;
        } else {
            throw mixesBatch(t);
        }
        long[] rest = Arrays.copyOfRange(t, 1, t.length);
        long known = 1;
        int unknown = -1;
        for (int k = 0; k < rest.length; k++) {
            if (rest[k] == -1 && unknown < 0 && factor > 0) {
                unknown = k;
            } else if (Const.isBatch(rest[k]) || rest[k] == -1) {
                throw mixesBatch(t);
            } else if (rest[k] <= 0) {
                throw ctx.invalid("shape " + Dims.format(t) + " has an invalid dimension " + rest[k]);
            } else {
                known = Dims.boundedProduct(known, rest[k]);
            }
        }
        if (factor == -1) {
            if (per % known != 0) {
                throw ctx.invalid("cannot reshape " + Dims.format(in) + " to " + Dims.format(t));
            }
            factor = per / known;
        } else if (unknown >= 0) {
            long whole = Dims.boundedProduct(known, factor);
            if (per % whole != 0) {
                throw ctx.invalid("cannot reshape " + Dims.format(in) + " to " + Dims.format(t));
            }
            rest[unknown] = per / whole;
        } else if (Dims.boundedProduct(known, factor) != per) {
            throw ctx.invalid("cannot reshape " + Dims.format(in) + " (" + per + " elements per sample) to "
                    + Dims.format(t));
        }
        Layout layout = factor == 1 ? Layout.STANDARD : new Layout(0, true);
        long[] dims = rest;
        if (factor != 1) {
            dims = new long[rest.length + 1];
            dims[0] = factor;
            System.arraycopy(rest, 0, dims, 1, rest.length);
        }
        Shape out = Shape.of(dims);
        if (out.equals(x.shape())) {
            ctx.output(x.laid(layout));
            return;
        }
        ctx.output(ctx.emit(new Reshape(out), x).laid(layout));
    }

    /**
     * {@return the target shape, input 1: a constant vector of integers, copied}
     *
     * @param ctx the Reshape node
     * @throws NotSupported         if it is computed from the input
     * @throws io.github.dtd4j.errors.ModelFormatException if it is missing or not a vector of integers
     */
    static long[] target(ConversionContext ctx) {
        Const target = ctx.constant(1, "the target shape");
        if (target.rank() != 1 || !target.isInt()) {
            throw ctx.invalid("its shape input must be a vector of integers, got " + target);
        }
        return target.longs();
    }

    private static NotSupported mixesBatch(long[] t) {
        return new NotSupported("Reshape to " + Dims.format(t) + " would mix the batch dimension into a sample (the "
                + "first dimension must stay the batch)");
    }
}
