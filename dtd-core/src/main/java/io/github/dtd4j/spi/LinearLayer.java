package io.github.dtd4j.spi;

import io.github.dtd4j.graph.Shape;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rule's view of one linear layer: {@code z = x·W + b} for Dense, the convolution for Conv2d, or
 * {@code z_c = x_c·w_c + b_c} for a BatchNorm treated as a diagonal linear layer. All arrays are in the
 * explainer's computation dtype; none may be modified.
 */
public interface LinearLayer {

    /** {@return the node's name} */
    String name();

    /** {@return the node's kind: "Dense", "Conv2d" or "BatchNorm"} */
    String kind();

    /** {@return the per-sample input shape} */
    Shape inputShape();

    /** {@return the per-sample output shape} */
    Shape outputShape();

    /** {@return the weight in the layer's own layout (Dense {@code [in,out]}, Conv2d {@code [out,in,kh,kw]})} */
    INDArray weight();

    /** {@return the bias {@code [out]}, all zeros if the layer has none} */
    INDArray bias();

    /** {@return true if the layer has a bias} */
    boolean hasBias();

    /**
     * Returns a weight derived from {@link #weight()}, computed once per explainer and cached under {@code key}
     * (W⁺, W⁻, W², ...), so rules pay for it once per model, not once per call.
     *
     * @param key    identifies the transform; equal keys must mean equal transforms
     * @param derive computes the derived weight from the weight, same shape, without modifying it
     * @return the cached derived weight; never modify
     */
    INDArray derivedWeight(String key, UnaryOperator<INDArray> derive);

    /**
     * Returns an array of any shape that a rule derives from the layer alone, never from an input (the map of a
     * constant bound through W⁺, say), computed once per explainer and cached under {@code key} like
     * {@link #derivedWeight}. This default computes it on every call; the engine's layers cache it.
     *
     * @param key     identifies the computation; equal keys must mean equal arrays
     * @param compute computes it from this layer, without modifying the layer's arrays
     * @return the cached array; never modify
     */
    default INDArray derivedConstant(String key, java.util.function.Function<LinearLayer, INDArray> compute) {
        return compute.apply(this);
    }

    /**
     * The layer's linear map without the bias: {@code Σ_i x_i w_ij} with {@code w} in place of the layer's weight.
     *
     * @param x input, {@code [N, ...inputShape]}
     * @param w a weight of the layer's shape (the layer's own, or a derived one)
     * @return a new array {@code [N, ...outputShape]}
     */
    INDArray forward(INDArray x, INDArray w);

    /**
     * {@link #forward(INDArray, INDArray)} plus a per-output vector: a convolution adds it in the same pass, so a rule
     * whose denominator is {@code Σ_i q_ij + b_j + ε} pays no pass of its own for the bias and the stabilizer.
     *
     * @param x    input, {@code [N, ...inputShape]}
     * @param w    a weight of the layer's shape
     * @param bias {@code [out]}, added at every position of each output; null for none
     * @return a new array {@code [N, ...outputShape]}
     */
    default INDArray forward(INDArray x, INDArray w, INDArray bias) {
        return bias == null ? forward(x, w) : addBias(forward(x, w), bias);
    }

    /**
     * The map of an input split by sign: {@code Σ_i x⁺_i·wa_ij + x⁻_i·wb_ij + bias_j} (z⁺ with W⁺ and W⁻, αβ's
     * positive and negative parts). A 1×1 convolution computes it as one product over {@code [x⁺, x⁻]} stacked
     * along the channel axis with {@code [wa, wb]} (1.3–2× faster than two products for the narrow layers of
     * mobile networks); this default, as two.
     *
     * @param x    input, {@code [N, ...inputShape]}, of either sign
     * @param wa   the weight for the positive part, of the layer's shape
     * @param wb   the weight for the negative part
     * @param bias {@code [out]} or null
     * @return a new array {@code [N, ...outputShape]}
     */
    default INDArray forwardSplit(INDArray x, INDArray wa, INDArray wb, INDArray bias) {
        return forward(Tensors.positive(x), wa, bias).addi(forward(Tensors.negative(x), wb));
    }

    /**
     * The relevance of an input split by sign: {@code x⁺_i·Σ_j wa_ij s_j + x⁻_i·Σ_j wb_ij s_j}, the transpose
     * that goes with {@link #forwardSplit}.
     *
     * @param s  one value per output
     * @param x  the input, of either sign
     * @param wa the weight for the positive part
     * @param wb the weight for the negative part
     * @return a new array {@code [N, ...inputShape]}
     */
    default INDArray transposeSplit(INDArray s, INDArray x, INDArray wa, INDArray wb) {
        return transpose(s, wa).muli(Tensors.positive(x)).addi(transpose(s, wb).muli(Tensors.negative(x)));
    }

    /**
     * Two transposes, each weighted per input: {@code a_i·Σ_j wa_ij s_j + b_i·Σ_j wb_ij s_j} (z^B's
     * {@code (x − l)⊙W⁺ᵀs + (x − h)⊙W⁻ᵀs}). A convolution without channel groups computes both transposes as one,
     * with {@code [wa, wb]} stacked along its input channels (one pass over s instead of two; for a layer with few
     * input channels, such as the first on an image, one about as fast as each of the two); this default, as two.
     *
     * @param s  one value per output, {@code [N, ...outputShape]}
     * @param wa a weight of the layer's shape
     * @param a  input-shaped, {@code [N, ...inputShape]}
     * @param wb a weight of the layer's shape
     * @param b  input-shaped
     * @return a new array {@code [N, ...inputShape]}
     */
    default INDArray transposePair(INDArray s, INDArray wa, INDArray a, INDArray wb, INDArray b) {
        return transpose(s, wa).muli(a).addi(transpose(s, wb).muli(b));
    }

    /**
     * The transpose of {@link #forward}: {@code c_i = Σ_j w_ij s_j}, the input-gradient of {@code Σ_j s_j z_j}.
     *
     * @param s one value per output, {@code [N, ...outputShape]}
     * @param w a weight of the layer's shape
     * @return a new array {@code [N, ...inputShape]}
     */
    INDArray transpose(INDArray s, INDArray w);

    /**
     * {@return a new array {@code z + b}, the per-output vector {@code b} broadcast over positions}
     *
     * @param z an output-shaped array
     * @param b {@code [out]}
     */
    INDArray addBias(INDArray z, INDArray b);

    /**
     * {@return the axis of an output-shaped array of this rank along which the layer's outputs, and so a per-output
     * bias, vary}: the last for a dense layer (at every position), the channel axis (1) for a convolution or an
     * affine BatchNorm; −1 where no single axis holds them. A per-output vector reshaped to lie along this axis
     * broadcasts over the rest, one pass where {@link #addBias} makes a copy; this default says −1, so callers fall
     * back to {@link #addBias}.
     *
     * @param rank the rank of the output-shaped array, batch axis included
     */
    default int outputAxis(int rank) {
        return -1;
    }
}
