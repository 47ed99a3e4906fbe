package io.github.dtd4j.internal;

import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.MaxPool2d;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J operations of the forward pass and of the rules' transposed passes, on NCHW arrays. Every method
 * returns a new array and leaves its arguments untouched. Argument layouts were checked against loop
 * references (see the test suite): conv2d/deconv2d take OIHW weights (format 1) and are exact adjoints.
 */
public final class Ops {
    private Ops() {
    }

    private static INDArray exec(String op, INDArray[] inputs, int... iargs) {
        return Nd4j.exec(DynamicCustomOp.builder(op).addInputs(inputs).addIntegerArguments(iargs).build())[0];
    }

    /**
     * {@return {@code s} where {@code x > 0}, else 0: a ReLU's vector-Jacobian product in one pass} (libnd4j's
     * {@code relu_bp}, pairwise {@code x > 0 ? s : 0}; zero inputs get 0, as {@code x.gt(0)} would give)
     *
     * @param x the ReLU's input
     * @param s one value per element, of x's shape and type
     */
    public static INDArray reluBackward(INDArray x, INDArray s) {
        return exec("relu_bp", new INDArray[]{x.dataType() == s.dataType() ? x : x.castTo(s.dataType()), s});
    }

    /**
     * {@return the matrix product over the last two axes, batched over the leading ones} (libnd4j's {@code matmul},
     * integer arguments transposeX, transposeY): with the oneDNN build about twice as fast as {@code INDArray.mmul}
     * (OpenBLAS) on this project's machines, [197,768]·[768,3072] in float32 7.5 ms against 17–24 ms
     */
    public static INDArray matmul(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        return exec("matmul", new INDArray[]{a, b}, transposeA ? 1 : 0, transposeB ? 1 : 0);
    }

