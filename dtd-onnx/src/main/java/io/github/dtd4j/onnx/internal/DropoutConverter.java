package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/** {@code Dropout} in inference mode → {@link Dropout} (the identity at inference); its mask must be unused. */
final class DropoutConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.laid(0);
        double ratio;
        // opset 12 moved ratio and training_mode from attributes to inputs
        if (ctx.opset() >= 12) {
            Const r = ctx.optionalConstant(1, "ratio");
            ratio = r == null ? 0.5 : r.at(0);
            Const training = ctx.optionalConstant(2, "training_mode");
            // torch's functional dropout exports training_mode=true; with ratio 0 it is still the identity
            if (training != null && training.length() > 0 && training.at(0) != 0 && ratio != 0) {
                throw new NotSupported("training_mode=true (random dropout)");
            }
        } else {
            ratio = ctx.attrs().f("ratio", 0.5);
        }
        if (node.getOutputCount() > 1 && ctx.isRead(node.getOutput(1))) {
            throw new NotSupported("its mask output is used");
        }
        if (!(ratio >= 0 && ratio < 1)) {
            throw ctx.invalid("ratio " + ratio + " is outside [0, 1)");
        }
        ctx.output(ctx.emit(new Dropout(ratio), x).laid(x.layout()));
    }
}
