package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code BatchNormalization} in inference mode over {@code [N,C]} or {@code [N,C,H,W]} → {@link BatchNorm}, kept as
 * a layer: whether it is folded into a neighbour is the explainer's choice ({@link io.github.dtd4j.BatchNormMode}),
 * not the importer's.
 */
final class BatchNormalizationConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        Const scale = ctx.constant(1, "scale");
        Const bias = ctx.constant(2, "B");
        Const mean = ctx.constant(3, "input_mean");
        Const var = ctx.constant(4, "input_var");
        if (ctx.attrs().i("training_mode", 0) != 0) {
            throw new NotSupported("training_mode=1 (statistics of the batch)");
        }
        for (int o = 1; o < node.getOutputCount(); o++) {
            if (ctx.isRead(node.getOutput(o))) {
                throw new NotSupported("its training outputs (running mean/variance) are used");
            }
        }
        if (x.shape().rank() != 1 && x.shape().rank() != 3) {
            throw new NotSupported("BatchNormalization of a rank-" + (x.shape().rank() + 1) + " tensor "
                    + x.shape().toBatchString() + " (supported: [N,C] and [N,C,H,W])");
        }
        long c = x.shape().dim(0);
        for (Const v : List.of(scale, bias, mean, var)) {
            if (v.length() != c) {
                throw ctx.invalid("its parameters must have " + c + " values (one per channel), got "
                        + Arrays.toString(v.dims));
            }
        }
        double eps = ctx.attrs().f("epsilon", 1e-5);
        BatchNorm bn = new BatchNorm(scale.toArray(ctx.dtype(), c), bias.toArray(ctx.dtype(), c),
                mean.toArray(ctx.dtype(), c), var.toArray(ctx.dtype(), c), eps);
        ctx.emit(scale, bn, x);
    }
}
