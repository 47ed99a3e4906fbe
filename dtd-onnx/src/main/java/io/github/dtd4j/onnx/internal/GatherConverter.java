package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.Slice;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.Arrays;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * {@code Gather} from an activation along a per-sample axis with constant indices that form a run with one step
 * ({@code x[:, 0]}, a vision transformer's class token) → {@link Slice}; a single index (a scalar) also drops the
 * axis ({@link Reshape}). (Gathering from a constant is shape arithmetic, evaluated by the {@link ConstantFolder}.)
 */
final class GatherConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.laid(0);
        Layout layout = x.layout();
        Const idx = ctx.constant(1, "indices");
        int rank = layout.onnxRank(x.shape());
        long axis = ctx.attrs().i("axis", 0);
        int onnxAxis = (int) ctx.axis(axis, rank);
        if (onnxAxis == layout.axis()) {
            throw new NotSupported("Gather along the batch axis");
        }
        // the sample's axis, counted as the batch-first ONNX axis was before layouts (1 = the sample's first)
        long ax = layout.sampleAxis(onnxAxis) + 1;
        if (!idx.isInt() || idx.rank() > 1 || idx.length() == 0) {
            throw new NotSupported("Gather with indices " + idx + " (only a scalar or a vector of integers)");
        }
        long len = x.shape().dim((int) ax - 1);
        long[] at = idx.longs();
        for (int k = 0; k < at.length; k++) {
            at[k] = at[k] < 0 ? at[k] + len : at[k];
            if (at[k] < 0 || at[k] >= len) {
                throw ctx.invalid("index " + idx.longs()[k] + " is out of range for " + len + " values");
            }
        }
        long step = at.length > 1 ? at[1] - at[0] : 1;
        for (int k = 1; k < at.length; k++) {
            if (step <= 0 || at[k] - at[k - 1] != step) {
                throw new NotSupported("Gather with indices " + Arrays.toString(idx.longs())
                        + " (only a run with one positive step)");
            }
        }
        Slice slice = new Slice(new int[]{(int) ax - 1}, new long[]{at[0]}, new long[]{at[at.length - 1] + 1},
                new long[]{step});
        if (idx.rank() == 1) {
            ctx.output(ctx.emit(slice, x).laid(layout));
            return;
        }
        Act picked = new Act(ctx.append(ctx.graph().unique(ctx.name() + "/slice"), slice, List.of(x.node())));
        long[] dims = x.shape().dims();
        long[] out = new long[dims.length - 1];
        for (int d = 0, j = 0; d < dims.length; d++) {
            if (d != ax - 1) {
                out[j++] = dims[d];
            }
        }
        // a scalar index drops the axis: the batch axis moves up if it came after it
        Layout dropped = new Layout(onnxAxis < layout.axis() ? layout.axis() - 1 : layout.axis(), layout.merged());
        ctx.output(ctx.emit(new Reshape(Shape.of(out)), picked).laid(dropped));
    }
}
