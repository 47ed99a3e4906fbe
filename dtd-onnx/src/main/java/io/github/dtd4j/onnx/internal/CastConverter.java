package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code Cast} of an activation to the model's own type passes it through; any other cast of an activation is
 * unsupported. (Casts of constants are evaluated by the {@link ConstantFolder}.)
 */
final class CastConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        long to = ctx.attrs().i("to", 0);
        Act x = ctx.activation(0);
        if ((to == OnnxTensors.FLOAT && ctx.dtype() == DataType.FLOAT)
                || (to == OnnxTensors.DOUBLE && ctx.dtype() == DataType.DOUBLE)) {
            ctx.output(x);
            return;
        }
        throw new NotSupported("casting an activation to " + OnnxTensors.typeName((int) to));
    }
}
