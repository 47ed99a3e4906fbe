package io.github.dtd4j;

import io.github.dtd4j.spi.LinearLayer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One node's relevance accounts during a sweep, and the stabilized division every rule and every proportional
 * split uses, so that what a bias or the stabilizer absorbs is always booked.
 */
final class Accounts {
    final double[] bias;
    final double[] stabilizer;

    Accounts(int batch) {
        bias = new double[batch];
        stabilizer = new double[batch];
    }

    /**
     * {@return s = R / (d + ε·sign(d)), d = numeratorSum + biasTerm, sign(0) = +1}, booking Σ biasTerm·s and
     * Σ ε·sign(d)·s.
     */
    INDArray divide(LinearLayer layer, INDArray relevance, INDArray numeratorSum, INDArray biasTerm, double eps) {
        boolean perOutput = biasTerm != null && biasTerm.rank() == 1 && numeratorSum.rank() > 1;
        if (perOutput && layer == null) {
            throw new io.github.dtd4j.errors.ConfigurationException("a per-output bias term needs a linear layer to broadcast it");
        }
        if (!perOutput) {
            INDArray s = divideWithBiasArray(relevance, numeratorSum, biasTerm, eps);
            if (s != null) {
                return s;
            }
        }
        // d is a new array: numeratorSum may be the caller's (a recorded output) and is never written
        INDArray d = biasTerm == null ? numeratorSum.dup() : perOutput ? layer.addBias(numeratorSum, biasTerm)
                : numeratorSum.add(biasTerm);
        INDArray stab = d.gte(0.0).castTo(d.dataType()).muli(2 * eps).subi(eps);
        INDArray s = relevance.div(d.addi(stab));
        add(stabilizer, perSample(stab.muli(s)));
        bookBias(layer, s, biasTerm, perOutput);
        return s;
    }

    /**
     * {@return as {@link #divide} for a bias term shaped like the numerators (γ's, whose bias depends on the output's
     * sign) or none (a product's or a sum's split), in one loop over the arrays' memory instead of eleven ND4J
     * operations (eight without a bias); or null where an array is not a C-ordered float or double array of the
     * numerators' shape over its buffer's first values (the caller then takes the general path)}
     *
     * <p>Every value is computed with the general path's roundings in its order ({@code d = Σq + b}, the stabilizer
     * {@code [d ≥ 0]·2ε − ε}, then {@code R / (d + stab)}), so s is the general path's bit for bit; only the booked sums
     * {@code Σ stab·s} and {@code Σ b·s} are added up in double instead of by BLAS. ViT-B/16's γ layers divide
     * 150,000–605,000 values per sample, where each of the general path's passes costs 0.05–0.2 ms with one thread
     * and about twice that with two on this project's benchmark machine.
     */
    private INDArray divideWithBiasArray(INDArray relevance, INDArray numeratorSum, INDArray biasTerm, double eps) {
        DataType t = numeratorSum.dataType();
        boolean withBias = biasTerm != null;
        if (t != DataType.FLOAT && t != DataType.DOUBLE || !leading(numeratorSum, numeratorSum, t)
                || withBias && !leading(biasTerm, numeratorSum, t) || !leading(relevance, numeratorSum, t)
                || numeratorSum.length() % stabilizer.length != 0
                || numeratorSum.length() / stabilizer.length > MAX_SPLIT_SUM) {
            return null;
        }
        int per = (int) (numeratorSum.length() / stabilizer.length);
        INDArray out = Nd4j.createUninitialized(t, numeratorSum.shape(), 'c');
        if (t == DataType.FLOAT) {
            float[][] a = floatScratch(per);
            float[] zv = a[0];
            float[] bv = a[1];
            float[] rv = a[2];
            float twice = (float) (2 * eps);
            float once = (float) eps;
            for (int i = 0; i < stabilizer.length; i++) {
                int off = i * per;
                numeratorSum.data().asNioFloat().get(off, zv, 0, per);
                if (withBias) {
                    biasTerm.data().asNioFloat().get(off, bv, 0, per);
                } else {
                    // d = Σq + 0 is Σq itself, −0 included: it turns −0 into +0, which the stabilizer counts as ≥ 0
                    // either way, and (±0) + stab is stab
                    java.util.Arrays.fill(bv, 0, per, 0f);
                }
                relevance.data().asNioFloat().get(off, rv, 0, per);
                double stabShare = 0;
                double biasShare = 0;
                for (int j = 0; j < per; j++) {
                    float d = zv[j] + bv[j];
                    // [d ≥ 0] without a branch; d + 0 turns −0 into +0, which counts as ≥ 0
                    float stab = (1 - (Float.floatToRawIntBits(d + 0f) >>> 31)) * twice - once;
                    float sj = rv[j] / (d + stab);
                    stabShare += stab * sj;
                    biasShare += bv[j] * sj;
                    rv[j] = sj;
                }
                stabilizer[i] += stabShare;
                if (withBias) {
                    bias[i] += biasShare;
                }
                out.data().asNioFloat().put(off, rv, 0, per);
            }
        } else {
            double[][] a = doubleScratch(per);
            double[] zv = a[0];
            double[] bv = a[1];
            double[] rv = a[2];
            double twice = 2 * eps;
            for (int i = 0; i < stabilizer.length; i++) {
                int off = i * per;
                numeratorSum.data().asNioDouble().get(off, zv, 0, per);
                if (withBias) {
                    biasTerm.data().asNioDouble().get(off, bv, 0, per);
                } else {
                    java.util.Arrays.fill(bv, 0, per, 0.0);
                }
                relevance.data().asNioDouble().get(off, rv, 0, per);
                double stabShare = 0;
                double biasShare = 0;
                for (int j = 0; j < per; j++) {
                    double d = zv[j] + bv[j];
                    double stab = (1 - (Double.doubleToRawLongBits(d + 0.0) >>> 63)) * twice - eps;
                    double sj = rv[j] / (d + stab);
                    stabShare += stab * sj;
                    biasShare += bv[j] * sj;
                    rv[j] = sj;
                }
                stabilizer[i] += stabShare;
                if (withBias) {
                    bias[i] += biasShare;
                }
                out.data().asNioDouble().put(off, rv, 0, per);
            }
        }
        return out;
    }

