package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * {@code MatMul} of an activation {@code [N,K]} (or {@code [N,...,K]}: tokens, channels-last maps) by a constant
 * {@code [K,M]} → {@link Dense} with weight {@code [K,M]}, along the last axis. An added constant after it becomes
 * its bias ({@link BiasFolding}). Two activations {@code [N,...,m,k]·[N,...,k,n]} (attention) →
 * {@link io.github.dtd4j.graph.MatMul}.
 */
final class MatMulConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        if (ctx.input(0) instanceof Const && ctx.input(1) instanceof Act) {
            throw new NotSupported("a constant times an activation (only activation × constant maps to Dense)");
        }
        if (ctx.input(0) instanceof Act && ctx.input(1) instanceof Act) {
            Act a = ctx.laid(0);
            Act b = ctx.laid(1);
            Layout l = a.layout();
            int rank = l.onnxRank(a.shape());
            if (!l.equals(b.layout()) || l.axis() >= rank - 2) {
                throw new NotSupported("MatMul of tensors whose batch differs in place or is one of the matrix axes ("
                        + Dims.format(l.onnxDims(a.shape())) + ", " + Dims.format(b.layout().onnxDims(b.shape())) + ")");
            }
            if (a.shape().rank() < 2 || a.shape().rank() != b.shape().rank()) {
                throw new NotSupported("MatMul of activations " + a.shape().toBatchString() + " and "
                        + b.shape().toBatchString() + " (only matrices of one rank, batched over equal leading axes)");
            }
            ctx.output(ctx.emit(new io.github.dtd4j.graph.MatMul(), a, b).laid(l));
            return;
        }
        Act x = ctx.laid(0);
        if (x.layout().axis() == x.layout().onnxRank(x.shape()) - 1) {
            throw new NotSupported("MatMul over the batch axis");
        }
        Const w = ctx.constant(1, "the second operand");
        if (w.rank() != 2) {
            throw new NotSupported("MatMul with a rank-" + w.rank() + " constant (only [N,...,K] × [K,M] maps to "
                    + "Dense)");
        }
        long k = x.shape().dim(x.shape().rank() - 1);
        if (w.dims[0] != k) {
            throw ctx.invalid("cannot multiply " + x.shape().toBatchString() + " by " + w);
        }
        ctx.output(ctx.emit(w, new Dense(w.toArray(ctx.dtype()), null), x).laid(x.layout()));
    }
}
