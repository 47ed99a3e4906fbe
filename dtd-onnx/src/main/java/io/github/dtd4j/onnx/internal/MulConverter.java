package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Mul;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Mul} and {@code Div} of two activations → {@link Mul}, with the gate recognised: the input broadcast over
 * the other (a squeeze-and-excitation gate {@code [C,1,1]}), else the output of a sigmoid-like activation (SiLU
 * written as {@code x·σ(x)}), else none; {@code Div} always treats its divisor as the gate. Products with a
 * constant are not supported yet.
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
            Value c = x instanceof Act ? y : x;
            throw new NotSupported((div ? "dividing" : "multiplying") + " an activation by a constant " + c
                    + " (products of two activations only)");
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
}
