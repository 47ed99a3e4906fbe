package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;

/**
 * Turns a sum over the last axis into a {@link SumPool} over the flattened sample: a {@code Reshape} of a vector
 * right before it is absorbed (PyTorch's {@code x.view(N, D/k, k).sum(2)} becomes {@code SumPool(k)}); otherwise a
 * {@link Flatten} is added before, and a {@link Reshape} after when the result keeps more than one axis.
 */
final class SumPoolLowering implements Rewrite {

    /**
     * A sum over the last axis of each sample.
     *
     * @param result the per-sample shape of the result
     * @param node   the ReduceSum node's display name
     */
    record SumOverLastAxis(Shape result, String node) implements PendingOp {
        @Override
        public String operator() {
            return "ReduceSum";
        }

        @Override
        public Shape outputShape(Shape input) {
            return result;
        }
    }

    @Override
    public Act rewritePending(ConversionContext ctx, PendingOp op, IrNode input) {
        if (!(op instanceof SumOverLastAxis sum)) {
            return null;
        }
        long[] dims = input.shape().dims();
        int k = (int) dims[dims.length - 1];
        IrGraph graph = ctx.graph();
        String name = graph.layerName(sum.node(), null);
        IrNode src = input;
        if (input.layer() instanceof Reshape && input.input(0).shape().rank() == 1) {
            src = input.input(0);
            input.absorb();
            ctx.note("rewritten", "Reshape '" + input.name() + "' + ReduceSum '" + sum.node() + "' -> SumPool(" + k
                    + ") '" + name + "'");
        } else if (dims.length > 1) {
            src = ctx.append(graph.unique(name + "/flatten"), new Flatten(), List.of(src));
            ctx.note("rewritten", "ReduceSum '" + sum.node() + "' -> Flatten + SumPool(" + k + ")");
        }
        if (sum.result().rank() == 1) {
            return new Act(ctx.append(name, new SumPool(k), List.of(src)));
        }
        IrNode pooled = ctx.append(graph.unique(name + "/sumpool"), new SumPool(k), List.of(src));
        return new Act(ctx.append(name, new Reshape(sum.result()), List.of(pooled)));
    }
}
