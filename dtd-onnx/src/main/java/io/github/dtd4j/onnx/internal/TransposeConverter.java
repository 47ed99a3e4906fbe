package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Transpose} of an activation → {@link Permute} of the sample's axes (channel shuffles, channels-last blocks,
 * attention heads); the identity permutation passes through. A transpose that moves the batch axis keeps the batch
 * on axis 0 of the layers and records where the ONNX tensor has it ({@link Layout}). (A transposed constant is evaluated by the
 * {@link ConstantFolder}.)
 */
final class TransposeConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.laid(0);
        Layout in = x.layout();
        int rank = in.onnxRank(x.shape());
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
        // the batch stays with its ONNX axis; the sample's axes are permuted as the other ONNX axes are
        int batchAt = -1;
        int[] axes = new int[x.shape().rank()];
        boolean identity = true;
        for (int i = 0, j = 0; i < rank; i++) {
            int from = (int) perm[i];
            if (from == in.axis()) {
                batchAt = i;
            }
            int k = in.sampleAxis(from);
            if (k >= 0) {
                identity &= k == j;
                axes[j++] = k;
            }
        }
        Layout out = new Layout(batchAt, in.merged());
        if (identity) {
            ctx.output(x.laid(out));
            return;
        }
        ctx.output(ctx.emit(new Permute(axes), x).laid(out));
    }
}
