package io.github.dtd4j.graph;

import java.util.List;

/**
 * Average pooling over {@code [N,C,H,W]} with ONNX/PyTorch {@code count_include_pad} semantics.
 *
 * @param kernelH         window height
 * @param kernelW         window width
 * @param strideH         vertical stride
 * @param strideW         horizontal stride
 * @param padTop          rows added above
 * @param padLeft         columns added left
 * @param padBottom       rows added below
 * @param padRight        columns added right
 * @param countIncludePad divide by the full window (true) or by the taps inside the input (false)
 */
public record AvgPool2d(int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int padBottom,
                        int padRight, boolean countIncludePad) implements Layer {
    /** Validates sizes. */
    public AvgPool2d {
        Arrays2.positive("AvgPool2d kernel", kernelH, kernelW);
        Arrays2.positive("AvgPool2d stride", strideH, strideW);
        Arrays2.nonNegative("AvgPool2d padding", padTop, padLeft, padBottom, padRight);
    }

    /** {@return a square window {@code k} with stride {@code s}, no padding} @param k kernel @param s stride */
    public static AvgPool2d of(int k, int s) {
        return new AvgPool2d(k, k, s, s, 0, 0, 0, 0, true);
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return Pool2dGeometry.output(node, this, inputs.get(0), kernelH, kernelW, strideH, strideW, padTop, padLeft,
                padBottom, padRight);
    }
}