    /** {@return x padded with {@code value} on the two spatial axes} */
    static INDArray pad(INDArray x, int top, int left, int bottom, int right, double value) {
        if (top == 0 && left == 0 && bottom == 0 && right == 0) {
            return x;
        }
        long h = x.size(2);
        long w = x.size(3);
        INDArray out = Nd4j.valueArrayOf(new long[]{x.size(0), x.size(1), h + top + bottom, w + left + right}, value,
                x.dataType());
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(top, top + h),
                NDArrayIndex.interval(left, left + w)).assign(x);
        return out;
    }

    /** {@return the spatial window {@code [top, top+h) × [left, left+w)} of x, as a new array} */
    static INDArray crop(INDArray x, long top, long left, long h, long w) {
        if (top == 0 && left == 0 && x.size(2) == h && x.size(3) == w) {
            return x;
        }
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(top, top + h),
                NDArrayIndex.interval(left, left + w)).dup();
    }

    private static INDArray channels(INDArray a, long from, long to) {
        return channelView(a, from, to).dup();
    }

    /** {@return channels {@code [from, to)} of an {@code [N, C, ...]} array, a view} */
    public static INDArray channelView(INDArray a, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = NDArrayIndex.all();
        }
        idx[1] = NDArrayIndex.interval(from, to);
        return a.get(idx);
    }

    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to)).dup();
    }

    /**
     * Convolution with the layer's geometry and the given weight (and optional bias).
     *
     * @param x NCHW input
     * @param w weight {@code [out, in/groups, kh, kw]}
     * @param b bias {@code [out]} or null
     * @param c geometry
     * @return NCHW output
     */
    public static INDArray conv2d(INDArray x, INDArray w, INDArray b, Conv2d c) {
        return conv2d(x, w, b, c, null);
    }

    /**
     * As {@link #conv2d(INDArray, INDArray, INDArray, Conv2d)}, with a depthwise layer's kernel already in libnd4j's
     * layout ({@link #depthwiseKernel}, kept by callers: a permuted copy per call costs a view, an operation and an
     * array), or null to make it here.
     */
    public static INDArray conv2d(INDArray x, INDArray w, INDArray b, Conv2d c, INDArray depthwiseKernel) {
        if (depthwise(w, c)) {
            return depthwiseConv(x, w, b, c, depthwiseKernel);
        }
        if (c.groups() > 1) {
            long cin = w.size(1);
            long cout = w.size(0) / c.groups();
            INDArray[] parts = new INDArray[c.groups()];
            for (int g = 0; g < c.groups(); g++) {
                parts[g] = conv2d1(channels(x, g * cin, (g + 1) * cin), rows(w, g * cout, (g + 1) * cout),
                        b == null ? null : rows(b, g * cout, (g + 1) * cout), c);
            }
            return Nd4j.concat(1, parts);
        }
        return conv2d1(x, w, b, c);
    }

    /** A depthwise convolution: one input channel per group, one output channel per input channel. */
    private static boolean depthwise(INDArray w, Conv2d c) {
        return c.groups() > 1 && w.size(1) == 1 && w.size(0) == c.groups();
    }

    /**
     * A depthwise convolution by libnd4j's {@code depthwise_conv2d} (oneDNN's grouped convolution in the oneDNN build:
     * about 8× faster here than kh·kw element-wise passes over strided views, 1.5–2.8 ms against 11–16 ms for 144
     * channels of 56×56); asymmetric padding is applied to the input first.
     */
    private static INDArray depthwiseConv(INDArray x, INDArray w, INDArray b, Conv2d c, INDArray kernel) {
        if (c.dilationH() != 1 || c.dilationW() != 1) {
            return depthwiseConvTaps(x, w, b, c);
        }
        boolean sym = c.symmetricPadding();
        INDArray in = sym ? x : pad(x, c.padTop(), c.padLeft(), c.padBottom(), c.padRight(), 0.0);
        INDArray k = kernel != null ? kernel : depthwiseKernel(w);
        INDArray[] args = b == null ? new INDArray[]{in, k}
                : new INDArray[]{in, k, b.rank() == 1 ? b : b.reshape(b.length())};
        return exec("depthwise_conv2d", args, depthwiseArgs(c, sym));
    }

    /**
     * The transpose of {@link #depthwiseConv}: the input gradient of libnd4j's {@code depthwise_conv2d_bp} (which
     * also computes the weight gradient; still about 10× faster here than adding each tap's share back through strided
     * views), cropped to the input where the padding was applied to it.
     */
    private static INDArray depthwiseConvTranspose(INDArray s, INDArray w, Conv2d c, long[] inShape,
                                                   INDArray flippedKernel) {
        if (c.dilationH() != 1 || c.dilationW() != 1) {
            return depthwiseConvTransposeTaps(s, w, c, inShape);
        }
        boolean sym = c.symmetricPadding();
        if (sym && c.strideH() == 1 && c.strideW() == 1 && c.padTop() < c.kernelH() && c.padLeft() < c.kernelW()) {
            // stride 1: the transpose is the depthwise convolution of s with the flipped kernel and padding k − 1 − p
            // (g_i = Σ_a s_{i+p−a} w_a), a forward convolution, which runs at about the forward pass's speed
            INDArray k = (flippedKernel != null ? flippedKernel : flippedDepthwiseKernel(w)).castTo(s.dataType());
            return exec("depthwise_conv2d", new INDArray[]{s, k}, c.kernelH(), c.kernelW(), 1, 1,
                    c.kernelH() - 1 - c.padTop(), c.kernelW() - 1 - c.padLeft(), 1, 1, 0, 0, 0);
        }
        if (spreads(c)) {
            return depthwiseConvTransposeSpread(s, flippedKernel != null ? flippedKernel : flippedDepthwiseKernel(w), c,
                    inShape);
        }
        long[] seen = sym ? inShape : new long[]{inShape[0], inShape[1], inShape[2] + c.padTop() + c.padBottom(),
            inShape[3] + c.padLeft() + c.padRight()};
        INDArray like = Nd4j.zeros(s.dataType(), seen);
        INDArray g = Nd4j.exec(DynamicCustomOp.builder("depthwise_conv2d_bp")
                .addInputs(like, depthwiseKernel(w).castTo(s.dataType()), s)
                .addIntegerArguments(depthwiseArgs(c, sym)).build())[0];
        if (sym) {
            return g;
        }
        return crop(g, c.padTop(), c.padLeft(), inShape[2], inShape[3]).dup();
    }

    /**
     * {@return whether a depthwise transpose can run as {@link #depthwiseConvTransposeSpread}}: no dilation, and no
     * padding as wide as the kernel (a window would start before the spread map)
     */
    private static boolean spreads(Conv2d c) {
        return c.dilationH() == 1 && c.dilationW() == 1 && c.padTop() < c.kernelH() && c.padBottom() < c.kernelH()
                && c.padLeft() < c.kernelW() && c.padRight() < c.kernelW();
    }

    /**
     * The transpose of a depthwise convolution (strided, or padded asymmetrically) as a stride-1 one without padding:
     * {@code g_i = Σ_{o·t + a − p = i} s_o w_a} is the correlation of the flipped kernel with {@code s} spread out by
     * the stride, zeros between
     * ({@code u[k − 1 − p + o·t] = s_o}, {@code H + k − 1} long), so that output i reads {@code u[i + b]} at flipped tap
     * b = k − 1 − a. A little faster than libnd4j's {@code depthwise_conv2d_bp}, which also computes the weight
     * gradient (4.9 against 5.1 ms for 96 channels of 112×112 at stride 2, one thread), and asymmetric padding needs no
     * padded copy and crop.
     *
     * <p>The spread map is laid out channels last (NHWC) and the result permuted back: libnd4j's oneDNN depthwise
     * convolution reorders an NCHW input to a blocked layout and back, which on the spread map of MobileNetV2's
     * second block (96 × 114 × 114) cost 3.4–5.3 ms against 0.6–0.8 ms channels last, so the whole transpose,
     * permutation included, takes 1.9–2.1 ms instead of 3.1–3.9 (one thread, in a workspace); in the explanation, its
     * four strided depthwise layers' ledger times fell by 1.5 ms (one thread) and 2.6 ms (two) per call.
     */
    private static INDArray depthwiseConvTransposeSpread(INDArray s, INDArray flippedKernel, Conv2d c,
                                                         long[] inShape) {
        int kh = c.kernelH();
        int kw = c.kernelW();
        long oh = s.size(2);
        long ow = s.size(3);
        long top = kh - 1 - c.padTop();
        long left = kw - 1 - c.padLeft();
        INDArray u = Nd4j.zeros(s.dataType(), inShape[0], inShape[2] + kh - 1, inShape[3] + kw - 1, inShape[1]);
        u.get(NDArrayIndex.all(), spread(top, c.strideH(), oh), spread(left, c.strideW(), ow), NDArrayIndex.all())
                .assign(s.permute(0, 2, 3, 1));
        // integer argument 9 = 1: channels last
        INDArray g = exec("depthwise_conv2d", new INDArray[]{u, flippedKernel.castTo(s.dataType())}, kh, kw, 1, 1, 0,
                0, 1, 1, 0, 1, 0);
        return g.permute(0, 3, 1, 2).dup('c');
    }

    /** {@return positions {@code from, from + stride, …}, {@code count} of them} */
    private static INDArrayIndex spread(long from, int stride, long count) {
        return count == 1 ? NDArrayIndex.interval(from, from + 1)
                : NDArrayIndex.interval(from, stride, from + (count - 1) * stride + 1);
    }

    /**
     * {@return whether a split input ({@code [x⁺, x⁻]}) is better mapped stacked along the channel axis}: a 1×1
     * convolution without channel groups, one matrix product over twice the channels instead of two
     */
    public static boolean stacksSplitInput(INDArray w, Conv2d c) {
        return c.groups() == 1 && pointwise(w, c);
    }

    /** {@return {@code [max(0, x), min(0, x)]} along the channel axis, {@code [N, 2C, ...]}} @param x any NC... */
    public static INDArray stackSigns(INDArray x) {
        long[] shape = x.shape().clone();
        long c = shape[1];
        shape[1] = 2 * c;
        INDArray out = Nd4j.createUninitialized(x.dataType(), shape, 'c');
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear(x, channelView(out, 0, c), 0.0));
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.ScalarMin(x, null, channelView(out, c, 2 * c), 0.0));
        return out;
    }

    /** {@return whether {@link #conv2dTranspose} convolves with the flipped kernel for this layer (kept by callers)} */
    public static boolean transposesWithFlippedKernel(INDArray w, Conv2d c) {
        return depthwise(w, c) && spreads(c);
    }

    /**
     * {@return whether a layer is depthwise (one input channel per group, one output channel per input channel)},
     * the layers {@link #depthwiseKernel} prepares kernels for
     */
    public static boolean depthwise(Conv2d c) {
        return depthwise(c.weight(), c);
    }

    /** {@return a depthwise weight's taps reversed, in libnd4j's layout: what its transpose convolves with} */
    public static INDArray flippedDepthwiseKernel(INDArray w) {
        return depthwiseKernel(flipTaps(w));
    }

    /** {@return a kernel {@code [out, in, kh, kw]} with its taps reversed on both spatial axes, a new array} */
    public static INDArray flipTaps(INDArray w) {
        return Nd4j.exec(DynamicCustomOp.builder("reverse").addInputs(w).addIntegerArguments(2, 3).build())[0];
    }

    /**
     * {@return a depthwise weight {@code [C,1,kh,kw]} in libnd4j's format 0, {@code [kh,kw,C,1]}}: the only format its
     * oneDNN implementation takes (format 1, the same memory as ours, falls back to a loop 10× slower)
     */
    public static INDArray depthwiseKernel(INDArray w) {
        return w.permute(2, 3, 0, 1).dup('c');
    }

    /** {@return depthwise_conv2d's integer arguments: kernel, strides, padding (0 if applied), dilation, NCHW, format 0} */
    private static int[] depthwiseArgs(Conv2d c, boolean sym) {
        return new int[]{c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), sym ? c.padTop() : 0, sym ? c.padLeft() : 0,
            c.dilationH(), c.dilationW(), 0, 0, 0};
    }

    /** {@return the positions of tap {@code k} of a window along one axis, for every output position} */
    private static INDArrayIndex tap(int k, int dilation, int stride, long outSize) {
        long from = (long) k * dilation;
        return outSize == 1 ? NDArrayIndex.interval(from, from + 1)
                : NDArrayIndex.interval(from, stride, from + (outSize - 1) * stride + 1);
    }

    /** {@return the weight of tap (p, q) per channel, shaped {@code [1,C,1,1]} to broadcast over NCHW} */
    private static INDArray tapWeight(INDArray w, int p, int q) {
        return w.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(p), NDArrayIndex.point(q))
                .reshape(1, w.size(0), 1, 1);
    }

    /**
     * A depthwise convolution as a sum over the kernel's taps: {@code y = Σ_{p,q} w[·,p,q] ⊙ x_pad[strided view of tap
     * (p,q)]}, kh·kw element-wise passes over the output instead of one small convolution per channel: for dilated
     * kernels, which libnd4j's oneDNN depthwise convolution rejects in float32.
     */
    private static INDArray depthwiseConvTaps(INDArray x, INDArray w, INDArray b, Conv2d c) {
        INDArray xp = pad(x, c.padTop(), c.padLeft(), c.padBottom(), c.padRight(), 0.0);
        long oh = (xp.size(2) - (long) c.dilationH() * (c.kernelH() - 1) - 1) / c.strideH() + 1;
        long ow = (xp.size(3) - (long) c.dilationW() * (c.kernelW() - 1) - 1) / c.strideW() + 1;
        INDArray y = Nd4j.zeros(x.dataType(), x.size(0), x.size(1), oh, ow);
        for (int p = 0; p < c.kernelH(); p++) {
            for (int q = 0; q < c.kernelW(); q++) {
                INDArray view = xp.get(NDArrayIndex.all(), NDArrayIndex.all(), tap(p, c.dilationH(), c.strideH(), oh),
                        tap(q, c.dilationW(), c.strideW(), ow));
                y.addi(view.mul(tapWeight(w, p, q)));
            }
        }
        return b == null ? y : Forward.broadcastChannels(y, b, false);
    }

    /** The transpose of {@link #depthwiseConvTaps}: each tap's share of {@code s} added back where the tap read. */
    private static INDArray depthwiseConvTransposeTaps(INDArray s, INDArray w, Conv2d c, long[] inShape) {
        long oh = s.size(2);
        long ow = s.size(3);
        INDArray gp = Nd4j.zeros(s.dataType(), inShape[0], inShape[1], inShape[2] + c.padTop() + c.padBottom(),
                inShape[3] + c.padLeft() + c.padRight());
        for (int p = 0; p < c.kernelH(); p++) {
            for (int q = 0; q < c.kernelW(); q++) {
                gp.get(NDArrayIndex.all(), NDArrayIndex.all(), tap(p, c.dilationH(), c.strideH(), oh),
                        tap(q, c.dilationW(), c.strideW(), ow)).addi(s.mul(tapWeight(w, p, q)));
            }
        }
        INDArray g = crop(gp, c.padTop(), c.padLeft(), inShape[2], inShape[3]);
        return g == gp ? g : g.dup();
    }

    /** A 1×1 convolution without padding or dilation: one matrix product per image (BLAS beats conv2d ~2× here). */
    private static boolean pointwise(INDArray w, Conv2d c) {
        return w.size(2) == 1 && w.size(3) == 1 && c.padTop() == 0 && c.padLeft() == 0 && c.padBottom() == 0
                && c.padRight() == 0 && c.dilationH() == 1 && c.dilationW() == 1;
    }

    /** {@return the positions a strided 1×1 convolution reads: every stride-th row and column} */
    private static INDArrayIndex[] strided(long h, long w, Conv2d c) {
        return new INDArrayIndex[]{NDArrayIndex.all(), NDArrayIndex.all(), every(c.strideH(), h), every(c.strideW(), w)};
    }

    private static INDArrayIndex every(int stride, long size) {
        // ND4J rejects a strided interval over an axis of length 1: that axis has one position, 0
        return size <= stride ? NDArrayIndex.interval(0, 1) : NDArrayIndex.interval(0, stride, size);
    }

    /**
     * {@code y[n] = W·x[n]} (or {@code Wᵀ·x[n]}) for every image, {@code W} the {@code [out,in]} matrix of a 1×1
     * kernel and {@code x[n]} an image as a {@code [channels, pixels]} matrix.
     */
    private static INDArray pointwiseProduct(INDArray x, INDArray w, boolean transposeW) {
        long n = x.size(0);
        long hw = x.size(2) * x.size(3);
        INDArray wm = w.reshape('c', new long[]{w.size(0), w.size(1)});
        long rows = transposeW ? wm.size(1) : wm.size(0);
        if (n == 1) {
            // one image: the product straight into the result's memory, without per-image views (each array ND4J
            // makes costs 3–20 µs of bookkeeping here)
            INDArray y = Nd4j.createUninitialized(x.dataType(), new long[]{1, rows, x.size(2), x.size(3)}, 'c');
            Nd4j.gemm(wm, x.reshape('c', new long[]{x.size(1), hw}), y.reshape('c', new long[]{rows, hw}), transposeW,
                    false, 1.0, 0.0);
            return y;
        }
        INDArray xs = x.reshape('c', new long[]{n, x.size(1), hw});
        INDArray y = Nd4j.createUninitialized(x.dataType(), new long[]{n, rows, hw}, 'c');
        for (long i = 0; i < n; i++) {
            Nd4j.gemm(wm, xs.tensorAlongDimension(i, 1, 2), y.tensorAlongDimension(i, 1, 2), transposeW, false, 1.0,
                    0.0);
        }
        // the same buffer as an NCHW array of its own (not a view), so that its owner can close it
        return Nd4j.create(y.data(), new long[]{n, rows, x.size(2), x.size(3)});
    }

    private static INDArray conv2dPointwise(INDArray x, INDArray w, INDArray b, Conv2d c) {
        INDArray in = c.strideH() == 1 && c.strideW() == 1 ? x : x.get(strided(x.size(2), x.size(3), c)).dup('c');
        INDArray y = pointwiseProduct(in, w, false);
        return b == null ? y : Forward.broadcastChannels(y, b, false);
    }

    private static INDArray conv2dTransposePointwise(INDArray s, INDArray w, Conv2d c, long[] inShape) {
        INDArray g = pointwiseProduct(s, w, true);
        if (c.strideH() == 1 && c.strideW() == 1) {
            return g;
        }
        INDArray full = Nd4j.zeros(g.dataType(), inShape);
        full.get(strided(inShape[2], inShape[3], c)).assign(g);
        return full;
    }

    private static INDArray conv2d1(INDArray x, INDArray w, INDArray b, Conv2d c) {
        if (pointwise(w, c)) {
            return conv2dPointwise(x, w, b, c);
        }
        int ph = c.padTop();
        int pw = c.padLeft();
        INDArray in = x;
        if (!c.symmetricPadding()) {
            in = pad(x, c.padTop(), c.padLeft(), c.padBottom(), c.padRight(), 0.0);
            ph = 0;
            pw = 0;
        }
        INDArray k = w;
        int dh = c.dilationH();
        int dw = c.dilationW();
        if (dh > 1 || dw > 1) {
            // ND4J 1.0.0-M2.1's oneDNN conv2d rejects every dilated float32 convolution ("could not create a
            // descriptor"); the same convolution with the kernel spread out by zeros is exact and undilated
            k = dilateKernel(w, dh, dw);
            dh = 1;
            dw = 1;
        }
        INDArray[] inputs = b == null ? new INDArray[]{in, k} : new INDArray[]{in, k, b};
        return exec("conv2d", inputs, (int) k.size(2), (int) k.size(3), c.strideH(), c.strideW(), ph, pw, dh, dw, 0, 0,
                1);
    }

    /** {@return the kernel with {@code dh − 1} zero rows and {@code dw − 1} zero columns between its taps} */
    static INDArray dilateKernel(INDArray w, int dh, int dw) {
        long kh = w.size(2);
        long kw = w.size(3);
        INDArray out = Nd4j.zeros(w.dataType(), w.size(0), w.size(1), (kh - 1) * dh + 1, (kw - 1) * dw + 1);
        for (long a = 0; a < kh; a++) {
            for (long b = 0; b < kw; b++) {
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(a * dh), NDArrayIndex.point(b * dw))
                        .assign(w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(a),
                                NDArrayIndex.point(b)));
            }
        }
        return out;
    }

    /**
     * The transpose of {@link #conv2d} without bias: the input-gradient of {@code Σ s ⊙ conv2d(x, w)}.
     *
     * @param s       NCHW, shaped like the convolution's output
     * @param w       weight {@code [out, in/groups, kh, kw]}
     * @param c       geometry
     * @param inShape the convolution's input shape {@code [N,C,H,W]}
     * @return NCHW, shaped {@code inShape}
     */
    public static INDArray conv2dTranspose(INDArray s, INDArray w, Conv2d c, long[] inShape) {
        return conv2dTranspose(s, w, c, inShape, null);
    }

    /**
     * As {@link #conv2dTranspose(INDArray, INDArray, Conv2d, long[])}, with the depthwise kernel's taps already
     * flipped ({@link #flippedDepthwiseKernel}) where the caller keeps it: the depthwise transpose convolves with it.
     *
     * @param flippedKernel {@code flippedDepthwiseKernel(w)}, or null to make it here
     */
    public static INDArray conv2dTranspose(INDArray s, INDArray w, Conv2d c, long[] inShape, INDArray flippedKernel) {
        if (depthwise(w, c)) {
            return depthwiseConvTranspose(s, w, c, inShape, flippedKernel);
        }
        if (c.groups() > 1) {
            long cin = w.size(1);
            long cout = w.size(0) / c.groups();
            long[] gShape = inShape.clone();
            gShape[1] = cin;
            INDArray[] parts = new INDArray[c.groups()];
            for (int g = 0; g < c.groups(); g++) {
                parts[g] = conv2dTranspose1(channels(s, g * cout, (g + 1) * cout), rows(w, g * cout, (g + 1) * cout), c,
                        gShape);
            }
            return Nd4j.concat(1, parts);
        }
        return conv2dTranspose1(s, w, c, inShape);
    }

    private static INDArray conv2dTranspose1(INDArray s, INDArray w, Conv2d c, long[] inShape) {
        if (pointwise(w, c)) {
            return conv2dTransposePointwise(s, w, c, inShape);
        }
        // deconv2d crops its padding from both ends; when the last window stops short of the padded input's end
        // (a stride that does not divide H + 2p − k_eff) that crop would cut input rows/columns the windows did
        // read, so those geometries take the explicit-padding path, like asymmetric padding
        boolean sym = c.symmetricPadding()
                && windowsFill(inShape[2] + c.padTop() + c.padBottom(), c.kernelH(), c.dilationH(), c.strideH())
                && windowsFill(inShape[3] + c.padLeft() + c.padRight(), c.kernelW(), c.dilationW(), c.strideW());
        int ph = sym ? c.padTop() : 0;
        int pw = sym ? c.padLeft() : 0;
        // the (explicitly padded, if asymmetric) input the convolution saw
        long hp = inShape[2] + (sym ? 0 : c.padTop() + c.padBottom());
        long wp = inShape[3] + (sym ? 0 : c.padLeft() + c.padRight());
        INDArray g = exec("deconv2d", new INDArray[]{s, w}, c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), ph, pw,
                c.dilationH(), c.dilationW(), 0, 0, 1);
        if (g.size(2) < (sym ? 0 : c.padTop()) + inShape[2] || g.size(3) < (sym ? 0 : c.padLeft()) + inShape[3]) {
            // rows/columns past the last window never reached an output: their gradient is zero (needed only where
            // they are input rows/columns, not padding the crop below drops)
            INDArray full = Nd4j.zeros(g.dataType(), g.size(0), g.size(1), hp, wp);
            full.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, g.size(2)),
                    NDArrayIndex.interval(0, g.size(3))).assign(g);
            g = full;
        }
        if (!sym) {
            g = crop(g, c.padTop(), c.padLeft(), inShape[2], inShape[3]);
        }
        return g;
    }

    /** {@return true if the last window of a convolution ends exactly at the end of the padded input} */
    private static boolean windowsFill(long padded, int k, int dilation, int stride) {
        return (padded - ((long) dilation * (k - 1) + 1)) % stride == 0;
    }

    private static double lowest(DataType t) {
        return t == DataType.DOUBLE ? -Double.MAX_VALUE : -Float.MAX_VALUE;
    }

    /** {@return max pooling; padded positions never win} */
    public static INDArray maxPool(INDArray x, MaxPool2d p) {
        boolean sym = p.padTop() == p.padBottom() && p.padLeft() == p.padRight();
        INDArray in = sym ? x : pad(x, p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), lowest(x.dataType()));
        int ph = sym ? p.padTop() : 0;
        int pw = sym ? p.padLeft() : 0;
        return exec("maxpool2d", new INDArray[]{in}, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), ph, pw, 1, 1,
                0, 0, 0);
    }

    /**
     * {@return winner-take-all: each window's relevance {@code r} goes to its first maximal input}
     *
     * @param x the pooling's input
     * @param r relevance at the pooling's output
     * @param p geometry
     */
    public static INDArray maxPoolWinner(INDArray x, INDArray r, MaxPool2d p) {
        boolean sym = p.padTop() == p.padBottom() && p.padLeft() == p.padRight();
        INDArray in = sym ? x : pad(x, p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), lowest(x.dataType()));
        int ph = sym ? p.padTop() : 0;
        int pw = sym ? p.padLeft() : 0;
        INDArray g = exec("maxpool2d_bp", new INDArray[]{in, r}, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), ph,
                pw, 1, 1, 0, 0, 0);
        return sym ? g : crop(g, p.padTop(), p.padLeft(), x.size(2), x.size(3));
    }

    /** Window geometry of a sum/average pooling. */
    public record Window(int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr) {
        /** {@return the geometry of an average pooling} */
        public static Window of(AvgPool2d p) {
            return new Window(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(),
                    p.padBottom(), p.padRight());
        }

        /** {@return the geometry of a max pooling, for its proportional (sum-pool) treatment} */
        public static Window of(MaxPool2d p) {
            return new Window(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(),
                    p.padBottom(), p.padRight());
        }

        int area() {
            return kh * kw;
        }
    }

    /** {@return the sum of each window, zero padding} */
    public static INDArray sumPool(INDArray x, Window w) {
        INDArray xp = pad(x, w.pt(), w.pl(), w.pb(), w.pr(), 0.0);
        return exec("avgpool2d", new INDArray[]{xp}, w.kh(), w.kw(), w.sh(), w.sw(), 0, 0, 1, 1, 0, 1, 0)
                .muli(w.area());
    }

    /** {@return the transpose of {@link #sumPool}: each input gets the sum of s over the windows holding it} */
    public static INDArray sumPoolTranspose(INDArray x, INDArray s, Window w) {
        INDArray xp = pad(x, w.pt(), w.pl(), w.pb(), w.pr(), 0.0);
        INDArray g = exec("avgpool2d_bp", new INDArray[]{xp, s}, w.kh(), w.kw(), w.sh(), w.sw(), 0, 0, 1, 1, 0, 1, 0)
                .muli(w.area());
        return crop(g, w.pt(), w.pl(), x.size(2), x.size(3));
    }

    /** {@return how many taps of each window fall inside the input (for count_include_pad = false)} */
    public static INDArray windowCounts(INDArray x, Window w) {
        INDArray ones = Nd4j.ones(x.dataType(), 1, 1, x.size(2), x.size(3));
        return sumPool(ones, w);
    }

    /** {@return average pooling with PyTorch/ONNX count_include_pad semantics} */
    public static INDArray avgPool(INDArray x, AvgPool2d p) {
        Window w = Window.of(p);
        INDArray sum = sumPool(x, w);
        if (p.countIncludePad()) {
            return sum.divi(w.area());
        }
        return sum.divi(windowCounts(x, w));
    }

    /** {@return the transpose of {@link #avgPool}} */
    public static INDArray avgPoolTranspose(INDArray x, INDArray s, AvgPool2d p) {
        Window w = Window.of(p);
        INDArray t = p.countIncludePad() ? s.div(w.area()) : s.div(windowCounts(x, w));
        return sumPoolTranspose(x, t, w);
    }

    private static long binStart(long i, long in, long out) {
        return Math.floorDiv(i * in, out);
    }

    private static long binEnd(long i, long in, long out) {
        return -Math.floorDiv(-(i + 1) * in, out);
    }

    /** {@return PyTorch's adaptive average pooling} */
    public static INDArray adaptiveAvgPool(INDArray x, AdaptiveAvgPool2d p) {
        long h = x.size(2);
        long w = x.size(3);
        if (h % p.outH() == 0 && w % p.outW() == 0) {
            int kh = (int) (h / p.outH());
            int kw = (int) (w / p.outW());
            return kh == 1 && kw == 1 ? x.dup() : avgPool(x, new AvgPool2d(kh, kw, kh, kw, 0, 0, 0, 0, true));
        }
        INDArray out = Nd4j.create(x.dataType(), x.size(0), x.size(1), p.outH(), p.outW());
        for (int i = 0; i < p.outH(); i++) {
            for (int j = 0; j < p.outW(); j++) {
                INDArray bin = x.get(NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.interval(binStart(i, h, p.outH()), binEnd(i, h, p.outH())),
                        NDArrayIndex.interval(binStart(j, w, p.outW()), binEnd(j, w, p.outW())));
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j))
                        .assign(bin.mean(2, 3));
            }
        }
        return out;
    }

    /** {@return the transpose of {@link #adaptiveAvgPool}} */
    public static INDArray adaptiveAvgPoolTranspose(INDArray x, INDArray s, AdaptiveAvgPool2d p) {
        long h = x.size(2);
        long w = x.size(3);
        if (h % p.outH() == 0 && w % p.outW() == 0) {
            int kh = (int) (h / p.outH());
            int kw = (int) (w / p.outW());
            return kh == 1 && kw == 1 ? s.dup()
                    : avgPoolTranspose(x, s, new AvgPool2d(kh, kw, kh, kw, 0, 0, 0, 0, true));
        }
        INDArray g = Nd4j.zeros(x.dataType(), x.shape());
        for (int i = 0; i < p.outH(); i++) {
            for (int j = 0; j < p.outW(); j++) {
                long h0 = binStart(i, h, p.outH());
                long h1 = binEnd(i, h, p.outH());
                long w0 = binStart(j, w, p.outW());
                long w1 = binEnd(j, w, p.outW());
                INDArray cell = s.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i),
                        NDArrayIndex.point(j)).div((h1 - h0) * (w1 - w0)).reshape(x.size(0), x.size(1), 1, 1);
                INDArray view = g.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(h0, h1),
                        NDArrayIndex.interval(w0, w1));
                view.addi(cell);
            }
        }
        return g;
    }
}
