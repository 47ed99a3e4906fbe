package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.ConstantAdd;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Folds a constant added to (or subtracted from) the output of a {@link Dense} or {@link Conv2d} into that layer's
 * bias: how exporters write MatMul + Add, and a bias kept apart from its convolution. Only when nothing else reads
 * the layer's output, which the fold changes.
 */
final class BiasFolding implements Rewrite {

    /**
     * An activation plus (or minus) a constant.
     *
     * @param constant the constant
     * @param subtract whether it is subtracted ({@code Sub}) rather than added
     * @param reads    the ONNX value of the activation
     * @param node     the ONNX node's display name
     */
    record AddConstant(Const constant, boolean subtract, String reads, String node) implements PendingOp {
        @Override
        public String operator() {
            return subtract ? "Sub" : "Add";
        }

        @Override
        public Shape outputShape(Shape input) {
            return input;
        }
    }

    @Override
    public Act rewritePending(ConversionContext ctx, PendingOp op, IrNode input) {
        if (!(op instanceof AddConstant add)) {
            return null;
        }
        boolean fusable = (input.layer() instanceof Dense d ? isRow(add.constant(), d.outFeatures())
                : input.layer() instanceof Conv2d)
                && add.reads().equals(input.onnxOutput()) && ctx.readers(add.reads()) == 1
                && !ctx.isGraphOutput(add.reads());
        if (!fusable) {
            return constantAdd(ctx, add, input);
        }
        Layer folded;
        if (input.layer() instanceof Dense d) {
            INDArray v = Biases.row(ctx, add.constant(), d.outFeatures(), input.shape().rank() + 1,
                    "the constant");
            if (add.subtract()) {
                v = v.neg();
            }
            folded = new Dense(d.weight(), d.bias() == null ? v : d.bias().add(v));
        } else {
            Conv2d conv = (Conv2d) input.layer();
            INDArray v = Biases.channel(ctx, add.constant(), conv.outChannels());
            if (add.subtract()) {
                v = v.neg();
            }
            folded = conv.withWeights(conv.weight(), conv.bias() == null ? v : conv.bias().add(v));
        }
        input.fold(folded, ctx.onnxOutput());
        ctx.note("fused", add.operator() + " '" + add.node() + "' into the bias of " + folded.kind() + " '"
                + input.name() + "'");
        return new Act(input);
    }

    /** Whether a constant is one value per output of a dense layer, or one for all, with leading 1s. */
    private static boolean isRow(Const c, long m) {
        for (int k = 0; k < c.rank() - 1; k++) {
            if (c.dims[k] != 1) {
                return false;
            }
        }
        return c.rank() == 0 || c.dims[c.rank() - 1] == m || c.dims[c.rank() - 1] == 1;
    }

    /**
     * {@return a {@link ConstantAdd} layer for a constant no layer before it can take as its bias} (a position
     * embedding): the constant must broadcast over the sample, with 1 on the batch axis if it has one
     */
    private static Act constantAdd(ConversionContext ctx, AddConstant add, IrNode input) {
        Shape in = input.shape();
        Const c = add.constant();
        int r = in.rank();
        long[] dims;
        if (c.rank() == r + 1) {
            if (c.dims[0] != 1) {
                throw new NotSupported("adding a constant " + c + " that differs per sample");
            }
            dims = java.util.Arrays.copyOfRange(c.dims, 1, c.dims.length);
        } else if (c.rank() <= r) {
            dims = new long[r];
            java.util.Arrays.fill(dims, 1);
            System.arraycopy(c.dims, 0, dims, r - c.rank(), c.rank());
        } else {
            throw new NotSupported("adding a constant " + c + " of a higher rank than " + in.toBatchString());
        }
        for (int d = 0; d < r; d++) {
            if (dims[d] != 1 && dims[d] != in.dim(d)) {
                throw new NotSupported("adding a constant " + c + " that does not broadcast over "
                        + in.toBatchString());
            }
        }
        INDArray v = c.toArray(ctx.dtype(), dims);
        if (add.subtract()) {
            v = v.neg();
        }
        ctx.note("constant", add.operator() + " '" + add.node() + "' of a constant no layer before it takes as a "
                + "bias: a ConstantAdd layer");
        return new Act(ctx.append(ctx.graph().layerName(ctx.name(), c), new ConstantAdd(v), List.of(input)));
    }
}
