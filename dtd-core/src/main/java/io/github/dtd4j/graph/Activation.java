package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * An element-wise activation other than ReLU: ReLU6 and other clips, leaky ReLU, ELU, sigmoid, hard sigmoid, hard
 * swish, tanh, GELU and SiLU. Its default rule passes relevance through unchanged (docs/conventions.md#activations),
 * as Zennit's {@code Pass} and AttnLRP's identity rule do; its vector-Jacobian product is the activation's
 * derivative, for gradient-based methods.
 *
 * @param function the function
 * @param alpha    its first parameter: the clip's lower bound, the leaky ReLU's and ELU's α, the hard sigmoid's α;
 *                 0 where the function takes none
 * @param beta     its second parameter: the clip's upper bound, the hard sigmoid's β; 0 where the function takes
 *                 none
 */
public record Activation(Function function, double alpha, double beta) implements Layer {

    /** The element-wise functions, with PyTorch's and ONNX's definitions. */
    public enum Function {
        /** {@code min(max(x, α), β)} (ONNX Clip; ReLU6 is α = 0, β = 6) */
        CLIP("Clip"),
        /** {@code x} for {@code x > 0}, else {@code α·x} */
        LEAKY_RELU("LeakyRelu"),
        /** {@code x} for {@code x > 0}, else {@code α·(eˣ − 1)} */
        ELU("Elu"),
        /** {@code 1 / (1 + e⁻ˣ)} */
        SIGMOID("Sigmoid"),
        /** {@code max(0, min(1, α·x + β))} (PyTorch's Hardsigmoid is α = 1/6, β = 1/2) */
        HARD_SIGMOID("HardSigmoid"),
        /** {@code x · max(0, min(1, x/6 + 1/2))} */
        HARD_SWISH("HardSwish"),
        /** {@code tanh(x)} */
        TANH("Tanh"),
        /** {@code x · Φ(x) = x/2 · (1 + erf(x/√2))}, the exact GELU */
        GELU("Gelu"),
        /** {@code x · σ(x)} (Swish with β = 1) */
        SILU("SiLU");

        private final String display;

        Function(String display) {
            this.display = display;
        }

        /** {@return the name used in kinds and messages, e.g. "HardSwish"} */
        public String display() {
            return display;
        }
    }

    /** Validates the parameters. */
    public Activation {
        if (function == null) {
            throw new InvalidGraphException("Activation function is required");
        }
        if (!Double.isFinite(alpha) && !(function == Function.CLIP && alpha == Double.NEGATIVE_INFINITY)
                || !Double.isFinite(beta) && !(function == Function.CLIP && beta == Double.POSITIVE_INFINITY)) {
            throw new InvalidGraphException(function.display() + " parameters must be finite, got " + alpha + ", "
                    + beta);
        }
        switch (function) {
            case CLIP -> {
                if (!(alpha <= beta)) {
                    throw new InvalidGraphException("Clip needs min <= max, got min " + alpha + ", max " + beta);
                }
            }
            case LEAKY_RELU, ELU, HARD_SIGMOID -> {
                if (function != Function.HARD_SIGMOID && beta != 0) {
                    throw new InvalidGraphException(function.display() + " takes one parameter, got beta " + beta);
                }
            }
            default -> {
                if (alpha != 0 || beta != 0) {
                    throw new InvalidGraphException(function.display() + " takes no parameters, got " + alpha + ", "
                            + beta);
                }
            }
        }
    }

    /** {@return ReLU6: {@code min(max(x, 0), 6)}} */
    public static Activation relu6() {
        return clip(0, 6);
    }

    /** {@return {@code min(max(x, min), max)}} @param min lower bound (may be −∞) @param max upper bound (may be +∞) */
    public static Activation clip(double min, double max) {
        return new Activation(Function.CLIP, min, max);
    }

    /** {@return leaky ReLU with slope α below 0} @param alpha slope */
    public static Activation leakyRelu(double alpha) {
        return new Activation(Function.LEAKY_RELU, alpha, 0);
    }

    /** {@return ELU with scale α below 0} @param alpha scale */
    public static Activation elu(double alpha) {
        return new Activation(Function.ELU, alpha, 0);
    }

    /** {@return the logistic sigmoid} */
    public static Activation sigmoid() {
        return new Activation(Function.SIGMOID, 0, 0);
    }

    /** {@return {@code max(0, min(1, α·x + β))}} @param alpha slope @param beta offset */
    public static Activation hardSigmoid(double alpha, double beta) {
        return new Activation(Function.HARD_SIGMOID, alpha, beta);
    }

    /** {@return PyTorch's hard swish} */
    public static Activation hardSwish() {
        return new Activation(Function.HARD_SWISH, 0, 0);
    }

    /** {@return tanh} */
    public static Activation tanh() {
        return new Activation(Function.TANH, 0, 0);
    }

    /** {@return the exact (erf) GELU} */
    public static Activation gelu() {
        return new Activation(Function.GELU, 0, 0);
    }

    /** {@return SiLU, {@code x·σ(x)}} */
    public static Activation silu() {
        return new Activation(Function.SILU, 0, 0);
    }

    /** {@return the function's name, e.g. "HardSwish"; a clip to [0, 6] is "ReLU6"} */
    @Override
    public String kind() {
        return function == Function.CLIP && alpha == 0 && beta == 6 ? "ReLU6" : function.display();
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        return inputs.get(0);
    }

    @Override
    public String toString() {
        return switch (function) {
            case CLIP -> "Activation[" + kind() + ", min=" + alpha + ", max=" + beta + "]";
            case LEAKY_RELU, ELU -> "Activation[" + kind() + ", alpha=" + alpha + "]";
            case HARD_SIGMOID -> "Activation[" + kind() + ", alpha=" + alpha + ", beta=" + beta + "]";
            default -> "Activation[" + kind() + "]";
        };
    }
}
