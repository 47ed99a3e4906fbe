package io.github.dtd4j.internal;

import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Mul;
import io.github.dtd4j.graph.Permute;
import io.github.dtd4j.graph.Slice;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Forward maps and vector-Jacobian products of the element-wise and routing layers: {@link Activation},
 * {@link Mul}, {@link Permute}, {@link Slice}. Every method returns a new array and never writes to its inputs.
 */
public final class Elementwise {
    private Elementwise() {
    }

    // ------------------------------------------------------------------------------------------------ activations

    /** {@return f(x)} @param a the activation @param x input, untouched */
    public static INDArray activation(Activation a, INDArray x) {
        return switch (a.function()) {
            case CLIP -> clip(x, a.alpha(), a.beta());
            case LEAKY_RELU -> Transforms.relu(x, true).addi(Transforms.min(x, 0.0, true).muli(a.alpha()));
            case ELU -> Transforms.relu(x, true).addi(Transforms.exp(Transforms.min(x, 0.0, true), false).subi(1.0)
                    .muli(a.alpha()));
            case SIGMOID -> Transforms.sigmoid(x, true);
            case HARD_SIGMOID -> clip(x.mul(a.alpha()).addi(a.beta()), 0, 1);
            case HARD_SWISH -> clip(x.div(6.0).addi(0.5), 0, 1).muli(x);
            case TANH -> Transforms.tanh(x, true);
            case GELU -> phi(x).muli(x);
            case SILU -> Transforms.sigmoid(x, true).muli(x);
        };
    }

    /** {@return s · f′(x)} (one-sided choices as PyTorch's autograd makes them) @param a activation @param x at @param s vector */
    public static INDArray activationVjp(Activation a, INDArray x, INDArray s) {
        INDArray d = switch (a.function()) {
            // torch's hardtanh backward: 1 strictly inside (min, max), 0 at and beyond the bounds
            case CLIP -> x.gt(a.alpha()).castTo(x.dataType()).muli(x.lt(a.beta()).castTo(x.dataType()));
            case LEAKY_RELU -> {
                INDArray pos = x.gt(0.0).castTo(x.dataType());
                yield pos.rsub(1.0).muli(a.alpha()).addi(pos);
            }
            case ELU -> {
                INDArray pos = x.gt(0.0).castTo(x.dataType());
                yield Transforms.exp(Transforms.min(x, 0.0, true), false).muli(a.alpha()).muli(pos.rsub(1.0)).addi(pos);
            }
            case SIGMOID -> {
                INDArray sg = Transforms.sigmoid(x, true);
                yield sg.rsub(1.0).muli(sg);
            }
            case HARD_SIGMOID -> {
                INDArray z = x.mul(a.alpha()).addi(a.beta());
                yield z.gt(0.0).castTo(x.dataType()).muli(z.lt(1.0).castTo(x.dataType())).muli(a.alpha());
            }
            case HARD_SWISH -> {
                // torch: 0 for x < -3, x/3 + 1/2 for -3 <= x <= 3, 1 above
                INDArray mid = x.gte(-3.0).castTo(x.dataType()).muli(x.lte(3.0).castTo(x.dataType()));
                INDArray above = x.gt(3.0).castTo(x.dataType());
                yield x.div(3.0).addi(0.5).muli(mid).addi(above);
            }
            case TANH -> {
                INDArray t = Transforms.tanh(x, true);
                yield t.mul(t).rsubi(1.0);
            }
            case GELU -> {
                // Φ(x) + x·φ(x)
                INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(1 / Math.sqrt(2 * Math.PI));
                yield phi(x).addi(pdf.muli(x));
            }
            case SILU -> {
                INDArray sg = Transforms.sigmoid(x, true);
                yield sg.rsub(1.0).muli(x).addi(1.0).muli(sg);
            }
        };
        return d.muli(s);
    }

    /**
     * Applies a clip (ReLU6 and the like) to x in place, with the numbers {@link #activation} computes.
     *
     * @param a a {@link Activation.Function#CLIP} activation
     * @param x its input, overwritten with its output
     */
    public static void activationInPlace(Activation a, INDArray x) {
        if (a.function() != Activation.Function.CLIP) {
            throw new IllegalArgumentException("only clips are applied in place, not " + a.function());
        }
        clipInto(x, x, a.alpha(), a.beta());
    }

    private static INDArray clip(INDArray x, double lo, double hi) {
        boolean relu6 = lo == 0 && hi == 6;
        return clipInto(x, relu6 ? Nd4j.createUninitialized(x.dataType(), x.shape(), 'c') : x.dup(), lo, hi);
    }

