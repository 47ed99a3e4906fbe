package io.github.dtd4j.rules;

import java.util.List;

/**
 * Loop references, written from docs/conventions.md independently of the engine, for the layers of modern
 * architectures: routing through a permutation or a strided slice, and the two rules of a product of activations
 * (the gate rule and AttnLRP's uniform rule). Shapes are per-sample, arrays flattened in C order, one row per batch
 * element.
 */
final class ReferenceModern {
    private ReferenceModern() {
    }

    /** {@return the C-order strides of a shape} */
    static int[] strides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** {@return the multi-index of flat position {@code f}} */
    static int[] index(int f, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = f % shape[d];
            f /= shape[d];
        }
        return idx;
    }

    /**
     * Permute: output element at index {@code o} is input element {@code i} with {@code i[axes[k]] = o[k]}; its
     * relevance goes there.
     */
    static double[][] permute(int[] inShape, int[] axes, double[][] r) {
        int[] outShape = new int[axes.length];
        for (int k = 0; k < axes.length; k++) {
            outShape[k] = inShape[axes[k]];
        }
        int[] inStrides = strides(inShape);
        return route(r, size(inShape), f -> {
            int[] o = index(f, outShape);
            int flat = 0;
            for (int k = 0; k < axes.length; k++) {
                flat += o[k] * inStrides[axes[k]];
            }
            return flat;
        });
    }

    /** {@return each output element's relevance added at the input position {@code source(f)} it was copied from} */
    private static double[][] route(double[][] r, int inSize, java.util.function.IntUnaryOperator source) {
        double[][] out = new double[r.length][inSize];
        for (int b = 0; b < r.length; b++) {
            for (int f = 0; f < r[b].length; f++) {
                out[b][source.applyAsInt(f)] += r[b][f];
            }
        }
        return out;
    }

    /** Slice: output index {@code o} reads input index {@code start + o·step} on each sliced axis. */
    static double[][] slice(int[] inShape, int[] axes, long[] starts, long[] ends, long[] steps, double[][] r) {
        int[] outShape = inShape.clone();
        int[] start = new int[inShape.length];
        int[] step = new int[inShape.length];
        java.util.Arrays.fill(step, 1);
        for (int k = 0; k < axes.length; k++) {
            outShape[axes[k]] = (int) ((ends[k] - starts[k] + steps[k] - 1) / steps[k]);
            start[axes[k]] = (int) starts[k];
            step[axes[k]] = (int) steps[k];
        }
        int[] inStrides = strides(inShape);
        return route(r, size(inShape), f -> {
            int[] o = index(f, outShape);
            int flat = 0;
            for (int d = 0; d < o.length; d++) {
                flat += (start[d] + o[d] * step[d]) * inStrides[d];
            }
            return flat;
        });
    }

    /** {@return the relevance of an output element summed onto an input broadcast to the output's shape} */
    static double[][] sumOntoBroadcast(int[] inShape, int[] outShape, double[][] r, double factor) {
        int[] inStrides = strides(inShape);
        double[][] out = new double[r.length][size(inShape)];
        for (int b = 0; b < r.length; b++) {
            for (int f = 0; f < r[b].length; f++) {
                int[] o = index(f, outShape);
                int flat = 0;
                for (int d = 0; d < o.length; d++) {
                    flat += (inShape[d] == 1 ? 0 : o[d]) * inStrides[d];
                }
                out[b][flat] += factor * r[b][f];
            }
        }
        return out;
    }

    /** The gate rule: the signal gets R (summed where it was broadcast), the gate nothing. */
    static List<double[][]> gate(int[] aShape, int[] bShape, int[] outShape, int gate, double[][] r) {
        double[][] toSignal = sumOntoBroadcast(gate == 0 ? bShape : aShape, outShape, r, 1.0);
        double[][] toGate = new double[r.length][size(gate == 0 ? aShape : bShape)];
        return gate == 0 ? List.of(toGate, toSignal) : List.of(toSignal, toGate);
    }

    /** AttnLRP's uniform rule: each factor gets R/2 (summed where it was broadcast). */
    static List<double[][]> uniform(int[] aShape, int[] bShape, int[] outShape, double[][] r) {
        return List.of(sumOntoBroadcast(aShape, outShape, r, 0.5), sumOntoBroadcast(bShape, outShape, r, 0.5));
    }

    private static double stab(double d, double eps) {
        return d + (d >= 0 ? eps : -eps);
    }

    /**
     * AttnLRP's uniform rule with ε at a matrix product {@code y = a·b} over the last two axes (leading axes
     * batched): {@code s = R/(2y + ε·sign(2y))}, {@code R_a[il] = a_il·Σ_j b_lj·s_ij}, {@code R_b[lj] = b_lj·Σ_i a_il·s_ij}.
     */
    static List<double[][]> matMul(int[] aShape, int[] bShape, double[][] a, double[][] b, double[][] y, double[][] r,
                                   double eps) {
        int rank = aShape.length;
        int m = aShape[rank - 2];
        int k = aShape[rank - 1];
        int n = bShape[rank - 1];
        int batches = size(aShape) / (m * k);
        double[][] ra = new double[r.length][a[0].length];
        double[][] rb = new double[r.length][b[0].length];
        for (int s = 0; s < r.length; s++) {
            for (int h = 0; h < batches; h++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int o = (h * m + i) * n + j;
                        double q = r[s][o] / stab(2 * y[s][o], eps);
                        for (int l = 0; l < k; l++) {
                            int ai = (h * m + i) * k + l;
                            int bi = (h * k + l) * n + j;
                            ra[s][ai] += a[s][ai] * b[s][bi] * q;
                            rb[s][bi] += a[s][ai] * b[s][bi] * q;
                        }
                    }
                }
            }
        }
        return List.of(ra, rb);
    }

    /** AttnLRP's softmax rule over rows of length {@code last}: {@code R_i = x_i·(R_i − y_i·Σ_j R_j)}. */
    static double[][] softmax(int last, double[][] x, double[][] y, double[][] r) {
        double[][] out = new double[r.length][r[0].length];
        for (int s = 0; s < r.length; s++) {
            for (int row = 0; row < r[s].length / last; row++) {
                double total = 0;
                for (int j = 0; j < last; j++) {
                    total += r[s][row * last + j];
                }
                for (int j = 0; j < last; j++) {
                    int f = row * last + j;
                    out[s][f] = x[s][f] * (r[s][f] - y[s][f] * total);
                }
            }
        }
        return out;
    }

    /** A constant term {@code y = x + c}: {@code R_x = x·R/(y + ε·sign(y))}. */
    static double[][] constantAdd(double[][] x, double[][] y, double[][] r, double eps) {
        double[][] out = new double[r.length][r[0].length];
        for (int s = 0; s < r.length; s++) {
            for (int f = 0; f < r[s].length; f++) {
                out[s][f] = x[s][f] * r[s][f] / stab(y[s][f], eps);
            }
        }
        return out;
    }

    /** A constant block joined along {@code axis}: the input's elements get their relevance back, the block none. */
    static double[][] constantConcat(int[] inShape, int axis, int blockLength, boolean before, double[][] r) {
        int[] outShape = inShape.clone();
        outShape[axis] += blockLength;
        int[] inStrides = strides(inShape);
        int offset = before ? blockLength : 0;
        double[][] out = new double[r.length][size(inShape)];
        for (int s = 0; s < r.length; s++) {
            for (int f = 0; f < r[s].length; f++) {
                int[] o = index(f, outShape);
                int at = o[axis] - offset;
                if (at < 0 || at >= inShape[axis]) {
                    continue;
                }
                int flat = 0;
                for (int d = 0; d < o.length; d++) {
                    flat += (d == axis ? at : o[d]) * inStrides[d];
                }
                out[s][flat] += r[s][f];
            }
        }
        return out;
    }
}
