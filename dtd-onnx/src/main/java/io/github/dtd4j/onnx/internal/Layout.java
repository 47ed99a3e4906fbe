package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Shape;

/**
 * Where the batch sits in an activation's ONNX tensor. dtd4j's layers keep the batch on axis 0 and see one sample's
 * shape S. Exporters move the batch (a {@code Transpose} that puts the heads or the tokens first) or merge it with
 * windows or heads (a Swin transformer's {@code Reshape} to {@code [N·windows, tokens, C]}), and move it back later.
 * The importer follows it: the ONNX tensor is S with the batch axis inserted at {@code axis}, or, when
 * {@code merged}, S with its dimension at {@code axis} multiplied by the batch size (sample-major: ONNX row
 * {@code n·k + w} is sample n's row w). Both have the memory order of the batch-first tensor {@code [N, S...]} up to
 * a permutation that keeps each sample's elements together, so per-sample layers compute the same values.
 *
 * <p>A few converters follow a moved or merged batch (Reshape, Transpose, Gather, MatMul, constant Add and Mul,
 * Softmax, Identity, Dropout); every other one needs the batch on axis 0, alone, and says so.
 *
 * @param axis   the ONNX axis that holds the batch
 * @param merged whether that axis holds the batch times the sample's own dimension there
 */
record Layout(int axis, boolean merged) {
    /** The batch alone on axis 0: how every graph input and most tensors are laid out. */
    static final Layout STANDARD = new Layout(0, false);

    /** {@return whether the batch is alone on axis 0} */
    boolean standard() {
        return axis == 0 && !merged;
    }

    /** {@return the ONNX tensor's rank} @param s the sample's shape */
    int onnxRank(Shape s) {
        return s.rank() + (merged ? 0 : 1);
    }

    /**
     * {@return the ONNX tensor's dimensions, the batch written {@link Const#BATCH} or {@link Const#batchTimes k·N}}
     *
     * @param s the sample's shape
     */
    long[] onnxDims(Shape s) {
        long[] per = s.dims();
        long[] out = new long[onnxRank(s)];
        for (int a = 0, j = 0; a < out.length; a++) {
            if (a == axis) {
                out[a] = merged ? Const.batchTimes(per[j++]) : Const.BATCH;
            } else {
                out[a] = per[j++];
            }
        }
        return out;
    }

    /**
     * {@return the sample's axis that ONNX axis {@code a} is, or -1 for the batch axis when it is not merged}
     *
     * @param a an ONNX axis in {@code [0, rank)}
     */
    int sampleAxis(int a) {
        if (merged || a < axis) {
            return a;
        }
        return a == axis ? -1 : a - 1;
    }

    /** {@return how a message names the layout} */
    String describe() {
        return merged ? "merges the batch into axis " + axis + " (as windows or heads)"
                : "has the batch on axis " + axis;
    }

    /**
     * {@return a constant that broadcasts over the ONNX tensor, as one that broadcasts over the sample {@code s}}: its
     * dimension on the batch axis must be 1
     *
     * @param c    the constant
     * @param s    the sample's shape
     * @param what what the constant does, for messages
     * @throws NotSupported if the constant spans the batch axis or has a higher rank
     */
    Const sampleConstant(Const c, Shape s, String what) {
        int r = onnxRank(s);
        if (c.rank() > r) {
            throw new NotSupported(what + " " + c + " of a higher rank than the tensor " + Dims.format(onnxDims(s)));
        }
        long[] padded = new long[r];
        java.util.Arrays.fill(padded, 1);
        System.arraycopy(c.dims, 0, padded, r - c.rank(), c.rank());
        if (padded[axis] != 1) {
            throw new NotSupported(what + " " + c + " that differs along the batch axis " + axis + " of "
                    + Dims.format(onnxDims(s)));
        }
        long[] dims = new long[s.rank()];
        for (int a = 0; a < r; a++) {
            int k = sampleAxis(a);
            if (k >= 0) {
                dims[k] = padded[a];
            }
        }
        return c.withDims(dims, c.origin);
    }
}