    /**
     * {@return y = min(max(x, lo), hi)}, y being x itself (in place), a copy of x, or (ReLU6 only) any array of x's
     * shape
     */
    private static INDArray clipInto(INDArray x, INDArray y, double lo, double hi) {
        if (lo == 0 && hi == 6) {
            // ReLU6 by libnd4j's one-pass scalar op, min(max(x, 0), 6), instead of a copy and two passes (0.06
            // against 0.14 ms for 144×56×56 floats); the same numbers for every finite x
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.Relu6(x, y, 0.0));
            return y;
        }
        if (lo != Double.NEGATIVE_INFINITY) {
            Transforms.max(y, lo, false);
        }
        if (hi != Double.POSITIVE_INFINITY) {
            Transforms.min(y, hi, false);
        }
        return y;
    }

    /** {@return Φ(x) = (1 + erf(x/√2)) / 2, the standard normal distribution function} */
    private static INDArray phi(INDArray x) {
        INDArray z = x.div(Math.sqrt(2));
        Nd4j.exec(new Erf(z, z));
        return z.addi(1.0).muli(0.5);
    }

    // ------------------------------------------------------------------------------------------------ products

    /** {@return {@code a·b} or {@code a/b}, broadcast} @param m the layer @param a first @param b second */
    public static INDArray mul(Mul m, INDArray a, INDArray b) {
        long[] shape = broadcastShape(a.shape(), b.shape());
        INDArray x = broadcast(a, shape);
        INDArray y = broadcast(b, shape);
        return m.divide() ? x.div(y) : x.mul(y);
    }

    /**
     * {@return the vector-Jacobian product of a product or quotient: {@code s·b} and {@code s·a} (for {@code a/b}:
     * {@code s/b} and {@code −s·a/b²}), each summed over the axes its input was broadcast along}
     */
    public static List<INDArray> mulVjp(Mul m, INDArray a, INDArray b, INDArray s) {
        long[] shape = s.shape();
        INDArray x = broadcast(a, shape);
        INDArray y = broadcast(b, shape);
        INDArray da;
        INDArray db;
        if (m.divide()) {
            da = s.div(y);
            db = s.mul(x).divi(y).divi(y).negi();
        } else {
            da = s.mul(y);
            db = s.mul(x);
        }
        return List.of(reduceTo(da, a.shape()), reduceTo(db, b.shape()));
    }

    /** {@return the numpy broadcast of two equal-rank shapes (each dimension equal, or 1)} */
    static long[] broadcastShape(long[] a, long[] b) {
        long[] out = new long[a.length];
        for (int d = 0; d < a.length; d++) {
            out[d] = Math.max(a[d], b[d]);
        }
        return out;
    }

    /** {@return {@code a} repeated along its size-1 axes to {@code shape}: the array itself when it already fits} */
    public static INDArray broadcast(INDArray a, long[] shape) {
        if (java.util.Arrays.equals(a.shape(), shape)) {
            return a;
        }
        INDArray out = a;
        for (int d = 0; d < shape.length; d++) {
            if (out.size(d) == 1 && shape[d] != 1) {
                out = out.repeat(d, shape[d]);
            }
        }
        return out;
    }

    /** {@return {@code g} summed over the axes where {@code shape} has 1 and {@code g} does not, keeping them} */
    public static INDArray reduceTo(INDArray g, long[] shape) {
        if (java.util.Arrays.equals(g.shape(), shape)) {
            return g;
        }
        int[] axes = java.util.stream.IntStream.range(0, shape.length).filter(d -> shape[d] == 1 && g.size(d) != 1)
                .toArray();
        return g.sum(true, axes).reshape(shape);
    }

    // ------------------------------------------------------------------------------------------------ routing

    /** {@return the input with its per-sample axes permuted, a new c-ordered array} */
    public static INDArray permute(Permute p, INDArray x) {
        return x.permute(withBatch(p.axes())).dup('c');
    }

    /** {@return {@code s} permuted back to the input's axes, a new c-ordered array} */
    public static INDArray permuteVjp(Permute p, INDArray s) {
        return s.permute(withBatch(p.inverse())).dup('c');
    }

    /**
     * {@return a {@link io.github.dtd4j.graph.Resize}: along each of its axes, the matrix times the input (or, with
     * {@code transpose}, the transposed matrix times {@code x}: the vector-Jacobian product for an output-sized
     * {@code x}), a new c-ordered array}
     */
    public static INDArray resize(io.github.dtd4j.graph.Resize r, INDArray x, boolean transpose) {
        INDArray out = x;
        int[] axes = r.axes();
        for (int k = 0; k < axes.length; k++) {
            INDArray m = r.matrices().get(k).castTo(x.dataType());
            INDArray mt = transpose ? m : m.transpose();
            int rank = out.rank();
            int ax = axes[k] + 1;
            int[] perm = new int[rank];
            int[] inv = new int[rank];
            for (int i = 0, j = 0; i < rank; i++) {
                if (i != ax) {
                    perm[j++] = i;
                }
            }
            perm[rank - 1] = ax;
            for (int i = 0; i < rank; i++) {
                inv[perm[i]] = i;
            }
            INDArray p = out.permute(perm).dup('c');
            long[] sh = p.shape();
            long in = sh[rank - 1];
            INDArray y = p.reshape('c', p.length() / in, in).mmul(mt);
            sh[rank - 1] = mt.size(1);
            out = y.reshape('c', sh).permute(inv).dup('c');
        }
        return out == x ? x.dup() : out;
    }

    private static int[] withBatch(int[] axes) {
        int[] full = new int[axes.length + 1];
        for (int i = 0; i < axes.length; i++) {
            full[i + 1] = axes[i] + 1;
        }
        return full;
    }

    /** {@return the slice's window of {@code x}, a new array} */
    public static INDArray slice(Slice sl, INDArray x) {
        return x.get(window(sl, x.rank())).dup('c');
    }

    /** {@return zeros shaped like the input, with {@code s} where the slice took its elements} */
    public static INDArray sliceVjp(Slice sl, long[] inputShape, INDArray s) {
        INDArray out = Nd4j.zeros(s.dataType(), inputShape);
        out.get(window(sl, inputShape.length)).assign(s);
        return out;
    }

    private static INDArrayIndex[] window(Slice sl, int rank) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        for (int d = 0; d < rank; d++) {
            idx[d] = NDArrayIndex.all();
        }
        int[] axes = sl.axes();
        long[] st = sl.starts();
        long[] en = sl.ends();
        long[] sp = sl.steps();
        for (int k = 0; k < axes.length; k++) {
            idx[axes[k] + 1] = NDArrayIndex.interval(st[k], sp[k], en[k]);
        }
        return idx;
    }

    // ------------------------------------------------------------------------------------------------ normalisation

    /** {@return the layer normalisation of the last axis} @param l the layer @param x input, untouched */
    public static INDArray layerNorm(io.github.dtd4j.graph.LayerNorm l, INDArray x) {
        INDArray y = normalised(l, x)[0].mulRowVector(l.gamma().castTo(x.dataType()));
        if (l.beta() != null) {
            y.addiRowVector(l.beta().castTo(x.dataType()));
        }
        return y.reshape('c', x.shape());
    }

    /**
     * {@return {x̂, 1/σ} with x̂ = (x − μ)/σ, σ = √(var + eps), over the last axis}: x̂ as {@code [rows, last]}, 1/σ
     * as the column {@code [rows, 1]} (broadcast by column-vector operations, never copied out to x's shape)
     */
    private static INDArray[] normalised(io.github.dtd4j.graph.LayerNorm l, INDArray x) {
        INDArray x2 = Forward.lastAxis(x);
        INDArray centred = x2.subColumnVector(column(x2.mean(1)));
        INDArray var = centred.mul(centred).mean(1);
        INDArray inv = column(Transforms.pow(var.addi(l.eps()), -0.5, false));
        return new INDArray[]{centred.muliColumnVector(inv), inv};
    }

    /** {@return a vector of one value per row as the column {@code [rows, 1]}} */
    private static INDArray column(INDArray v) {
        return v.reshape('c', v.length(), 1);
    }

    /**
     * {@return the vector-Jacobian product of the layer normalisation}: with {@code g = s·γ},
     * {@code (g − mean(g) − x̂·mean(g·x̂)) / σ} over the last axis
     */
    public static INDArray layerNormVjp(io.github.dtd4j.graph.LayerNorm l, INDArray x, INDArray s) {
        INDArray[] nv = normalised(l, x);
        INDArray xhat = nv[0];
        INDArray g = Forward.lastAxis(s).mulRowVector(l.gamma().castTo(s.dataType()));
        INDArray meanGx = column(g.mul(xhat).mean(1));
        return g.subColumnVector(column(g.mean(1))).subi(xhat.muliColumnVector(meanGx)).muliColumnVector(nv[1])
                .reshape('c', s.shape());
    }

    /** {@return {@code x} times the layer's constant, broadcast} @param m the layer @param x input, untouched */
    public static INDArray constantMul(io.github.dtd4j.graph.ConstantMul m, INDArray x) {
        INDArray f = m.factor().castTo(x.dataType());
        if (f.length() == 1) {
            return x.mul(f.getDouble(0));
        }
        return x.mul(broadcast(f.reshape(withBatchOne(f.shape())), x.shape()));
    }

    /** {@return {@code s} times the layer's constant, broadcast: the transpose of the diagonal map} */
    public static INDArray constantMulVjp(io.github.dtd4j.graph.ConstantMul m, INDArray s) {
        return constantMul(m, s);
    }

    /**
     * {@return the layer's constant broadcast to {@code x}'s shape (batch first), in {@code x}'s type: always a new
     * array, which callers may write to} (at batch 1 the broadcast alone would be a view of the layer's constant)
     */
    public static INDArray constantTerm(io.github.dtd4j.graph.ConstantAdd a, INDArray x) {
        INDArray c = a.constant().castTo(x.dataType());
        if (c.length() == 1) {
            return Nd4j.valueArrayOf(x.shape(), c.getDouble(0), x.dataType());
        }
        INDArray view = c.reshape(withBatchOne(c.shape()));
        INDArray out = broadcast(view, x.shape());
        return out == view ? view.dup('c') : out;
    }

    /** {@return {@code x} plus the layer's constant, broadcast} @param a the layer @param x input, untouched */
    public static INDArray constantAdd(io.github.dtd4j.graph.ConstantAdd a, INDArray x) {
        return constantTerm(a, x).addi(x);
    }

    /** {@return the constant block, repeated for every sample, joined to {@code x} along the layer's axis} */
    public static INDArray constantConcat(io.github.dtd4j.graph.ConstantConcat c, INDArray x) {
        INDArray k = c.constant().castTo(x.dataType());
        INDArray block = broadcast(k.reshape(withBatchOne(k.shape())), withFirst(k.shape(), x.size(0)));
        return Nd4j.concat(c.axis() + 1, c.before() ? new INDArray[]{block, x} : new INDArray[]{x, block});
    }

    /** {@return the part of {@code s} that came from the input (the constant's part left out)} */
    public static INDArray constantConcatVjp(io.github.dtd4j.graph.ConstantConcat c, long[] inputShape, INDArray s) {
        long from = c.before() ? c.constant().size(c.axis()) : 0;
        return along(s, c.axis() + 1, from, inputShape[c.axis() + 1]);
    }

    /** {@return the constant block's part of {@code s}} (what a rule books as absorbed by the constant) */
    public static INDArray constantConcatPart(io.github.dtd4j.graph.ConstantConcat c, long[] inputShape, INDArray s) {
        long from = c.before() ? 0 : inputShape[c.axis() + 1];
        return along(s, c.axis() + 1, from, c.constant().size(c.axis()));
    }

    /** {@return {@code length} entries of {@code s} from {@code from} along {@code axis}, a new array} */
    private static INDArray along(INDArray s, int axis, long from, long length) {
        INDArrayIndex[] idx = new INDArrayIndex[s.rank()];
        for (int d = 0; d < idx.length; d++) {
            idx[d] = NDArrayIndex.all();
        }
        idx[axis] = NDArrayIndex.interval(from, from + length);
        return s.get(idx).dup('c');
    }

    private static long[] withFirst(long[] perSample, long n) {
        long[] s = withBatchOne(perSample);
        s[0] = n;
        return s;
    }

    // ------------------------------------------------------------------------------------------------ attention

    /** {@return {@code a·b}, batched over the leading axes} @param a {@code [N,...,m,k]} @param b {@code [N,...,k,n]} */
    public static INDArray matMul(INDArray a, INDArray b) {
        return Ops.matmul(a, b, false, false);
    }

    /** {@return the vector-Jacobian product of {@code a·b}: {@code s·bᵀ} and {@code aᵀ·s}} */
    public static List<INDArray> matMulVjp(INDArray a, INDArray b, INDArray s) {
        return List.of(Ops.matmul(s, b, false, true), Ops.matmul(a, s, true, false));
    }

    /** {@return the softmax over the last axis} @param x input, untouched */
    public static INDArray softmax(INDArray x) {
        INDArray x2 = Forward.lastAxis(x);
        INDArray e = Transforms.exp(x2.subColumnVector(column(x2.max(1))), false);
        return e.diviColumnVector(column(e.sum(1))).reshape('c', x.shape());
    }

    /** {@return the vector-Jacobian product of the softmax: {@code y·(s − Σ_j s_j y_j)} over the last axis} */
    public static INDArray softmaxVjp(INDArray x, INDArray s) {
        INDArray y = Forward.lastAxis(softmax(x));
        INDArray s2 = Forward.lastAxis(s);
        return s2.subColumnVector(column(s2.mul(y).sum(1))).muli(y).reshape('c', s.shape());
    }

    /** {@return {@code r − (Σ_last r)·y}: AttnLRP's softmax rule before the product with the input} */
    public static INDArray softmaxTaylor(INDArray r, INDArray y) {
        INDArray r2 = Forward.lastAxis(r);
        return r2.sub(Forward.lastAxis(y).mulColumnVector(column(r2.sum(1)))).reshape('c', r.shape());
    }

    private static long[] withBatchOne(long[] perSample) {
        long[] s = new long[perSample.length + 1];
        s[0] = 1;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }
}
