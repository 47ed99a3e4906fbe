package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;

/**
 * Folds a zero {@code Pad} into the padding of the {@link Conv2d} or {@link AvgPool2d} that reads it: how PyTorch
 * writes asymmetric padding and {@code AvgPool2d(padding=p, count_include_pad=True)}. A MaxPool cannot absorb it
 * (it pads with -inf), nor can any other layer.
 */
final class PadFolding implements Rewrite {

    /**
     * Zeros added around the rows and columns of {@code [N,C,H,W]}, not yet materialised.
     *
     * @param pads rows above, columns left, rows below, columns right
     * @param node the Pad node's display name
     */
    record ZeroPad(int[] pads, String node) implements PendingOp {
        @Override
        public String operator() {
            return "Pad";
        }

        @Override
        public Shape outputShape(Shape input) {
            return Shape.of(input.dim(0), input.dim(1) + pads[0] + pads[2], input.dim(2) + pads[1] + pads[3]);
        }

        @Override
        public String refusal(String consumer) {
            return switch (consumer) {
                case "Conv", "AveragePool" -> null;
                case "MaxPool" -> "Pad '" + node + "' (zeros) before a MaxPool (which pads with -inf)";
                default -> "Pad '" + node + "' before " + consumer + " (a Pad is supported only before Conv and "
                        + "AveragePool)";
            };
        }
    }

    @Override
    public Act rewriteLayer(ConversionContext ctx, String name, Layer layer, List<IrNode> inputs) {
        if (inputs.size() != 1 || !(inputs.get(0).pending() instanceof ZeroPad pad)) {
            return null;
        }
        List<IrNode> unpadded = List.of(inputs.get(0).input(0));
        if (layer instanceof Conv2d conv) {
            int[] p = merge(ctx, pad, conv.padTop(), conv.padLeft(), conv.padBottom(), conv.padRight());
            IrNode out = ctx.append(name, conv.withPadding(p[0], p[1], p[2], p[3]), unpadded);
            ctx.note("merged", "Pad '" + pad.node() + "' into Conv2d '" + name + "'");
            return new Act(out);
        }
        if (layer instanceof AvgPool2d pool) {
            boolean padsAgain = pool.padTop() != 0 || pool.padLeft() != 0 || pool.padBottom() != 0
                    || pool.padRight() != 0;
            if (!pool.countIncludePad() && padsAgain) {
                throw new NotSupported("Pad '" + pad.node() + "' before an AveragePool that pads again with "
                        + "count_include_pad=0");
            }
            int[] p = merge(ctx, pad, pool.padTop(), pool.padLeft(), pool.padBottom(), pool.padRight());
            IrNode out = ctx.append(name, new AvgPool2d(pool.kernelH(), pool.kernelW(), pool.strideH(),
                    pool.strideW(), p[0], p[1], p[2], p[3], true), unpadded);
            ctx.note("merged", "Pad '" + pad.node() + "' into AvgPool2d '" + name + "' (count_include_pad)");
            return new Act(out);
        }
        return null;
    }

    /** {@return the layer's own padding plus the Pad's, each checked like any padding} */
    private static int[] merge(ConversionContext ctx, ZeroPad pad, int top, int left, int bottom, int right) {
        int[] own = {top, left, bottom, right};
        int[] out = new int[4];
        for (int k = 0; k < 4; k++) {
            out[k] = Geometry.bounded(ctx, "padding", (long) own[k] + pad.pads()[k], 0);
        }
        return out;
    }
}
