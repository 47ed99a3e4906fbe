package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.ConstantMul;
import io.github.dtd4j.graph.Mul;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Mul} and {@code Div} of two activations → {@link Mul}, with the gate recognised: the input broadcast over
 * the other (a squeeze-and-excitation gate {@code [C,1,1]}), else the output of a sigmoid-like activation (SiLU
 * written as {@code x·σ(x)}), else none; {@code Div} always treats its divisor as the gate. An activation times or
 * divided by a constant → {@link ConstantMul}.
 */
final class MulConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        boolean div = ctx.operator().equals("Div");
        Value x = ctx.input(0);
        Value y = ctx.input(1);
        if (x == null || y == null) {
            throw ctx.invalid("needs two inputs");
        }
        if (!(x instanceof Act) || !(y instanceof Act)) {
            constant(ctx, div, x instanceof Act ? 0 : 1);
            return;
        }
        Act a = ctx.activation(0);
        Act b = ctx.activation(1);
        Shape sa = a.shape();
        Shape sb = b.shape();
        if (sa.rank() != sb.rank()) {
            throw new NotSupported("a product of tensors of different ranks " + sa.toBatchString() + " and "
                    + sb.toBatchString() + " (broadcasting between equal ranks only)");
        }
        boolean aCovers = true;
        boolean bCovers = true;
        for (int d = 0; d < sa.rank(); d++) {
            if (sa.dim(d) != sb.dim(d) && sa.dim(d) != 1 && sb.dim(d) != 1) {
                throw ctx.invalid("inputs " + sa.toBatchString() + " and " + sb.toBatchString()
                        + " do not broadcast");
            }
            aCovers &= sa.dim(d) >= sb.dim(d);
            bCovers &= sb.dim(d) >= sa.dim(d);
        }
        if (div) {
            ctx.emit(Mul.divideByGate(), a, b);
            return;
        }
        int gate;
        if (aCovers && !bCovers) {
            gate = 1;
        } else if (bCovers && !aCovers) {
            gate = 0;
        } else if (aCovers && bCovers) {
            boolean ga = isGateActivation(a);
            boolean gb = isGateActivation(b);
            gate = gb && !ga ? 1 : ga && !gb ? 0 : -1;
        } else {
            gate = -1;
        }
        ctx.emit(new Mul(gate, false), a, b);
    }

    /** A sigmoid, hard sigmoid or tanh output: a value in a bounded range that scales the other factor. */
    private static boolean isGateActivation(Act a) {
        return a.node().layer() instanceof Activation act
                && (act.function() == Activation.Function.SIGMOID || act.function() == Activation.Function.HARD_SIGMOID
                || act.function() == Activation.Function.TANH);
    }

    /**
     * An activation times (or divided by) a constant → {@link ConstantMul}: a scalar, or a tensor that broadcasts over
     * the sample without touching the batch axis (a layer scale {@code [C,1,1]}).
     */
    private static void constant(ConversionContext ctx, boolean div, int at) {
        if (div && at == 1) {
            throw new NotSupported("a constant divided by an activation");
        }
        Act a = ctx.laid(at);
        Const c = ctx.constant(1 - at, "the constant factor");
        Shape s = a.shape();
        if (!a.layout().standard()) {
            c = a.layout().sampleConstant(c, s, "multiplying by a constant");
        }
        long[] dims = c.dims;
        long[] per;
        if (c.length() == 1) {
            per = new long[]{1};
        } else {
            // right-aligned broadcasting: the constant may omit leading axes, and must not add any beyond the batch
            if (dims.length > s.rank() + 1 || (dims.length == s.rank() + 1 && dims[0] != 1)) {
                throw new NotSupported("multiplying by a constant " + c + " that spans the batch axis");
            }
            per = new long[s.rank()];
            java.util.Arrays.fill(per, 1);
            int off = s.rank() - Math.min(dims.length, s.rank());
            for (int k = 0; k < Math.min(dims.length, s.rank()); k++) {
                long d = dims[dims.length - Math.min(dims.length, s.rank()) + k];
                if (d != 1 && d != s.dim(off + k)) {
                    throw ctx.invalid("the constant " + c + " does not broadcast over " + s.toBatchString());
                }
                per[off + k] = d;
            }
        }
        INDArray f = c.toArray(ctx.dtype(), per);
        if (div) {
            f = f.rdiv(1.0);
        }
        ctx.output(ctx.emit(c, new ConstantMul(f), a).laid(a.layout()));
    }
}
