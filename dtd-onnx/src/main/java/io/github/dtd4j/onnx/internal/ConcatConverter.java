package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.ConstantConcat;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code Concat} of activations along any axis but the batch → {@link Concat}; one input passes through; an
 * activation joined with constant blocks that have 1 on the batch axis (a class token) → {@link ConstantConcat}.
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
        List<Const> before = new ArrayList<>();
        List<Const> after = new ArrayList<>();
        Shape first = null;
        for (int k = 0; k < ins.size(); k++) {
            if (ins.get(k) instanceof Const c) {
                (from.isEmpty() ? before : after).add(c);
                continue;
            }
            if (!(ins.get(k) instanceof Act)) {
                throw new NotSupported("concatenating an activation with a padded tensor");
            }
            if (!after.isEmpty()) {
                throw new NotSupported("constants between the activations of a Concat");
            }
            Act x = ctx.activation(k);
            first = first == null ? x.shape() : first;
            if (x.shape().rank() != first.rank()) {
                throw ctx.invalid("inputs of different ranks " + first.toBatchString() + " and "
                        + x.shape().toBatchString());
            }
            from.add(x);
        }
        if (from.isEmpty()) {
            throw ctx.invalid("has no activation input");
        }
        int rank = first.rank() + 1;
        long ax = ctx.axis(axis, rank);
        if (ax == 0) {
            throw new NotSupported("concatenation along the batch axis");
        }
        if ((!before.isEmpty() || !after.isEmpty()) && from.size() > 1) {
            throw new NotSupported("a Concat of several activations and constants");
        }
        if (before.isEmpty() && after.isEmpty()) {
            if (from.size() == 1) {
                ctx.output(from.get(0));
                return;
            }
            ctx.emit(new Concat((int) ax - 1), from.toArray(new Act[0]));
            return;
        }
        // a constant block, the same for every sample (its batch axis 1): a class token before the patch tokens
        Act x = from.get(0);
        if (!before.isEmpty() && !after.isEmpty()) {
            Act joined = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/before"),
                    new ConstantConcat((int) ax - 1, block(ctx, before, x, (int) ax), true), List.of(x.node())));
            ctx.emit(new ConstantConcat((int) ax - 1, block(ctx, after, x, (int) ax), false), joined);
            return;
        }
        boolean isBefore = !before.isEmpty();
        List<Const> consts = isBefore ? before : after;
        ctx.emit(consts.get(0), new ConstantConcat((int) ax - 1, block(ctx, consts, x, (int) ax), isBefore), x);
    }

    /** {@return the constants joined along the axis, as one per-sample block (their batch axis of 1 dropped)} */
    private static INDArray block(ConversionContext ctx, List<Const> consts, Act x, int axis) {
        INDArray[] parts = new INDArray[consts.size()];
        for (int k = 0; k < parts.length; k++) {
            Const c = consts.get(k);
            INDArray a = c.rank() == x.shape().rank() + 1 ? c.toArray(ctx.dtype()) : null;
            if (a != null && c.dims[0] > 1 && c.dims[0] == ctx.staticBatch() && sameForEverySample(a)) {
                // a model exported with a fixed batch expanded the block to it: one sample's block stands for all
                a = a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)).dup();
            }
            if (a == null || a.size(0) != 1) {
                throw new NotSupported("concatenating " + x.shape().toBatchString() + " with the constant " + c
                        + " (only a block with 1 on the batch axis, the same for every sample)");
            }
            parts[k] = a;
        }
        INDArray all = parts.length == 1 ? parts[0] : Nd4j.concat(axis, parts);
        return all.reshape(java.util.Arrays.copyOfRange(all.shape(), 1, all.rank())).dup();
    }

    private static boolean sameForEverySample(INDArray a) {
        INDArray first = a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1));
        for (long n = 1; n < a.size(0); n++) {
            if (!a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(n, n + 1)).equals(first)) {
                return false;
            }
        }
        return true;
    }
}