    /**
     * {@return the proportional split of a sum's relevance, {@code R_k = x_k · R / (y + ε·sign(y))} for every input
     * {@code x_k} of {@code y = Σ_k x_k}, booking {@code Σ ε·sign(y)·R/(y + ε·sign(y))}; or null where an array is not
     * a C-ordered float or double array of y's shape over its buffer's first values (the caller then takes ND4J's
     * general path)}
     *
     * <p>One loop over the arrays' memory instead of about fifteen ND4J operations: a residual sum's maps are small
     * (MobileNetV2's 8–75 thousand values), where each ND4J operation and array costs more than its arithmetic. Every
     * value is computed with the same roundings, in the same order, as {@link #divide} and the gradient's product
     * compute it (the stabilizer {@code [y ≥ 0]·2ε − ε}, then {@code y + stab}, then {@code R / that}, then
     * {@code that · x_k}), so the relevance is the general path's bit for bit; only the booked sum is added up in
     * double instead of by BLAS.
     */
    List<INDArray> splitSum(List<INDArray> xs, INDArray y, INDArray r, double eps) {
        DataType t = y.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE || !leading(y, y, t) || !leading(r, y, t)
                || y.length() % stabilizer.length != 0 || y.length() / stabilizer.length > MAX_SPLIT_SUM) {
            return null;
        }
        for (INDArray x : xs) {
            if (!leading(x, y, t)) {
                return null;
            }
        }
        int m = xs.size();
        int per = (int) (y.length() / stabilizer.length);
        List<INDArray> out = new ArrayList<>(m);
        for (int k = 0; k < m; k++) {
            out.add(Engine.newSentArray(t, y.shape())); // sent as they are: made where the sweep keeps them
        }
        // each sample's values are copied into arrays on the heap (bulk copies at memory speed), computed there in
        // loops the JIT compiles to plain (often vector) code, and copied back: element-wise access to the native
        // buffers cost about 18 ns a value here
        if (t == DataType.FLOAT) {
            FloatBuffer yb = y.data().asNioFloat();
            FloatBuffer rb = r.data().asNioFloat();
            float[][] a = floatScratch(per);
            float[] yv = a[0];
            float[] sv = a[1];
            float[] xv = a[2];
            float twice = (float) (2 * eps);
            float once = (float) eps;
            for (int i = 0; i < stabilizer.length; i++) {
                int off = i * per;
                yb.get(off, yv, 0, per);
                rb.get(off, sv, 0, per);
                for (int j = 0; j < per; j++) {
                    // [y ≥ 0] without a branch (the signs are random: a branch mispredicts half the time); y + 0
                    // turns −0 into +0, which counts as ≥ 0
                    float stab = (1 - (Float.floatToRawIntBits(yv[j] + 0f) >>> 31)) * twice - once;
                    xv[j] = stab;
                    sv[j] = sv[j] / (yv[j] + stab);
                }
                double share = 0;
                for (int j = 0; j < per; j++) {
                    share += xv[j] * sv[j];
                }
                stabilizer[i] += share;
                for (int k = 0; k < m; k++) {
                    xs.get(k).data().asNioFloat().get(off, xv, 0, per);
                    for (int j = 0; j < per; j++) {
                        xv[j] = sv[j] * xv[j];
                    }
                    out.get(k).data().asNioFloat().put(off, xv, 0, per);
                }
            }
        } else {
            DoubleBuffer yb = y.data().asNioDouble();
            DoubleBuffer rb = r.data().asNioDouble();
            double[][] a = doubleScratch(per);
            double[] yv = a[0];
            double[] sv = a[1];
            double[] xv = a[2];
            double twice = 2 * eps;
            for (int i = 0; i < stabilizer.length; i++) {
                int off = i * per;
                yb.get(off, yv, 0, per);
                rb.get(off, sv, 0, per);
                for (int j = 0; j < per; j++) {
                    double stab = (1 - (Double.doubleToRawLongBits(yv[j] + 0.0) >>> 63)) * twice - eps;
                    xv[j] = stab;
                    sv[j] = sv[j] / (yv[j] + stab);
                }
                double share = 0;
                for (int j = 0; j < per; j++) {
                    share += xv[j] * sv[j];
                }
                stabilizer[i] += share;
                for (int k = 0; k < m; k++) {
                    xs.get(k).data().asNioDouble().get(off, xv, 0, per);
                    for (int j = 0; j < per; j++) {
                        xv[j] = sv[j] * xv[j];
                    }
                    out.get(k).data().asNioDouble().put(off, xv, 0, per);
                }
            }
        }
        return out;
    }

    /**
     * The most values per sample {@link #splitSum} takes (larger sums take ND4J's path): its three scratch arrays
     * stay with the thread, at most 12 MB in float32 (a ResNet-50's largest sum has 802,816 values)
     */
    private static final int MAX_SPLIT_SUM = 1 << 20;
    private static final ThreadLocal<float[][]> FLOATS = new ThreadLocal<>();
    private static final ThreadLocal<double[][]> DOUBLES = new ThreadLocal<>();

    /** {@return three float arrays of at least n values, kept per thread} */
    private static float[][] floatScratch(int n) {
        float[][] a = FLOATS.get();
        if (a == null || a[0].length < n) {
            a = new float[][]{new float[n], new float[n], new float[n]};
            FLOATS.set(a);
        }
        return a;
    }

    /** {@return three double arrays of at least n values, kept per thread} */
    private static double[][] doubleScratch(int n) {
        double[][] a = DOUBLES.get();
        if (a == null || a[0].length < n) {
            a = new double[][]{new double[n], new double[n], new double[n]};
            DOUBLES.set(a);
        }
        return a;
    }

    /**
     * {@return whether a's values are its buffer's first values in C order, a with like's shape and type t} (a
     * reshaped array counts as a view in ND4J, yet qualifies: the dense layers' arrays are reshaped)
     */
    private static boolean leading(INDArray a, INDArray like, DataType t) {
        return a.dataType() == t && io.github.dtd4j.internal.Flat.leading(a)
                && java.util.Arrays.equals(a.shape(), like.shape());
    }

    /**
     * {@return as {@link #divide}, for {@code numeratorSum ≥ 0} and {@code biasTerm ≥ 0}}: the stabilizer is +ε
     * everywhere (the general path's {@code 2ε − ε} is exactly ε), so it is one scalar addition and its booking is
     * {@code ε·Σ s}
     */
    INDArray divideNonNegative(LinearLayer layer, INDArray relevance, INDArray numeratorSum, INDArray biasTerm,
                               double eps) {
        boolean perOutput = biasTerm != null && biasTerm.rank() == 1 && numeratorSum.rank() > 1;
        if (perOutput && layer == null) {
            throw new io.github.dtd4j.errors.ConfigurationException("a per-output bias term needs a linear layer to broadcast it");
        }
        // the per-output bias and ε added in one pass
        INDArray d = biasTerm == null ? numeratorSum.add(eps) : perOutput ? layer.addBias(numeratorSum, biasTerm.add(eps))
                : numeratorSum.add(biasTerm).addi(eps);
        return bookNonNegative(layer, relevance.div(d), biasTerm, perOutput, eps);
    }

    /**
     * {@return as {@link #divideNonNegative}, for a denominator computed with its per-output bias term and ε}
     * ({@code Σq + biasTerm + ε}, biasTerm {@code [out]})
     */
    INDArray divideNonNegativeDenominator(LinearLayer layer, INDArray relevance, INDArray denominator,
                                          INDArray biasTerm, double eps) {
        return bookNonNegative(layer, relevance.div(denominator), biasTerm,
                biasTerm.rank() == 1 && denominator.rank() > 1, eps);
    }

    /** Books a never-negative division's stabilizer share ε·Σ s and its bias share Σ b·s; {@return s} */
    private INDArray bookNonNegative(LinearLayer layer, INDArray s, INDArray biasTerm, boolean perOutput, double eps) {
        if (perOutput) {
            // both shares from the per-channel sums of s, one reduction over s: the few per-channel numbers are
            // summed on the JVM (in double), which costs less than two more ND4J operations per layer
            double[] perChannel = values(perChannel(layer, s));
            double[] b = values(biasTerm);
            for (int i = 0; i < stabilizer.length; i++) {
                double total = 0;
                double share = 0;
                for (int c = 0; c < b.length; c++) {
                    double v = perChannel[i * b.length + c];
                    total += v;
                    share += b[c] * v;
                }
                stabilizer[i] += eps * total;
                bias[i] += share;
            }
            return s;
        }
        double[] total = perSample(s);
        for (int i = 0; i < total.length; i++) {
            total[i] *= eps;
        }
        add(stabilizer, total);
        bookBias(layer, s, biasTerm, false);
        return s;
    }

    /**
     * {@return an array's values in C order, as doubles}: a bulk copy out of a plain float or double buffer
     * (ND4J's {@code toDoubleVector} copies the array with an operation first, which costs more than the few values)
     */
    static double[] values(INDArray a) {
        int n = (int) a.length();
        // C order with element stride 1 from the buffer's start: the values are the buffer's first n (a reshaped
        // array counts as a view, but is plain here)
        boolean plain = io.github.dtd4j.internal.Flat.leading(a);
        if (plain && a.dataType() == DataType.FLOAT) {
            float[] f = new float[n];
            a.data().asNioFloat().get(0, f, 0, n);
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = f[i];
            }
            return d;
        }
        if (plain && a.dataType() == DataType.DOUBLE) {
            double[] d = new double[n];
            a.data().asNioDouble().get(0, d, 0, n);
            return d;
        }
        return a.reshape('c', new long[]{n}).toDoubleVector();
    }

    /** {@return s summed over everything but the batch and the output channel or feature: {@code [N, out]}} */
    private static INDArray perChannel(LinearLayer layer, INDArray s) {
        // the outputs along the last axis (a dense layer at every position), else along the channels; a layer that
        // does not say its axis is taken by its kind
        int axis = layer.outputAxis(s.rank());
        boolean last = axis >= 0 ? axis == s.rank() - 1 : layer.kind().equals("Dense");
        return s.rank() == 2 ? s : last ? denseOutputs(s)
                : s.rank() == 4 ? io.github.dtd4j.internal.Sums.perChannel(s) : s.sum(2, 3);
    }

    /** Books {@code Σ_c b_c·(Σ_positions s)_c} per sample with the bias. */
    private void bookPerChannel(INDArray perChannel, INDArray biasTerm) {
        // the few per-channel numbers multiplied and summed on the JVM, in double
        double[] p = values(perChannel);
        double[] b = values(biasTerm);
        for (int i = 0; i < bias.length; i++) {
            double share = 0;
            for (int c = 0; c < b.length; c++) {
                share += b[c] * p[i * b.length + c];
            }
            bias[i] += share;
        }
    }

    /** Books {@code Σ_j b_j s_j} per sample with the bias. */
    private void bookBias(LinearLayer layer, INDArray s, INDArray biasTerm, boolean perOutput) {
        if (perOutput) {
            // Σ_j b_j s_j = Σ_c b_c Σ_positions s_c: reduce s per channel, then one small product
            bookPerChannel(perChannel(layer, s), biasTerm);
        } else if (biasTerm != null) {
            add(bias, perSample(biasTerm.mul(s)));
        }
    }

    /** {@return a Dense layer's output {@code [N,...,out]} summed over the positions: {@code [N,out]}} */
    private static INDArray denseOutputs(INDArray s) {
        int[] positions = new int[s.rank() - 2];
        for (int k = 0; k < positions.length; k++) {
            positions[k] = k + 1;
        }
        return s.sum(positions);
    }

    /** Books relevance given to no input (a constant's share) with the bias. @param absorbed batch first */
    void absorb(INDArray absorbed) {
        add(bias, perSample(absorbed));
    }

    private static void add(double[] acc, double[] v) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += v[i];
        }
    }

    /** {@return Σ over all but the batch axis, per batch element ({@link io.github.dtd4j.internal.Sums})} */
    static double[] perSample(INDArray a) {
        return io.github.dtd4j.internal.Sums.perSample(a);
    }
}
