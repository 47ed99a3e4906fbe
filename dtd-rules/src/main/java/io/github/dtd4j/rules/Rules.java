package io.github.dtd4j.rules;

import io.github.dtd4j.spi.LinearRule;

/**
 * The library's rules: constants for the parameter-free ones, factories for the others.
 *
 * <pre>{@code
 * Explainer.of(model).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.zBox(-0.5, 1.5))
 * }</pre>
 */
public final class Rules {
    private Rules() {
    }

    /** z⁺ (paper §4.2), for layers whose inputs are ReLU outputs. */
    public static final LinearRule Z_PLUS = new ZPlusRule();
    /** w² (paper §4.1), for a first layer with unbounded inputs. */
    public static final LinearRule W_SQUARE = new WSquareRule();
    /** Flat: uniform over the receptive field. */
    public static final LinearRule FLAT = new FlatRule();
    /** LRP-0: ε = 0 (only the explainer's stabilizer). */
    public static final LinearRule LRP_0 = new EpsilonRule(0);
    /** α2β1. */
    public static final LinearRule ALPHA2_BETA1 = new AlphaBetaRule(2, 1);
    /** α1β0, equal to z⁺. */
    public static final LinearRule ALPHA1_BETA0 = new AlphaBetaRule(1, 0);

    /** {@return LRP-ε} @param epsilon ≥ 0, e.g. 0.25 */
    public static EpsilonRule epsilon(double epsilon) {
        return new EpsilonRule(epsilon);
    }

    /** {@return the αβ-rule} @param alpha ≥ 1 @param beta ≥ 0 with alpha − beta = 1 */
    public static AlphaBetaRule alphaBeta(double alpha, double beta) {
        return new AlphaBetaRule(alpha, beta);
    }

    /** {@return the γ-rule} @param gamma ≥ 0, e.g. 0.25 */
    public static GammaRule gamma(double gamma) {
        return new GammaRule(gamma);
    }

    /** {@return z^B with one box for every input} @param low lower bound @param high upper bound */
    public static ZBoxRule zBox(double low, double high) {
        return new ZBoxRule(new double[]{low}, new double[]{high}, false);
    }

    /** {@return z^B with one box per input channel} @param low per channel @param high per channel */
    public static ZBoxRule zBox(double[] low, double[] high) {
        return new ZBoxRule(low, high, false);
    }

    /**
     * {@return z^B for images in [0,1] normalised with per-channel mean and std: {@code l_c = −μ_c/σ_c},
     * {@code h_c = (1 − μ_c)/σ_c}}
     *
     * @param mean per-channel mean, e.g. ImageNet's {0.485, 0.456, 0.406}
     * @param std  per-channel standard deviation, e.g. {0.229, 0.224, 0.225}
     */
    public static ZBoxRule zBoxNormalized(double[] mean, double[] std) {
        if (mean == null || std == null || mean.length != std.length) {
            throw new io.github.dtd4j.errors.ConfigurationException("zBoxNormalized: mean and std need the same length");
        }
        double[] lo = new double[mean.length];
        double[] hi = new double[mean.length];
        for (int c = 0; c < mean.length; c++) {
            if (!(std[c] > 0)) {
                throw new io.github.dtd4j.errors.ConfigurationException("zBoxNormalized: std[" + c + "] must be > 0, got "
                        + std[c]);
            }
            lo[c] = (0 - mean[c]) / std[c];
            hi[c] = (1 - mean[c]) / std[c];
        }
        return new ZBoxRule(lo, hi, false);
    }

    /**
     * {@return z^B for images in [0,1] normalised with ImageNet's per-channel mean and std as torchvision does
     * (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225)}
     */
    public static ZBoxRule zBoxImageNet() {
        return zBoxNormalized(new double[]{0.485, 0.456, 0.406}, new double[]{0.229, 0.224, 0.225});
    }
}
