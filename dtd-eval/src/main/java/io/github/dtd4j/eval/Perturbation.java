package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What a perturbed region is replaced by. Each perturbation defines, for an image {@code x} of shape {@code [C,H,W]},
 * a replacement image {@code r} of the same shape; perturbing a region sets {@code x[c,y,x] = r[c,y,x]} for every
 * channel {@code c} and every pixel of the region. Perturbing region after region therefore never depends on the
 * order, and MoRF and LeRF see the same values.
 * <ul>
 *   <li>{@link #constant(double)}: {@code r = v} everywhere;</li>
 *   <li>{@link #mean()}: {@code r[c,·,·] = mean over pixels of x[c,·,·]}, the image's own per-channel mean;</li>
 *   <li>{@link #uniform(long)}: {@code r[c,y,x] ~ U[min x, max x)}, independent draws over the image's own value range,
 *       from a generator seeded by {@code (seed, image index)}: the same image at the same position gets the same
 *       noise whatever the batch;</li>
 *   <li>{@link #blur(double)}: {@code r = G_σ * x}, each channel convolved with a normalised Gaussian of standard
 *       deviation σ (in pixels) truncated at {@code ⌈3σ⌉}, the image's edge pixels repeated beyond its border.</li>
 * </ul>
 */
public final class Perturbation {
    private enum Kind { CONSTANT, MEAN, UNIFORM, BLUR }

    private final Kind kind;
    private final double value;
    private final long seed;

    private Perturbation(Kind kind, double value, long seed) {
        this.kind = kind;
        this.value = value;
        this.seed = seed;
    }

    /** {@return replacement by the value {@code v} in every channel} @param v a finite value */
    public static Perturbation constant(double v) {
        if (!Double.isFinite(v)) {
            throw new ConfigurationException("perturbation constant: the value must be finite, got " + v);
        }
        return new Perturbation(Kind.CONSTANT, v, 0);
    }

    /** {@return replacement by the image's own per-channel mean} */
    public static Perturbation mean() {
        return new Perturbation(Kind.MEAN, 0, 0);
    }

    /** {@return replacement by seeded uniform noise over the image's own value range} @param seed the seed */
    public static Perturbation uniform(long seed) {
        return new Perturbation(Kind.UNIFORM, 0, seed);
    }

    /** {@return replacement by the image blurred with a Gaussian of standard deviation {@code sigma} pixels} @param sigma &gt; 0 */
    public static Perturbation blur(double sigma) {
        if (!(sigma > 0) || !Double.isFinite(sigma)) {
            throw new ConfigurationException("perturbation blur: sigma must be a finite number > 0, got " + sigma);
        }
        return new Perturbation(Kind.BLUR, sigma, 0);
    }

    /**
     * {@return a perturbation by the name {@code dtd evaluate --perturbation} uses}: constant (with {@code value}),
     * mean, uniform (with {@code seed}) or blur (σ = {@code value} if it is &gt; 0, else 1)
     *
     * @param name  constant, mean, uniform or blur
     * @param value the constant, or blur's σ
     * @param seed  uniform's seed
     */
    public static Perturbation named(String name, double value, long seed) {
        if (name == null) {
            throw new ConfigurationException("perturbation: the name is null; use constant, mean, uniform or blur");
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "constant" -> constant(value);
            case "mean" -> mean();
            case "uniform" -> uniform(seed);
            case "blur" -> blur(value > 0 ? value : 1.0);
            default -> throw new ConfigurationException("perturbation: unknown '" + name
                    + "'; use constant, mean, uniform or blur");
        };
    }

    /** {@return the perturbation's name and parameter, e.g. "constant(0)", "blur(σ=1)"} */
    @Override
    public String toString() {
        return switch (kind) {
            case CONSTANT -> "constant(" + fmt(value) + ")";
            case MEAN -> "mean";
            case UNIFORM -> "uniform(seed=" + seed + ")";
            case BLUR -> "blur(sigma=" + fmt(value) + ")";
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * {@return the replacement image of one input image}
     *
     * @param x     the image as a row {@code [C·H·W]}, channel-major
     * @param c     channels
     * @param h     height
     * @param w     width
     * @param index the image's index in the metric's input (seeds the uniform noise)
     */
    double[] replacement(double[] x, int c, int h, int w, int index) {
        int hw = h * w;
        double[] r = new double[x.length];
        switch (kind) {
            case CONSTANT -> java.util.Arrays.fill(r, value);
            case MEAN -> {
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int p = 0; p < hw; p++) {
                        s += x[ch * hw + p];
                    }
                    java.util.Arrays.fill(r, ch * hw, (ch + 1) * hw, s / hw);
                }
            }
            case UNIFORM -> {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (double v : x) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
                for (int i = 0; i < r.length; i++) {
                    r[i] = lo + (hi - lo) * rnd.nextDouble();
                }
            }
            case BLUR -> blur(x, r, c, h, w, value);
        }
        return r;
    }

    /** Separable Gaussian blur with edge replication, into {@code out}. */
    static void blur(double[] x, double[] out, int c, int h, int w, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-(double) i * i / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        int hw = h * w;
        double[] tmp = new double[hw];
        for (int ch = 0; ch < c; ch++) {
            int o = ch * hw;
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        int xi = Math.min(w - 1, Math.max(0, xx + i));
                        s += k[i + radius] * x[o + y * w + xi];
                    }
                    tmp[y * w + xx] = s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    for (int i = -radius; i <= radius; i++) {
                        int yi = Math.min(h - 1, Math.max(0, y + i));
                        s += k[i + radius] * tmp[yi * w + xx];
                    }
                    out[o + y * w + xx] = s;
                }
            }
        }
    }
}
