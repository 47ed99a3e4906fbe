package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.ConstantConcat;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Resize;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code Pad} with zeros on the rows and columns of {@code [N,C,H,W]} read only by Conv and AveragePool → a
 * {@link PadFolding.ZeroPad} that {@link PadFolding} folds into them; any other zero padding → {@link ConstantConcat}s
 * of zeros; reflect and edge padding → a {@link Resize} that copies; a Pad of nothing is dropped.
 */
final class PadConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        String mode = ctx.attrs().s("mode", "constant");
        if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) {
            throw new NotSupported("Pad mode '" + mode + "' (constant zeros, reflect and edge are supported)");
        }
        // opsets before 11 give the pads as an attribute, later ones as an input
        long[] p = ctx.attrs().has("pads") ? ctx.attrs().ints("pads") : ctx.constant(1, "pads").longs();
        Const value = mode.equals("constant") ? ctx.optionalConstant(2, "constant_value") : null;
        if (value != null && value.length() > 0 && value.at(0) != 0) {
            throw new NotSupported("padding with the value " + value.at(0) + " (only zeros are supported)");
        }
        if (node.getInputCount() > 3 && !node.getInput(3).isEmpty()) {
            throw new NotSupported("Pad with an axes input");
        }
        int rank = x.shape().rank() + 1;
        if (p.length != 2 * rank) {
            throw ctx.invalid("pads " + Arrays.toString(p) + " must have " + 2 * rank + " values for rank " + rank);
        }
        boolean zero = true;
        boolean spatialOnly = true;
        for (int k = 0; k < p.length; k++) {
            if (p[k] < 0) {
                throw new NotSupported("negative padding (cropping) " + Arrays.toString(p));
            }
            zero &= p[k] == 0;
            if (p[k] != 0 && (k % rank) == 0) {
                throw new NotSupported("padding the batch axis " + Arrays.toString(p));
            }
            spatialOnly &= p[k] == 0 || (rank == 4 && (k % rank) >= 2);
        }
        if (zero) {
            ctx.output(x);
            ctx.note("removed", "Pad '" + ctx.name() + "' (pads nothing)");
            return;
        }
        if (!mode.equals("constant")) {
            padWithCopies(ctx, x, p, rank, mode.equals("reflect"));
            return;
        }
        String out = ctx.onnxOutput();
        boolean folds = out != null && !ctx.isGraphOutput(out)
                && java.util.Set.of("Conv", "AveragePool").containsAll(ctx.readerOperators(out));
        if (!spatialOnly || !folds) {
            padWithConstants(ctx, x, p, rank);
            return;
        }
        int[] pads = {Geometry.bounded(ctx, "padding", p[2], 0), Geometry.bounded(ctx, "padding", p[3], 0),
            Geometry.bounded(ctx, "padding", p[6], 0), Geometry.bounded(ctx, "padding", p[7], 0)};
        ctx.emitPending(new PadFolding.ZeroPad(pads, ctx.name()), x);
    }

    /**
     * Reflect or edge padding → a {@link Resize} whose matrices copy, for each padded axis, every output position from
     * one input position (reflect: mirrored without repeating the edge; edge: the edge repeated). The copies are
     * routing: each one's relevance goes back to its source.
     */
    private static void padWithCopies(ConversionContext ctx, Act x, long[] p, int rank, boolean reflect) {
        List<Integer> axes = new ArrayList<>();
        List<INDArray> matrices = new ArrayList<>();
        for (int a = 1; a < rank; a++) {
            long before = p[a];
            long after = p[a + rank];
            if (before == 0 && after == 0) {
                continue;
            }
            int n = (int) x.shape().dim(a - 1);
            if (reflect && (before > n - 1 || after > n - 1)) {
                throw ctx.invalid("reflect padding " + Arrays.toString(p) + " is larger than axis " + a + " of "
                        + x.shape().toBatchString() + " allows");
            }
            int out = Geometry.bounded(ctx, "padding", n + before + after, 1);
            double[][] m = new double[out][n];
            for (int o = 0; o < out; o++) {
                long q = o - before;
                if (reflect) {
                    q = q < 0 ? -q : q >= n ? 2L * (n - 1) - q : q;
                } else {
                    q = Math.max(0, Math.min(n - 1, q));
                }
                m[o][(int) q] = 1;
            }
            axes.add(a - 1);
            matrices.add(Nd4j.create(m).castTo(ctx.dtype()));
        }
        ctx.emit(new Resize(axes.stream().mapToInt(Integer::intValue).toArray(), matrices), x);
        ctx.note("rewritten", "Pad '" + ctx.name() + "' (" + (reflect ? "reflect" : "edge") + ") as a Resize that "
                + "copies");
    }

    /**
     * Zero padding of other axes (a Swin transformer pads its channels-last tokens {@code [N,H,W,C]} to whole
     * windows) → one {@link ConstantConcat} of zeros per padded side: the zeros are constants, which receive no
     * relevance from the input (docs/conventions.md#constant-terms).
     */
    private static void padWithConstants(ConversionContext ctx, Act x, long[] p, int rank) {
        Act at = x;
        long[] dims = x.shape().dims().clone();
        List<Layer> layers = new ArrayList<>();
        for (int a = 1; a < rank; a++) {
            for (boolean before : new boolean[]{true, false}) {
                long n = p[before ? a : a + rank];
                if (n == 0) {
                    continue;
                }
                long[] block = dims.clone();
                block[a - 1] = Geometry.bounded(ctx, "padding", n, 0);
                layers.add(new ConstantConcat(a - 1, Nd4j.zeros(ctx.dtype(), block), before));
                dims[a - 1] += n;
            }
        }
        for (int k = 0; k < layers.size() - 1; k++) {
            at = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/" + k), layers.get(k), List.of(at.node())));
        }
        ctx.emit(layers.get(layers.size() - 1), at);
        ctx.note("constant", "Pad '" + ctx.name() + "' of " + Arrays.toString(p) + ": zeros joined as ConstantConcat");
    }
}
