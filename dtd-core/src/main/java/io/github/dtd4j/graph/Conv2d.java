package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Two-dimensional convolution (cross-correlation, as in PyTorch and ONNX) over {@code [N,C,H,W]} inputs.
 *
 * @param weight     {@code [out, in/groups, kh, kw]}
 * @param bias       {@code [out]}, or {@code null}
 * @param strideH    vertical stride
 * @param strideW    horizontal stride
 * @param padTop     zero rows added above
 * @param padLeft    zero columns added left
 * @param padBottom  zero rows added below
 * @param padRight   zero columns added right
 * @param dilationH  vertical dilation
 * @param dilationW  horizontal dilation
 * @param groups     channel groups; {@code groups == in == out} is a depthwise convolution
 */
public record Conv2d(INDArray weight, INDArray bias, int strideH, int strideW, int padTop, int padLeft,
                     int padBottom, int padRight, int dilationH, int dilationW, int groups) implements Layer {
    /** Validates the weight rank, bias length, strides, paddings, dilations and groups. */
    public Conv2d {
        Arrays2.requireRank(weight, 4, "Conv2d weight");
        bias = Arrays2.requireVector(bias, weight.size(0), "Conv2d bias");
        Arrays2.positive("Conv2d stride", strideH, strideW);
        Arrays2.positive("Conv2d dilation", dilationH, dilationW);
        Arrays2.nonNegative("Conv2d padding", padTop, padLeft, padBottom, padRight);
        Arrays2.positive("Conv2d groups", groups);
        if (weight.size(0) % groups != 0) {
            throw new InvalidGraphException("Conv2d: " + weight.size(0) + " output channels are not divisible by "
                    + groups + " groups");
        }
    }

    /** {@return a stride-1, unpadded convolution} @param weight {@code [out,in,kh,kw]} @param bias or null */
    public static Conv2d of(INDArray weight, INDArray bias) {
        return new Conv2d(weight, bias, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    }

    /** {@return a copy with stride {@code s} in both directions} @param s stride */
    public Conv2d withStride(int s) {
        return withStride(s, s);
    }

    /** {@return a copy with the given strides} @param sh vertical @param sw horizontal */
    public Conv2d withStride(int sh, int sw) {
        return new Conv2d(weight, bias, sh, sw, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
    }

    /** {@return a copy with {@code p} zeros on every side} @param p padding */
    public Conv2d withPadding(int p) {
        return withPadding(p, p, p, p);
    }

    /** {@return a copy with the given paddings} @param top rows @param left cols @param bottom rows @param right cols */
    public Conv2d withPadding(int top, int left, int bottom, int right) {
        return new Conv2d(weight, bias, strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups);
    }

    /** {@return a copy with dilation {@code d} in both directions} @param d dilation */
    public Conv2d withDilation(int d) {
        return new Conv2d(weight, bias, strideH, strideW, padTop, padLeft, padBottom, padRight, d, d, groups);
    }

    /** {@return a copy with the given number of groups} @param g groups */
    public Conv2d withGroups(int g) {
        return new Conv2d(weight, bias, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, g);
    }

    /** {@return a copy with other weights and bias, same geometry} @param w weight @param b bias or null */
    public Conv2d withWeights(INDArray w, INDArray b) {
        return new Conv2d(w, b, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
    }

    /** {@return output channels} */
    public long outChannels() {
        return weight.size(0);
    }

    /** {@return input channels} */
    public long inChannels() {
        return weight.size(1) * groups;
    }

    /** {@return kernel height} */
    public int kernelH() {
        return (int) weight.size(2);
    }

    /** {@return kernel width} */
    public int kernelW() {
        return (int) weight.size(3);
    }

    /** {@return true if the padding is the same above and below, and left and right} */
    public boolean symmetricPadding() {
        return padTop == padBottom && padLeft == padRight;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if (in.rank() != 3 || in.dim(0) != inChannels()) {
            throw Layer.mismatch(node, this, "[N," + inChannels() + ",H,W]", in);
        }
        long oh = Math.floorDiv(in.dim(1) + padTop + padBottom - (long) dilationH * (kernelH() - 1) - 1, strideH) + 1;
        long ow = Math.floorDiv(in.dim(2) + padLeft + padRight - (long) dilationW * (kernelW() - 1) - 1, strideW) + 1;
        if (oh <= 0 || ow <= 0) {
            throw Layer.invalid(node, this, "kernel " + kernelH() + "x" + kernelW() + " (dilation " + dilationH + "x"
                    + dilationW + ") does not fit input " + in.toBatchString() + " with its padding");
        }
        return Shape.of(outChannels(), oh, ow);
    }

    @Override
    public String toString() {
        return "Conv2d[weight=" + Arrays2.describe(weight) + ", bias=" + Arrays2.describe(bias) + ", stride=" + strideH
                + "x" + strideW + ", padding=" + padTop + "," + padLeft + "," + padBottom + "," + padRight + ", dilation="
                + dilationH + "x" + dilationW + ", groups=" + groups + "]";
    }
}
