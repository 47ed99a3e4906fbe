package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Reshape} of an activation to a constant shape whose first dimension stays the batch → {@link Reshape}
 * ({@code 0} and {@code -1} resolved); a reshape to the same shape passes through. (A reshaped constant is evaluated
 * by the {@link ConstantFolder}.)
 */
final class ReshapeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        long[] t = target(ctx);
        boolean allowZero = ctx.attrs().i("allowzero", 0) != 0;
        Act x = ctx.activation(0);
        long per = x.shape().size();
        long[] in = x.shape().withBatch(Const.BATCH);
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
        boolean batchFirst = t[0] == Const.BATCH || (ctx.staticBatch() > 0 && t[0] == ctx.staticBatch());
        boolean inferredBatch = !batchFirst && t[0] == -1;
        if (!batchFirst && !inferredBatch) {
            throw mixesBatch(t);
        }
        long[] rest = Arrays.copyOfRange(t, 1, t.length);
        long known = 1;
        int unknown = -1;
        for (int k = 0; k < rest.length; k++) {
            if (rest[k] == -1 && unknown < 0 && !inferredBatch) {
                unknown = k;
            } else if (rest[k] == Const.BATCH || rest[k] == -1) {
                throw mixesBatch(t);
            } else if (rest[k] <= 0) {
                throw ctx.invalid("shape " + Dims.format(t) + " has an invalid dimension " + rest[k]);
            } else {
                known = Dims.boundedProduct(known, rest[k]);
            }
        }
        if (unknown >= 0) {
            if (per % known != 0) {
                throw ctx.invalid("cannot reshape " + x.shape().toBatchString() + " to " + Dims.format(t));
            }
            rest[unknown] = per / known;
        } else if (known != per) {
            if (t[0] != Const.BATCH) {
                throw mixesBatch(t);
            }
            throw ctx.invalid("cannot reshape " + x.shape().toBatchString() + " (" + per + " elements per sample) to "
                    + Dims.format(t));
        }
        Shape out = Shape.of(rest);
        if (out.equals(x.shape())) {
            ctx.output(x);
            return;
        }
        ctx.emit(new Reshape(out), x);
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
