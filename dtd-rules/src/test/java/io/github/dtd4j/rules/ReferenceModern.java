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
}
