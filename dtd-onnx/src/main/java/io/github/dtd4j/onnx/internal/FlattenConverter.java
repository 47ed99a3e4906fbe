package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/** {@code Flatten} with axis 1 → {@link Flatten}; an activation that already is {@code [N,D]} passes through. */
final class FlattenConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        long axis = ctx.attrs().i("axis", 1);
        Act x = ctx.activation(0);
        int rank = x.shape().rank() + 1;
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax > rank) {
            throw ctx.invalid("axis " + axis + " is out of range for rank " + rank);
        }
        if (ax != 1) {
            throw new NotSupported("Flatten with axis " + axis + " would mix the batch into the features (only "
                    + "axis 1 is supported)");
        }
        if (x.shape().rank() == 1) {
            ctx.output(x);
            return;
        }
        ctx.emit(new Flatten(), x);
    }
}
