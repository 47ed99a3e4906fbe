package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * {@code MatMul} of an activation {@code [N,K]} (or {@code [N,...,K]}: tokens, channels-last maps) by a constant
 * {@code [K,M]} → {@link Dense} with weight {@code [K,M]}, along the last axis. An added constant after it becomes
 * its bias ({@link BiasFolding}).
 */
final class MatMulConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        if (ctx.input(0) instanceof Const && ctx.input(1) instanceof Act) {
            throw new NotSupported("a constant times an activation (only activation × constant maps to Dense)");
        }
        Act x = ctx.activation(0);
        Const w = ctx.constant(1, "the second operand");
        if (w.rank() != 2) {
            throw new NotSupported("MatMul with a rank-" + w.rank() + " constant (only [N,...,K] × [K,M] maps to "
                    + "Dense)");
        }
        long k = x.shape().dim(x.shape().rank() - 1);
        if (w.dims[0] != k) {
            throw ctx.invalid("cannot multiply " + x.shape().toBatchString() + " by " + w);
        }
        ctx.emit(w, new Dense(w.toArray(ctx.dtype()), null), x);
    }
}
