package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import java.util.Arrays;

/**
 * What dtd4j cannot explain about a layer, whichever ONNX operators produced it: checked on the final layer, after
 * every rewrite (a Pad folded into a pooling adds to its padding).
 */
final class LayerLimits {
    private LayerLimits() {
    }

    /**
     * Checks a layer about to enter the graph.
     *
     * @param layer the layer
     * @throws NotSupported if a pooling window can lie entirely in the padding
     */
    static void check(Layer layer) {
        if (layer instanceof MaxPool2d p) {
            poolPadding(p.kernelH(), p.kernelW(), new int[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()});
        } else if (layer instanceof AvgPool2d p) {
            poolPadding(p.kernelH(), p.kernelW(), new int[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()});
        }
    }

    private static void poolPadding(int kh, int kw, int[] pads) {
        if (pads[0] >= kh || pads[2] >= kh || pads[1] >= kw || pads[3] >= kw) {
            throw new NotSupported("pooling padding " + Arrays.toString(pads) + " as large as the kernel " + kh + "x"
                    + kw);
        }
    }
}
