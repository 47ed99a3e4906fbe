package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A slow, loop-based reference implementation of every propagation of docs/conventions.md, written straight from the
 * formulas with plain {@code double} loops. It shares no code with the library: ND4J is used only to read numbers
 * out of, and write numbers into, arrays. Every linear layer is first expanded into the explicit list of the
 * (input i, output j, w_ij) pairs it connects; every rule then computes {@code R_i = Σ_j q_ij / stab(d_j) · R_j}
 * over that list. All arrays here are per batch element and flattened in C order ({@code [C,H,W]} → index
 * {@code (c·H + y)·W + x}).
 */
public final class ReferenceLrp {
    private ReferenceLrp() {
    }

    // ------------------------------------------------------------------ stabilizer

    /** sign with sign(0) = +1, as docs/conventions.md#stabilizer fixes it. */
    static double sign(double d) {
        return d >= 0 ? 1.0 : -1.0;
    }

    /** d + eps·sign(d). */
    static double stab(double d, double eps) {
        return d + eps * sign(d);
    }

    // ------------------------------------------------------------------ array I/O only

    /** {@return the elements of {@code a} in C order, as doubles, copied out in bulk} */
    static double[] numbers(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** {@return the elements of {@code a} in C order, read one by one} */
    static double[] read(INDArray a) {
        long[] shape = a.shape();
        int n = Math.toIntExact(a.length());
        double[] out = new double[n];
        long[] idx = new long[shape.length];
        for (int f = 0; f < n; f++) {
            long rest = f;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
            out[f] = a.getDouble(idx);
        }
        return out;
    }

    /** {@return {@code a} read per batch element: {@code [N][rest]}} */
    static double[][] readBatch(INDArray a) {
        double[] flat = numbers(a);
        int n = (int) a.size(0);
        int per = flat.length / n;
        double[][] out = new double[n][per];
        for (int b = 0; b < n; b++) {
            System.arraycopy(flat, b * per, out[b], 0, per);
        }
        return out;
    }

    /** {@return a float64 array of the given shape holding {@code data} in C order, written one by one} */
    static INDArray write(double[] data, long... shape) {
        INDArray a = Nd4j.zeros(DataType.DOUBLE, shape);
        long[] idx = new long[shape.length];
        for (int f = 0; f < data.length; f++) {
            long rest = f;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
            a.putScalar(idx, data[f]);
        }
        return a;
    }

    /** {@return the batch {@code [N][per]} written as an array {@code [N, ...perSampleShape]}} */
    static INDArray writeBatch(double[][] data, long... perSampleShape) {
        int per = data[0].length;
        double[] flat = new double[data.length * per];
        for (int b = 0; b < data.length; b++) {
            System.arraycopy(data[b], 0, flat, b * per, per);
        }
        long[] shape = new long[perSampleShape.length + 1];
        shape[0] = data.length;
        System.arraycopy(perSampleShape, 0, shape, 1, perSampleShape.length);
        return write(flat, shape);
    }

    // ------------------------------------------------------------------ linear layers as explicit connections

    /**
     * Every (input i, output j) pair a linear layer connects, per batch element, with its weight w_ij. For a
     * convolution only the taps that fall inside the image are listed (padded taps connect nothing).
     *
     * @param nIn       inputs per sample
     * @param nOut      outputs per sample
     * @param in        input index of each connection
     * @param out       output index of each connection
     * @param w         weight of each connection
     * @param bias      bias of each output j (0 when the layer has none)
     * @param inChannel channel of each input (its feature index for a dense layer), for per-channel z^B bounds
     */
    record Connections(int nIn, int nOut, int[] in, int[] out, double[] w, double[] bias, int[] inChannel) {
        int size() {
            return in.length;
        }
    }

    /** {@return the connections of a dense layer {@code z_j = Σ_i x_i W[i][j] + b_j}} @param d the layer */
    static Connections dense(Dense d) {
        int nIn = (int) d.weight().size(0);
        int nOut = (int) d.weight().size(1);
        double[] weights = numbers(d.weight());
        int[] in = new int[nIn * nOut];
        int[] out = new int[nIn * nOut];
        double[] w = new double[nIn * nOut];
        int e = 0;
        for (int i = 0; i < nIn; i++) {
            for (int j = 0; j < nOut; j++) {
                in[e] = i;
                out[e] = j;
                w[e] = weights[i * nOut + j];
                e++;
            }
        }
        double[] bias = new double[nOut];
        for (int j = 0; j < nOut; j++) {
            bias[j] = d.bias() == null ? 0 : d.bias().getDouble(j);
        }
        int[] ch = new int[nIn];
        for (int i = 0; i < nIn; i++) {
            ch[i] = i;
        }
        return new Connections(nIn, nOut, in, out, w, bias, ch);
    }

    /** {@return the output height/width of a convolution along one axis} */
    static int convOut(int size, int padA, int padB, int k, int dil, int stride) {
        return Math.floorDiv(size + padA + padB - dil * (k - 1) - 1, stride) + 1;
    }

    /**
     * {@return the connections of a convolution (cross-correlation) on a {@code [C,H,W]} input}: output
     * {@code (o, oy, ox)} reads input {@code (c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw)} through
     * {@code weight[o][c − g·C/G][ky][kx]} for the channels c of its group g = o / (O/G).
     *
     * @param conv the layer
     * @param C    input channels
     * @param H    input height
     * @param W    input width
     */
    static Connections conv(Conv2d conv, int C, int H, int W) {
        INDArray wt = conv.weight();
        int outCh = (int) wt.size(0);
        int cinG = (int) wt.size(1);
        int kh = (int) wt.size(2);
        int kw = (int) wt.size(3);
        int groups = conv.groups();
        if (cinG * groups != C) {
            throw new IllegalArgumentException("channels");
        }
        int outPerGroup = outCh / groups;
        int oh = convOut(H, conv.padTop(), conv.padBottom(), kh, conv.dilationH(), conv.strideH());
        int ow = convOut(W, conv.padLeft(), conv.padRight(), kw, conv.dilationW(), conv.strideW());
        // plain arrays sized for every tap (padded ones are left out): boxed lists made this the slow part
        double[] weights = numbers(wt);
        int bound = Math.toIntExact((long) outCh * oh * ow * cinG * kh * kw);
        int[] in = new int[bound];
        int[] out = new int[bound];
        double[] w = new double[bound];
        int n = 0;
        for (int o = 0; o < outCh; o++) {
            int g = o / outPerGroup;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int j = (o * oh + oy) * ow + ox;
                    for (int ci = 0; ci < cinG; ci++) {
                        int c = g * cinG + ci;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * conv.strideH() - conv.padTop() + ky * conv.dilationH();
                            if (iy < 0 || iy >= H) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * conv.strideW() - conv.padLeft() + kx * conv.dilationW();
                                if (ix < 0 || ix >= W) {
                                    continue;
                                }
                                in[n] = (c * H + iy) * W + ix;
                                out[n] = j;
                                w[n] = weights[((o * cinG + ci) * kh + ky) * kw + kx];
                                n++;
                            }
                        }
                    }
                }
            }
        }
        in = java.util.Arrays.copyOf(in, n);
        out = java.util.Arrays.copyOf(out, n);
        w = java.util.Arrays.copyOf(w, n);
        int nOut = outCh * oh * ow;
        double[] bias = new double[nOut];
        for (int j = 0; j < nOut; j++) {
            int o = j / (oh * ow);
            bias[j] = conv.bias() == null ? 0 : conv.bias().getDouble(o);
        }
        int[] ch = new int[C * H * W];
        for (int i = 0; i < ch.length; i++) {
            ch[i] = i / (H * W);
        }
        return new Connections(C * H * W, nOut, in, out, w, bias, ch);
    }

    // ------------------------------------------------------------------ rules

    /** The rules, described by their parameters only. */
    public sealed interface RefRule {
    }

    /** ε-rule; ε = 0 means "use the stabilizer passed in" (LRP-0). */
    public record Epsilon(double epsilon) implements RefRule {
    }

    /** z⁺. */
    public record ZPlus() implements RefRule {
    }

    /** z^B with scalar (length 1) or per-channel bounds; positiveBias adds max(0, b) to the denominator. */
    public record ZBox(double[] low, double[] high, boolean positiveBias) implements RefRule {
    }

    /** w². */
    public record WSquare() implements RefRule {
    }

    /** flat. */
    public record Flat() implements RefRule {
    }

    /** αβ. */
    public record AlphaBeta(double alpha, double beta) implements RefRule {
    }

    /** γ. */
    public record Gamma(double gamma) implements RefRule {
    }

    /**
     * What the reference computed, per batch element.
     *
     * @param relevance    R_i, {@code [N][nIn]}
     * @param magnitude    Σ_j |q_ij / stab(d_j) · R_j| for each input: the natural scale of rounding errors in R_i
     * @param bias         Σ_j biasTerm_j / stab(d_j) · R_j: relevance absorbed by the bias terms
     * @param stabilizer   Σ_j eps·sign(d_j) / stab(d_j) · R_j: relevance absorbed by the stabilizer
     * @param scale        Σ_j |R_j| + Σ |bias share| + Σ |stabilizer share| + Σ_ij |q_ij s_j|: the scale of the
     *                     per-sample sums
     * @param output       the pre-activation z_j = Σ_i x_i w_ij + b_j (actual bias), {@code [N][nOut]}
     */
    record Result(double[][] relevance, double[][] magnitude, double[] bias, double[] stabilizer, double[] scale,
                  double[][] output) {
    }

    /** {@return max(0, v)} */
    static double pos(double v) {
        return Math.max(0, v);
    }

    /** {@return min(0, v)} */
    static double neg(double v) {
        return Math.min(0, v);
    }

    /**
     * Applies a rule to a layer given as explicit connections.
     *
     * @param c          the connections
     * @param x          inputs {@code [N][nIn]}
     * @param r          relevance at the outputs {@code [N][nOut]}
     * @param rule       the rule
     * @param stabilizer ε of the stabilizer (the ε-rule's own ε replaces it when > 0)
     * @param ignoreBias the "bias ignored" policy: b is 0 in every denominator (the forward pass keeps it)
     * @return R_i and the accounts
     */
    static Result propagate(Connections c, double[][] x, double[][] r, RefRule rule, double stabilizer,
                            boolean ignoreBias) {
        int batch = x.length;
        double[][] rel = new double[batch][c.nIn()];
        double[][] mag = new double[batch][c.nIn()];
        double[] biasAcc = new double[batch];
        double[] stabAcc = new double[batch];
        double[] scale = new double[batch];
        double[][] zOut = new double[batch][c.nOut()];
        int ne = c.size();
        for (int n = 0; n < batch; n++) {
            double[] xs = x[n];
            // the actual pre-activation, real bias included (it picks the γ branch)
            double[] z = zOut[n];
            for (int e = 0; e < ne; e++) {
                z[c.out()[e]] += xs[c.in()[e]] * c.w()[e];
            }
            for (int j = 0; j < c.nOut(); j++) {
                z[j] += c.bias()[j];
            }
            double[] b = new double[c.nOut()];
            for (int j = 0; j < c.nOut(); j++) {
                b[j] = ignoreBias ? 0 : c.bias()[j];
            }
            double[] q = new double[ne];
            double[] bt = new double[c.nOut()];
            Acc acc = new Acc(rel[n], mag[n]);
            if (rule instanceof Epsilon eps) {
                for (int e = 0; e < ne; e++) {
                    q[e] = xs[c.in()[e]] * c.w()[e];
                }
                double used = eps.epsilon() == 0 ? stabilizer : eps.epsilon();
                acc.pass(c, q, b, r[n], 1.0, used);
            } else if (rule instanceof ZPlus) {
                for (int e = 0; e < ne; e++) {
                    q[e] = pos(xs[c.in()[e]] * c.w()[e]);
                }
                for (int j = 0; j < c.nOut(); j++) {
                    bt[j] = pos(b[j]);
                }
                acc.pass(c, q, bt, r[n], 1.0, stabilizer);
            } else if (rule instanceof ZBox zb) {
                for (int e = 0; e < ne; e++) {
                    int i = c.in()[e];
                    double l = zb.low().length == 1 ? zb.low()[0] : zb.low()[c.inChannel()[i]];
                    double h = zb.high().length == 1 ? zb.high()[0] : zb.high()[c.inChannel()[i]];
                    double w = c.w()[e];
                    q[e] = xs[i] * w - l * pos(w) - h * neg(w);
                }
                for (int j = 0; j < c.nOut(); j++) {
                    bt[j] = zb.positiveBias() ? pos(b[j]) : 0;
                }
                acc.pass(c, q, bt, r[n], 1.0, stabilizer);
            } else if (rule instanceof WSquare) {
                for (int e = 0; e < ne; e++) {
                    q[e] = c.w()[e] * c.w()[e];
                }
                acc.pass(c, q, bt, r[n], 1.0, stabilizer);
            } else if (rule instanceof Flat) {
                java.util.Arrays.fill(q, 1.0);
                acc.pass(c, q, bt, r[n], 1.0, stabilizer);
            } else if (rule instanceof AlphaBeta ab) {
                for (int e = 0; e < ne; e++) {
                    q[e] = pos(xs[c.in()[e]] * c.w()[e]);
                }
                for (int j = 0; j < c.nOut(); j++) {
                    bt[j] = pos(b[j]);
                }
                acc.pass(c, q, bt, r[n], ab.alpha(), stabilizer);
                if (ab.beta() != 0) {
                    double[] qn = new double[ne];
                    double[] btn = new double[c.nOut()];
                    for (int e = 0; e < ne; e++) {
                        qn[e] = neg(xs[c.in()[e]] * c.w()[e]);
                    }
                    for (int j = 0; j < c.nOut(); j++) {
                        btn[j] = neg(b[j]);
                    }
                    acc.pass(c, qn, btn, r[n], -ab.beta(), stabilizer);
                }
            } else if (rule instanceof Gamma gm) {
                double g = gm.gamma();
                for (int e = 0; e < ne; e++) {
                    double xi = xs[c.in()[e]];
                    double w = c.w()[e];
                    if (z[c.out()[e]] >= 0) {
                        q[e] = pos(xi) * (w + g * pos(w)) + neg(xi) * (w + g * neg(w));
                    } else {
                        q[e] = pos(xi) * (w + g * neg(w)) + neg(xi) * (w + g * pos(w));
                    }
                }
                for (int j = 0; j < c.nOut(); j++) {
                    bt[j] = z[j] >= 0 ? b[j] + g * pos(b[j]) : b[j] + g * neg(b[j]);
                }
                acc.pass(c, q, bt, r[n], 1.0, stabilizer);
            } else {
                throw new IllegalArgumentException(String.valueOf(rule));
            }
            biasAcc[n] = acc.bias;
            stabAcc[n] = acc.stab;
            scale[n] = acc.scale;
        }
        return new Result(rel, mag, biasAcc, stabAcc, scale, zOut);
    }

    /** Accumulates R_i += q_ij · factor·R_j / stab(d_j) and the accounts of one sample. */
    private static final class Acc {
        final double[] rel;
        final double[] mag;
        double bias;
        double stab;
        double scale;

        Acc(double[] rel, double[] mag) {
            this.rel = rel;
            this.mag = mag;
        }

        /**
         * One term Σ_j q_ij / stab(d_j) · factor·R_j with d_j = Σ_i q_ij + biasTerm_j.
         */
        void pass(Connections c, double[] q, double[] biasTerm, double[] r, double factor, double eps) {
            double[] d = new double[c.nOut()];
            for (int e = 0; e < c.size(); e++) {
                d[c.out()[e]] += q[e];
            }
            double[] s = new double[c.nOut()];
            for (int j = 0; j < c.nOut(); j++) {
                d[j] += biasTerm[j];
                s[j] = factor * r[j] / stab(d[j], eps);
                bias += biasTerm[j] * s[j];
                stab += eps * sign(d[j]) * s[j];
                scale += Math.abs(factor * r[j]) + Math.abs(biasTerm[j] * s[j]) + Math.abs(eps * s[j]);
            }
            for (int e = 0; e < c.size(); e++) {
                double v = q[e] * s[c.out()[e]];
                rel[c.in()[e]] += v;
                mag[c.in()[e]] += Math.abs(v);
                scale += Math.abs(v);
            }
        }
    }

    // ------------------------------------------------------------------ fixed (non-linear) propagations

    /**
     * A fixed linear map {@code y_j = Σ_i a_ji x_i} (sum/average pooling and its relatives), as explicit triples.
     *
     * @param nIn  inputs per sample
     * @param nOut outputs per sample
     * @param in   input index of each tap
     * @param out  output index of each tap
     * @param a    coefficient a_ji of each tap
     */
    record Taps(int nIn, int nOut, int[] in, int[] out, double[] a) {
    }

    /** How a 2-D window weights its taps. */
    enum Weighting {
        /** a = 1 (sum pooling; max pooling treated as sum). */
        SUM,
        /** a = 1/(kh·kw): average, count_include_pad = true. */
        AVG_INCLUDE_PAD,
        /** a = 1/(taps inside the image): average, count_include_pad = false. */
        AVG_EXCLUDE_PAD
    }

    /** {@return pooled output size along one axis: floor((size + pads − k)/s) + 1} */
    static int poolOut(int size, int padA, int padB, int k, int stride) {
        return Math.floorDiv(size + padA + padB - k, stride) + 1;
    }

    /**
     * {@return the taps of a 2-D window pooling over {@code [C,H,W]}}; window (oy, ox) covers rows
     * {@code oy·sh − pt ... + kh − 1} and columns {@code ox·sw − pl ... + kw − 1}; only positions inside the image
     * are taps (zero padding contributes nothing).
     */
    static Taps window(int C, int H, int W, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
                       Weighting weighting) {
        int oh = poolOut(H, pt, pb, kh, sh);
        int ow = poolOut(W, pl, pr, kw, sw);
        List<int[]> pairs = new ArrayList<>();
        List<Double> as = new ArrayList<>();
        for (int c = 0; c < C; c++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int j = (c * oh + oy) * ow + ox;
                    List<Integer> inside = new ArrayList<>();
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * sh - pt + ky;
                            int ix = ox * sw - pl + kx;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                                inside.add((c * H + iy) * W + ix);
                            }
                        }
                    }
                    double a = switch (weighting) {
                        case SUM -> 1.0;
                        case AVG_INCLUDE_PAD -> 1.0 / (kh * kw);
                        case AVG_EXCLUDE_PAD -> 1.0 / inside.size();
                    };
                    for (int i : inside) {
                        pairs.add(new int[]{i, j});
                        as.add(a);
                    }
                }
            }
        }
        return taps(C * H * W, C * oh * ow, pairs, as);
    }

    /**
     * {@return the taps of PyTorch's adaptive average pooling {@code [C,H,W] → [C,oh,ow]}}: cell (i, j) averages rows
     * {@code floor(i·H/oh) .. ceil((i+1)·H/oh) − 1} and the analogous columns.
     */
    static Taps adaptive(int C, int H, int W, int oh, int ow) {
        List<int[]> pairs = new ArrayList<>();
        List<Double> as = new ArrayList<>();
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < oh; i++) {
                int h0 = (int) Math.floor((double) i * H / oh);
                int h1 = (int) Math.ceil((double) (i + 1) * H / oh);
                for (int j = 0; j < ow; j++) {
                    int w0 = (int) Math.floor((double) j * W / ow);
                    int w1 = (int) Math.ceil((double) (j + 1) * W / ow);
                    double a = 1.0 / ((h1 - h0) * (w1 - w0));
                    for (int y = h0; y < h1; y++) {
                        for (int xx = w0; xx < w1; xx++) {
                            pairs.add(new int[]{(c * H + y) * W + xx, (c * oh + i) * ow + j});
                            as.add(a);
                        }
                    }
                }
            }
        }
        return taps(C * H * W, C * oh * ow, pairs, as);
    }

    /** {@return the taps of global average pooling {@code [C,H,W] → [C,1,1]}} */
    static Taps global(int C, int H, int W) {
        List<int[]> pairs = new ArrayList<>();
        List<Double> as = new ArrayList<>();
        for (int c = 0; c < C; c++) {
            for (int p = 0; p < H * W; p++) {
                pairs.add(new int[]{c * H * W + p, c});
                as.add(1.0 / (H * W));
            }
        }
        return taps(C * H * W, C, pairs, as);
    }

    /**
     * {@return the taps of a separable resampling: along each listed axis of a sample of shape {@code in}, output
     * index o takes input index i with weight {@code m[k][o][i]}; the weight of a tap is the product over the axes}
     */
    static Taps separable(int[] in, int[] axes, double[][][] m) {
        int rank = in.length;
        int[] out = in.clone();
        int[] which = new int[rank];
        java.util.Arrays.fill(which, -1);
        for (int k = 0; k < axes.length; k++) {
            out[axes[k]] = m[k].length;
            which[axes[k]] = k;
        }
        int nIn = java.util.Arrays.stream(in).reduce(1, (a, b) -> a * b);
        int nOut = java.util.Arrays.stream(out).reduce(1, (a, b) -> a * b);
        List<int[]> pairs = new ArrayList<>();
        List<Double> as = new ArrayList<>();
        int[] oi = new int[rank];
        int[] ii = new int[rank];
        for (int o = 0; o < nOut; o++) {
            unflatten(o, out, oi);
            for (int i = 0; i < nIn; i++) {
                unflatten(i, in, ii);
                double w = 1;
                for (int d = 0; d < rank && w != 0; d++) {
                    w = which[d] < 0 ? (oi[d] == ii[d] ? w : 0) : w * m[which[d]][oi[d]][ii[d]];
                }
                if (w != 0) {
                    pairs.add(new int[]{i, o});
                    as.add(w);
                }
            }
        }
        return taps(nIn, nOut, pairs, as);
    }

    private static void unflatten(int flat, int[] shape, int[] into) {
        for (int d = shape.length - 1; d >= 0; d--) {
            into[d] = flat % shape[d];
            flat /= shape[d];
        }
    }

    /** {@return the taps of a sum over consecutive groups of k units {@code [D] → [D/k]}} */
    static Taps sumGroups(int d, int k) {
        List<int[]> pairs = new ArrayList<>();
        List<Double> as = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            pairs.add(new int[]{i, i / k});
            as.add(1.0);
        }
        return taps(d, d / k, pairs, as);
    }

    private static Taps taps(int nIn, int nOut, List<int[]> pairs, List<Double> as) {
        int n = pairs.size();
        int[] in = new int[n];
        int[] out = new int[n];
        double[] a = new double[n];
        for (int e = 0; e < n; e++) {
            in[e] = pairs.get(e)[0];
            out[e] = pairs.get(e)[1];
            a[e] = as.get(e);
        }
        return new Taps(nIn, nOut, in, out, a);
    }

    /**
     * What a fixed propagation computed, per batch element.
     *
     * @param relevance  per input of the layer: {@code [N][nIn_k]}
     * @param magnitude  the error scale of each R_i
     * @param stabilizer relevance absorbed by the stabilizer
     * @param scale      the scale of the per-sample sums
     * @param output     the layer's forward output {@code [N][nOut]}
     */
    record PoolResult(List<double[][]> relevance, List<double[][]> magnitude, double[] stabilizer, double[] scale,
                      double[][] output) {
    }

    /**
     * Proportional split through a fixed linear map: {@code y_j = Σ_i a_ji x_i},
     * {@code R_i = x_i Σ_j a_ji R_j / stab(y_j)}.
     */
    static PoolResult proportional(Taps t, double[][] x, double[][] r, double eps) {
        return proportional(t, x, r, eps, false);
    }

    /**
     * Proportional split through a fixed linear map; with {@code positive}, the positive parts:
     * {@code R_i = x⁺_i Σ_j a_ji R_j / stab(Σ_i a_ji x⁺_i)}. The output is always the map of {@code x} itself.
     */
    static PoolResult proportional(Taps t, double[][] x, double[][] r, double eps, boolean positive) {
        int batch = x.length;
        double[][] rel = new double[batch][t.nIn()];
        double[][] mag = new double[batch][t.nIn()];
        double[] st = new double[batch];
        double[] sc = new double[batch];
        double[][] y = new double[batch][t.nOut()];
        for (int n = 0; n < batch; n++) {
            double[] d = new double[t.nOut()];
            for (int e = 0; e < t.in().length; e++) {
                double xi = x[n][t.in()[e]];
                y[n][t.out()[e]] += t.a()[e] * xi;
                d[t.out()[e]] += t.a()[e] * (positive ? pos(xi) : xi);
            }
            double[] s = new double[t.nOut()];
            for (int j = 0; j < t.nOut(); j++) {
                s[j] = r[n][j] / stab(d[j], eps);
                st[n] += eps * sign(d[j]) * s[j];
                sc[n] += Math.abs(r[n][j]) + Math.abs(eps * s[j]);
            }
            for (int e = 0; e < t.in().length; e++) {
                int i = t.in()[e];
                double v = (positive ? pos(x[n][i]) : x[n][i]) * t.a()[e] * s[t.out()[e]];
                rel[n][i] += v;
                mag[n][i] += Math.abs(v);
                sc[n] += Math.abs(v);
            }
        }
        return new PoolResult(java.util.Collections.singletonList(rel), java.util.Collections.singletonList(mag), st, sc, y);
    }

    /**
     * Max pooling, winner-take-all: each window's relevance goes entirely to its first maximal input in row-major
     * window order; positions outside the image (padding) never take part.
     */
    static PoolResult maxPoolWinner(double[][] x, double[][] r, int C, int H, int W, int kh, int kw, int sh, int sw,
                                    int pt, int pl, int pb, int pr) {
        int batch = x.length;
        int oh = poolOut(H, pt, pb, kh, sh);
        int ow = poolOut(W, pl, pr, kw, sw);
        double[][] rel = new double[batch][C * H * W];
        double[][] mag = new double[batch][C * H * W];
        double[] sc = new double[batch];
        double[][] y = new double[batch][C * oh * ow];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < C; c++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int j = (c * oh + oy) * ow + ox;
                        int best = -1;
                        double bestV = 0;
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * sh - pt + ky;
                                int ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                    continue;
                                }
                                int i = (c * H + iy) * W + ix;
                                if (best < 0 || x[n][i] > bestV) {
                                    best = i;
                                    bestV = x[n][i];
                                }
                            }
                        }
                        y[n][j] = bestV;
                        rel[n][best] += r[n][j];
                        mag[n][best] += Math.abs(r[n][j]);
                        sc[n] += Math.abs(r[n][j]);
                    }
                }
            }
        }
        return new PoolResult(java.util.Collections.singletonList(rel), java.util.Collections.singletonList(mag), new double[batch], sc, y);
    }

    /** {@return the plain max of each window (for checking the forward output of max pooling)} */
    static double[][] maxPoolForward(double[][] x, int C, int H, int W, int kh, int kw, int sh, int sw, int pt,
                                     int pl, int pb, int pr) {
        return maxPoolWinner(x, zeros(x.length, C * poolOut(H, pt, pb, kh, sh) * poolOut(W, pl, pr, kw, sw)), C, H, W,
                kh, kw, sh, sw, pt, pl, pb, pr).output();
    }

    private static double[][] zeros(int n, int m) {
        return new double[n][m];
    }

    /** Residual sum of K inputs: {@code R_k = x_k / stab(Σ_k x_k) · R}, element-wise. */
    static PoolResult add(List<double[][]> xs, double[][] r, double eps) {
        return add(xs, r, eps, false);
    }

    /**
     * Residual sum of K inputs; with {@code positive}, {@code R_k = x⁺_k / stab(Σ_k x⁺_k) · R}. The output is
     * always the plain sum.
     */
    static PoolResult add(List<double[][]> xs, double[][] r, double eps, boolean positive) {
        int batch = r.length;
        int m = r[0].length;
        List<double[][]> rel = new ArrayList<>();
        List<double[][]> mag = new ArrayList<>();
        for (int k = 0; k < xs.size(); k++) {
            rel.add(new double[batch][m]);
            mag.add(new double[batch][m]);
        }
        double[] st = new double[batch];
        double[] sc = new double[batch];
        double[][] y = new double[batch][m];
        for (int n = 0; n < batch; n++) {
            for (int p = 0; p < m; p++) {
                double d = 0;
                for (double[][] x : xs) {
                    y[n][p] += x[n][p];
                    d += positive ? pos(x[n][p]) : x[n][p];
                }
                double s = r[n][p] / stab(d, eps);
                st[n] += eps * sign(d) * s;
                sc[n] += Math.abs(r[n][p]) + Math.abs(eps * s);
                for (int k = 0; k < xs.size(); k++) {
                    double xk = xs.get(k)[n][p];
                    double v = (positive ? pos(xk) : xk) * s;
                    rel.get(k)[n][p] = v;
                    mag.get(k)[n][p] = Math.abs(v);
                }
            }
        }
        return new PoolResult(rel, mag, st, sc, y);
    }

    /**
     * Concatenation along a per-sample axis: input k receives exactly the slice of R at its own positions.
     *
     * @param shapes per-sample shapes of the inputs
     * @param axis   per-sample axis
     * @param r      relevance at the output {@code [N][Π outShape]}
     */
    static PoolResult concat(List<int[]> shapes, int axis, double[][] r) {
        int batch = r.length;
        int rank = shapes.get(0).length;
        int[] outShape = shapes.get(0).clone();
        outShape[axis] = 0;
        for (int[] s : shapes) {
            outShape[axis] += s[axis];
        }
        List<double[][]> rel = new ArrayList<>();
        int offset = 0;
        for (int[] s : shapes) {
            int size = 1;
            for (int v : s) {
                size *= v;
            }
            double[][] rk = new double[batch][size];
            int[] idx = new int[rank];
            for (int f = 0; f < size; f++) {
                int rest = f;
                for (int d = rank - 1; d >= 0; d--) {
                    idx[d] = rest % s[d];
                    rest /= s[d];
                }
                int g = 0;
                for (int d = 0; d < rank; d++) {
                    g = g * outShape[d] + (d == axis ? idx[d] + offset : idx[d]);
                }
                for (int n = 0; n < batch; n++) {
                    rk[n][f] = r[n][g];
                }
            }
            rel.add(rk);
            offset += s[axis];
        }
        double[] sc = new double[batch];
        for (int n = 0; n < batch; n++) {
            for (double v : r[n]) {
                sc[n] += Math.abs(v);
            }
        }
        return new PoolResult(rel, rel, new double[batch], sc, null);
    }
}
