package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Add;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Add} of two activations of the same shape → {@link Add}; {@code Add} or {@code Sub} of an activation and a
 * constant → an {@link BiasFolding.AddConstant} that {@link BiasFolding} folds into the bias of the layer before it.
 * (Two constants are shape arithmetic, evaluated by the {@link ConstantFolder}.)
 */
final class AddConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        boolean sub = ctx.operator().equals("Sub");
        Value x = ctx.input(0);
        Value y = ctx.input(1);
        if (x == null || y == null) {
            throw ctx.invalid("needs two inputs");
        }
        if (x instanceof Act && y instanceof Act) {
            Act ax = ctx.activation(0);
            Act ay = ctx.activation(1);
            if (sub) {
                throw new NotSupported("the difference of two activations");
            }
            if (!ax.shape().equals(ay.shape())) {
                throw new NotSupported("adding activations of different shapes " + ax.shape().toBatchString()
                        + " and " + ay.shape().toBatchString() + " (broadcasting)");
            }
            ctx.emit(new Add(), ax, ay);
            return;
        }
        int at = x instanceof Act ? 0 : 1;
        Act act = ctx.laid(at);
        if (sub && at == 1) {
            throw new NotSupported("a constant minus an activation");
        }
        Const c = (Const) (at == 0 ? y : x);
        Layout l = act.layout();
        if (!l.standard()) {
            // the constant as one that broadcasts over the sample: a bias, a relative position bias, a mask
            c = l.sampleConstant(c, act.shape(), "adding a constant");
        }
        Act out = ctx.emitPending(new BiasFolding.AddConstant(c, sub, node.getInput(at), ctx.name()), act);
        ctx.output(out.laid(l));
    }
}
