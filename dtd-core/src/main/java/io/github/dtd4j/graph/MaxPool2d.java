package io.github.dtd4j.graph;

import java.util.List;

/**
 * Max pooling over {@code [N,C,H,W]}; padded positions never win.
 *
 * @param kernelH   window height
 * @param kernelW   window width
 * @param strideH   vertical stride
 * @param strideW   horizontal stride
 * @param padTop    rows added above
 * @param padLeft   columns added left
 * @param padBottom rows added below
 * @param padRight  columns added right
 */
public record MaxPool2d(int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int padBottom,
                        int padRight) implements Layer {
    /** Validates sizes. */
    public MaxPool2d {
        Arrays2.positive("MaxPool2d kernel", kernelH, kernelW);
        Arrays2.positive("MaxPool2d stride", strideH, strideW);
        Arrays2.nonNegative("MaxPool2d padding", padTop, padLeft, padBottom, padRight);
    }

    /** {@return a square window {@code k} with stride {@code s}, no padding} @param k kernel @param s stride */
    public static MaxPool2d of(int k, int s) {
        return new MaxPool2d(k, k, s, s, 0, 0, 0, 0);
    }

    /** {@return a square window with padding {@code p} on every side} @param k kernel @param s stride @param p pad */
    public static MaxPool2d of(int k, int s, int p) {
        return new MaxPool2d(k, k, s, s, p, p, p, p);
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return Pool2dGeometry.output(node, this, inputs.get(0), kernelH, kernelW, strideH, strideW, padTop, padLeft,
                padBottom, padRight);
    }
}
