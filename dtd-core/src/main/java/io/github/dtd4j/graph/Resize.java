package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A separable linear resampling: along each listed per-sample axis, every output is a fixed weighted sum of the inputs
 * on that axis, {@code y = M · x} with a matrix {@code [out, in]} per axis. ONNX {@code Resize} in nearest mode (one 1
 * per row) and linear mode (two weights per row that sum to 1, bilinear over two axes) is this layer, with the matrices
 * computed by the importer from the operator's coordinate transformation. Its default rule splits the relevance in
 * proportion to the weighted inputs, as at average pooling (docs/conventions.md#sums-and-average-pooling): nearest
 * upsampling hands each copied value's relevance back to its source exactly.
 *
 * @param axes     the per-sample axes that are resampled (0 = the first axis after the batch), distinct
 * @param matrices one matrix {@code [out, in]} per axis, in the order of {@code axes}
 */
public record Resize(int[] axes, List<INDArray> matrices) implements Layer {
    /** Validates and copies the axes and the list. */
    public Resize {
        if (axes == null || matrices == null || axes.length == 0 || axes.length != matrices.size()) {
            throw new InvalidGraphException("Resize needs one matrix per resampled axis, got "
                    + (axes == null ? "no axes" : Arrays.toString(axes)) + " and "
                    + (matrices == null ? "no matrices" : matrices.size() + " matrices"));
        }
        axes = axes.clone();
        matrices = List.copyOf(matrices);
        boolean[] seen = new boolean[64];
        for (int k = 0; k < axes.length; k++) {
            if (axes[k] < 0 || axes[k] >= seen.length || seen[axes[k]]) {
                throw new InvalidGraphException("Resize axes must be distinct per-sample axes, got "
                        + Arrays.toString(axes));
            }
            seen[axes[k]] = true;
            Arrays2.requireConstant(matrices.get(k), "Resize");
            if (matrices.get(k).rank() != 2) {
                throw new InvalidGraphException("Resize matrix " + k + " must be [out, in], got "
                        + Shape.format(matrices.get(k).shape()));
            }
        }
    }

    /** {@return the resampled axes, a copy} */
    @Override
    public int[] axes() {
        return axes.clone();
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        long[] out = in.dims().clone();
        for (int k = 0; k < axes.length; k++) {
            INDArray m = matrices.get(k);
            if (axes[k] >= in.rank() || in.dim(axes[k]) != m.size(1)) {
                throw Layer.mismatch(node, this, "axis " + (axes[k] + 1) + " of size " + m.size(1), in);
            }
            out[axes[k]] = m.size(0);
        }
        return Shape.of(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Resize r && Arrays.equals(axes, r.axes) && matrices.equals(r.matrices);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(axes) + matrices.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Resize[");
        for (int k = 0; k < axes.length; k++) {
            sb.append(k == 0 ? "" : ", ").append("axis ").append(axes[k] + 1).append(": ")
                    .append(matrices.get(k).size(1)).append("→").append(matrices.get(k).size(0));
        }
        return sb.append(']').toString();
    }
}
