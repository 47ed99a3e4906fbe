package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Concat} of activations along any axis but the batch → {@link Concat}; one input passes through.
 * (Concatenated integer vectors are shape arithmetic, evaluated by the {@link ConstantFolder}.)
 */
final class ConcatConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        long axis = ctx.attrs().required("axis");
        List<Value> ins = new ArrayList<>();
        for (int k = 0; k < node.getInputCount(); k++) {
            ins.add(ctx.input(k));
        }
        if (ins.isEmpty()) {
            throw ctx.invalid("has no inputs");
        }
        List<Act> from = new ArrayList<>();
        Shape first = null;
        for (int k = 0; k < ins.size(); k++) {
            if (!(ins.get(k) instanceof Act)) {
                throw new NotSupported("concatenating an activation with a constant or a padded tensor");
            }
            Act x = ctx.activation(k);
            first = first == null ? x.shape() : first;
            if (x.shape().rank() != first.rank()) {
                throw ctx.invalid("inputs of different ranks " + first.toBatchString() + " and "
                        + x.shape().toBatchString());
            }
            from.add(x);
        }
        int rank = first.rank() + 1;
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw ctx.invalid("axis " + axis + " is out of range for rank " + rank);
        }
        if (ax == 0) {
            throw new NotSupported("concatenation along the batch axis");
        }
        if (from.size() == 1) {
            ctx.output(from.get(0));
            return;
        }
        ctx.emit(new Concat((int) ax - 1), from.toArray(new Act[0]));
    }
}
