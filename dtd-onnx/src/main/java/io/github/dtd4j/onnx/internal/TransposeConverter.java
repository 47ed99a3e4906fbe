package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Transpose} of an activation with the batch axis in place → {@link Permute} (channel shuffles, channels-last
 * blocks, attention heads); the identity permutation passes through. (A transposed constant is evaluated by the
 * {@link ConstantFolder}.)
 */
final class TransposeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        int rank = x.shape().rank() + 1;
        long[] perm = ctx.attrs().ints("perm");
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        if (perm.length != rank) {
            throw ctx.invalid("perm " + Arrays.toString(perm) + " does not fit a rank-" + rank + " input");
        }
        boolean[] seen = new boolean[rank];
        for (long p : perm) {
            if (p < 0 || p >= rank || seen[(int) p]) {
                throw ctx.invalid("perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (rank - 1));
            }
            seen[(int) p] = true;
        }
        if (perm[0] != 0) {
            throw new NotSupported("Transpose with perm " + Arrays.toString(perm) + " moves the batch axis");
        }
        int[] axes = new int[rank - 1];
        boolean identity = true;
        for (int i = 1; i < rank; i++) {
            axes[i - 1] = (int) perm[i] - 1;
            identity &= perm[i] == i;
        }
        if (identity) {
            ctx.output(x);
            return;
        }
        ctx.emit(new Permute(axes), x);
    }
}
