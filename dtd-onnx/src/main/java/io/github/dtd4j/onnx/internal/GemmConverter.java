package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Gemm} of an activation {@code [N,K]} by a constant → {@link Dense} with weight {@code [in,out]}: transB,
 * alpha and beta are folded into the parameters; transA would mix the batch into the features.
 */
final class GemmConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        Const bm = ctx.constant(1, "B (the weight)");
        Const c = ctx.optionalConstant(2, "C (the bias)");
        if (ctx.attrs().i("transA", 0) != 0) {
            throw new NotSupported("transA=1 would mix the batch into the features");
        }
        if (x.shape().rank() != 1) {
            throw ctx.invalid("A must be [N,K], got " + x.shape().toBatchString());
        }
        if (bm.rank() != 2) {
            throw ctx.invalid("B must be a matrix, got dimensions " + Arrays.toString(bm.dims));
        }
        boolean transB = ctx.attrs().i("transB", 0) != 0;
        double alpha = ctx.attrs().f("alpha", 1.0);
        double beta = ctx.attrs().f("beta", 1.0);
        INDArray w = transB ? bm.transposedArray(ctx.dtype()) : bm.toArray(ctx.dtype());
        if (alpha != 1.0) {
            w = w.mul(alpha);
        }
        long m = w.size(1);
        INDArray bias = null;
        if (c != null && beta != 0.0) {
            bias = Biases.row(ctx, c, m, 2, "C");
            if (beta != 1.0) {
                bias = bias.mul(beta);
            }
        }
        ctx.emit(bm, new Dense(w, bias), x);
    }
}
