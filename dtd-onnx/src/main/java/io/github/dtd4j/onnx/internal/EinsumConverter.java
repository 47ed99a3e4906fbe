package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.MatMul;
import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Einsum} of two activations that is a batched matrix product (MaxViT's attention:
 * {@code "B G H I D, B G H J D -> B G H I J"} for the scores, {@code "B G H I J, B G H J D -> B G H I D"} for the
 * mixing) → {@link Permute}s that bring each operand to {@code [..., m, k]} and {@code [..., k, n]}, a {@link MatMul},
 * and a {@link Permute} to the output's order. The equation must keep the batch as every term's first letter, share
 * its other batch letters between both operands and the output, contract exactly one letter and keep one free letter
 * of each operand; anything else (an ellipsis, a diagonal, a sum over a letter of one operand, a constant operand) is
 * listed as unsupported.
 */
final class EinsumConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        String equation = ctx.attrs().s("equation", "").replaceAll("\\s", "");
        if (node.getInputCount() != 2) {
            throw new NotSupported("Einsum of " + node.getInputCount() + " operands (only batched products of two)");
        }
        if (!(ctx.input(0) instanceof Act) || !(ctx.input(1) instanceof Act)) {
            throw new NotSupported("Einsum with a constant operand (only products of two activations)");
        }
        Act a = ctx.activation(0);
        Act b = ctx.activation(1);
        int arrow = equation.indexOf("->");
        if (equation.contains("...") || arrow < 0) {
            throw new NotSupported("Einsum '" + equation + "' (an ellipsis or an implicit output)");
        }
        String[] terms = equation.substring(0, arrow).split(",", -1);
        String out = equation.substring(arrow + 2);
        if (terms.length != 2) {
            throw ctx.invalid("equation '" + equation + "' names " + terms.length + " operands for 2 inputs");
        }
        String ta = terms[0];
        String tb = terms[1];
        if (ta.length() != a.shape().rank() + 1 || tb.length() != b.shape().rank() + 1) {
            throw ctx.invalid("equation '" + equation + "' does not fit the ranks of " + a.shape().toBatchString()
                    + " and " + b.shape().toBatchString());
        }
        for (String t : new String[]{ta, tb, out}) {
            if (t.chars().distinct().count() != t.length()) {
                throw new NotSupported("Einsum '" + equation + "' with a repeated letter (a diagonal)");
            }
        }
        if (ta.isEmpty() || tb.isEmpty() || out.isEmpty() || ta.charAt(0) != tb.charAt(0)
                || ta.charAt(0) != out.charAt(0)) {
            throw new NotSupported("Einsum '" + equation + "' that does not keep the batch as every term's first axis");
        }
        StringBuilder batch = new StringBuilder();
        char m = 0;
        char n = 0;
        char k = 0;
        for (char c : out.substring(1).toCharArray()) {
            boolean inA = ta.indexOf(c) >= 0;
            boolean inB = tb.indexOf(c) >= 0;
            if (inA && inB) {
                batch.append(c);
            } else if (inA && m == 0) {
                m = c;
            } else if (inB && n == 0) {
                n = c;
            } else {
                throw new NotSupported("Einsum '" + equation + "' (only one free axis per operand)");
            }
        }
        for (char c : ta.substring(1).toCharArray()) {
            if (out.indexOf(c) < 0) {
                if (tb.indexOf(c) < 0 || k != 0) {
                    throw new NotSupported("Einsum '" + equation + "' (only one contracted axis, in both operands)");
                }
                k = c;
            }
        }
        for (char c : tb.substring(1).toCharArray()) {
            if (out.indexOf(c) < 0 && c != k) {
                throw new NotSupported("Einsum '" + equation + "' sums over an axis of one operand");
            }
        }
        if (m == 0 || n == 0 || k == 0) {
            throw new NotSupported("Einsum '" + equation + "' (only batched matrix products)");
        }
        String order = batch.toString();
        for (char c : order.toCharArray()) {
            if (a.shape().dim(ta.indexOf(c) - 1) != b.shape().dim(tb.indexOf(c) - 1)) {
                throw new NotSupported("Einsum '" + equation + "' that broadcasts axis " + c + " of "
                        + a.shape().toBatchString() + " and " + b.shape().toBatchString());
            }
        }
        Act left = permute(ctx, "a", a, ta, order + m + k);
        Act right = permute(ctx, "b", b, tb, order + k + n);
        String product = order + m + n;
        if (product.equals(out.substring(1))) {
            ctx.emit(new MatMul(), left, right);
            return;
        }
        Act mm = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/product"), new MatMul(),
                List.of(left.node(), right.node())));
        ctx.emit(permutation(ta.charAt(0) + product, out), mm);
    }

    /** {@return the operand with its sample axes in the given order (letters after the batch's), or itself} */
    private static Act permute(ConversionContext ctx, String what, Act x, String term, String to) {
        Permute p = permutation(term, term.charAt(0) + to);
        if (p == null) {
            return x;
        }
        return new Act(ctx.append(ctx.graph().unique(ctx.name() + "/" + what), p, List.of(x.node())));
    }

    /** {@return the permutation of sample axes from one term to another (both batch-first), or null if none} */
    private static Permute permutation(String from, String to) {
        int[] axes = new int[to.length() - 1];
        boolean identity = true;
        for (int j = 1; j < to.length(); j++) {
            axes[j - 1] = from.indexOf(to.charAt(j)) - 1;
            identity &= axes[j - 1] == j - 1;
        }
        return identity ? null : new Permute(axes);
    }
}
