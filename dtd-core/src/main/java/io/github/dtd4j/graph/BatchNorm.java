package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalisation at inference: {@code y = (x − mean)/sqrt(var + eps)·gamma + beta}, per channel (the first
 * per-sample axis) of {@code [N,C]} or {@code [N,C,H,W]} inputs.
 *
 * @param gamma scale {@code [C]}
 * @param beta  shift {@code [C]}
 * @param mean  running mean {@code [C]}
 * @param var   running variance {@code [C]}
 * @param eps   added to the variance
 */
public record BatchNorm(INDArray gamma, INDArray beta, INDArray mean, INDArray var, double eps) implements Layer {
    /** Validates that all four vectors have the same length and that eps is non-negative. */
    public BatchNorm {
        if (gamma == null) {
            throw new InvalidGraphException("BatchNorm gamma is required");
        }
        long c = gamma.length();
        gamma = Arrays2.requireVector(gamma, c, "BatchNorm gamma");
        beta = Arrays2.requireVector(beta, c, "BatchNorm beta");
        mean = Arrays2.requireVector(mean, c, "BatchNorm mean");
        var = Arrays2.requireVector(var, c, "BatchNorm var");
        if (beta == null || mean == null || var == null) {
            throw new InvalidGraphException("BatchNorm needs gamma, beta, mean and var");
        }
        if (!(eps >= 0)) {
            throw new InvalidGraphException("BatchNorm eps must be >= 0, got " + eps);
        }
        // a non-positive var + eps makes the forward pass NaN/Inf: reject it here, where we can say which channel
        double[] v = var.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
        for (int ch = 0; ch < v.length; ch++) {
            if (!(v[ch] + eps > 0)) {
                throw new InvalidGraphException("BatchNorm var + eps must be > 0, got var " + v[ch] + " + eps " + eps
                        + " at channel " + ch);
            }
        }
    }

    /** {@return the number of channels} */
    public long channels() {
        return gamma.length();
    }

    /** {@return the per-channel scale of {@code y = x·scale + shift}: {@code γ/√(var+eps)}, a new array} */
    public INDArray scale() {
        return gamma.div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(var.add(eps), false));
    }

    /** {@return the per-channel shift of {@code y = x·scale + shift}: {@code β − mean·scale}, a new array} */
    public INDArray shift() {
        return beta.sub(mean.mul(scale()));
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape in = inputs.get(0);
        if ((in.rank() != 1 && in.rank() != 3) || in.dim(0) != channels()) {
            throw Layer.mismatch(node, this, "[N," + channels() + "] or [N," + channels() + ",H,W]", in);
        }
        return in;
    }

    @Override
    public String toString() {
        return "BatchNorm[channels=" + channels() + ", dtype=" + gamma.dataType() + ", eps=" + eps + "]";
    }
}
