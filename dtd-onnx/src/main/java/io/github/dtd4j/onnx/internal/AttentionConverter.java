package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.ConstantMul;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MatMul;
import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.Slice;
import io.github.dtd4j.graph.Softmax;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The node {@link AttentionFusion} makes of a multi-head self-attention → batch-first layers, per sample
 * {@code [T,D]} with H heads of width d = D/H: the in-projection ({@link Dense}, {@code [T,3D]}); q, k, v
 * ({@link Slice}); heads apart ({@link Reshape} {@code [T,H,d]}, {@link Permute} to {@code [H,T,d]}, k to
 * {@code [H,d,T]}); q scaled ({@link ConstantMul}); the scores {@code Q·Kᵀ} ({@link MatMul}); {@link Softmax};
 * the mixing {@code A·V} ({@link MatMul}); heads merged ({@link Permute}, {@link Reshape}); the out-projection
 * ({@link Dense}). The same function as the exported subgraph, with the batch kept on axis 0.
 */
final class AttentionConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        Shape s = x.shape();
        if (s.rank() != 2) {
            throw new NotSupported("attention over " + s.toBatchString() + " (only tokens [N,T,D])");
        }
        long t = s.dim(0);
        long d = s.dim(1);
        Const win = ctx.constant(1, "the in-projection weight");
        Const bin = ctx.constant(2, "the in-projection bias");
        Const wout = ctx.constant(3, "the out-projection weight");
        Const bout = ctx.constant(4, "the out-projection bias");
        if (win.rank() != 2 || win.dims[0] != d || win.dims[1] != 3 * d || bin.length() != 3 * d
                || wout.rank() != 2 || wout.dims[0] != d || wout.dims[1] != d || bout.length() != d) {
            throw ctx.invalid("attention weights " + win + ", " + bin + ", " + wout + ", " + bout + " do not fit "
                    + "tokens " + s.toBatchString());
        }
        long heads = ctx.attrs().has("heads") ? ctx.attrs().i("heads", 0)
                : ctx.attrs().i("head_dim", 0) > 0 && d % ctx.attrs().i("head_dim", 0) == 0
                ? d / ctx.attrs().i("head_dim", 0) : 0;
        if (heads < 1 || d % heads != 0) {
            throw ctx.invalid("cannot split width " + d + " into " + heads + " heads");
        }
        long w = d / heads;
        double scale = ctx.attrs().f("scale", 1);
        var type = ctx.dtype();
        Act qkv = add(ctx, "in_proj", new Dense(win.toArray(type), bin.toArray(type, 3 * d)), x);
        Act q = heads(ctx, "q", add(ctx, "q", slice(0, d), qkv), t, heads, w, new int[]{1, 0, 2});
        Act k = heads(ctx, "k", add(ctx, "k", slice(d, 2 * d), qkv), t, heads, w, new int[]{1, 2, 0});
        Act v = heads(ctx, "v", add(ctx, "v", slice(2 * d, 3 * d), qkv), t, heads, w, new int[]{1, 0, 2});
        if (scale != 1) {
            q = add(ctx, "q_scaled", new ConstantMul(Nd4j.scalar(type, scale)), q);
        }
        Act scores = add(ctx, "scores", new MatMul(), q, k);
        Act weights = add(ctx, "softmax", new Softmax(), scores);
        Act mixed = add(ctx, "mixed", new MatMul(), weights, v);
        Act merged = add(ctx, "merged", new Reshape(Shape.of(t, d)),
                add(ctx, "heads_merged", new Permute(new int[]{1, 0, 2}), mixed));
        INDArray wo = wout.toArray(type).transpose().dup('c');
        ctx.emit(wout, new Dense(wo, bout.toArray(type, d)), merged);
        ctx.note("fused", "multi-head attention '" + ctx.name() + "' (" + heads + " heads of " + w + "): torch's "
                + "exported subgraph, which moves the batch off axis 0, as batch-first layers");
    }

    private static Slice slice(long from, long to) {
        return new Slice(new int[]{1}, new long[]{from}, new long[]{to}, new long[]{1});
    }

    /** {@return the tokens {@code [T,D]} split into heads {@code [T,H,d]} and permuted} */
    private static Act heads(ConversionContext ctx, String what, Act x, long t, long heads, long w, int[] perm) {
        Act split = add(ctx, what + "_heads", new Reshape(Shape.of(t, heads, w)), x);
        return add(ctx, what + "_heads_permuted", new Permute(perm), split);
    }

    private static Act add(ConversionContext ctx, String what, Layer layer, Act... inputs) {
        List<IrNode> in = java.util.Arrays.stream(inputs).map(Act::node).toList();
        return new Act(ctx.graph().append(ctx.graph().unique(ctx.name() + "/" + what), layer, in, null));
    }
}
