package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SmoothGrad (Smilkov et al. 2017; the tutorial's §3.5): the gradient averaged over noisy copies of the input,
 * {@code (1/n) Σ_s ∂f_c/∂x (x + ε_s)}, {@code ε_s ~ N(0, σ²)} with {@code σ = noise · (max x − min x)} of each
 * batch element (the SmoothGrad paper's noise level, relative to the input's range). Variants, as Captum's
 * {@code NoiseTunnel} names them: {@code smoothgrad} (the mean), {@code smoothgrad_sq} (the mean of the squared
 * gradients) and {@code vargrad} (their variance). Defaults: 5 samples (Captum's {@code nt_samples}), noise 0.15
 * (the paper's 10–20 %; Captum's default σ = 1 is absolute and has no relative equivalent), seed 0. The noise comes
 * from a seeded generator, so a seed gives the same result every time. With noise 0 it is the gradient. Cost:
 * {@code samples} forward and backward passes, run as one batch.
 */
public final class SmoothGrad implements Attribution {
    /** The three reductions over the samples. */
    public enum Variant {
        /** The mean gradient. */
        SMOOTHGRAD,
        /** The mean squared gradient. */
        SMOOTHGRAD_SQ,
        /** The variance of the gradient. */
        VARGRAD
    }

    private final Graph graph;
    private final Precision precision;
    private final int samples;
    private final double noise;
    private final long seed;
    private final Variant variant;
    private final io.github.dtd4j.ExplanationEngine engine;
    private final Explainer backward;

    SmoothGrad(Graph graph, Precision precision, int samples, double noise, long seed, Variant variant) {
        this(graph, precision, samples, noise, seed, variant, io.github.dtd4j.ExplanationEngine.ND4J);
    }

    private SmoothGrad(Graph graph, Precision precision, int samples, double noise, long seed, Variant variant,
                       io.github.dtd4j.ExplanationEngine engine) {
        if (graph == null || precision == null || variant == null || engine == null) {
            throw new ConfigurationException("smoothgrad: graph, precision, variant and engine are required");
        }
        if (samples < 1) {
            throw new ConfigurationException("smoothgrad: samples must be >= 1, got " + samples);
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new ConfigurationException("smoothgrad: noise must be finite and >= 0, got " + noise);
        }
        this.graph = graph;
        this.precision = precision;
        this.samples = samples;
        this.noise = noise;
        this.seed = seed;
        this.variant = variant;
        this.engine = engine;
        this.backward = Backward.explainer(graph, precision, Backward.ReluMode.GRADIENT, true).engine(engine);
    }

    /**
     * {@return a copy on another engine}: {@code ONNX_RUNTIME} runs the noisy copies as one batch through the
     * gradient compiled into one ONNX graph (needs {@code dtd-ort}); the noise and the reduction over the samples stay
     * on the JVM, so the result is the ND4J engine's to float rounding
     *
     * @param e the engine
     */
    public SmoothGrad withEngine(io.github.dtd4j.ExplanationEngine e) {
        return new SmoothGrad(graph, precision, samples, noise, seed, variant, e);
    }

    /** {@return a copy with another number of samples} @param n ≥ 1 */
    public SmoothGrad withSamples(int n) {
        return new SmoothGrad(graph, precision, n, noise, seed, variant, engine);
    }

    /** {@return a copy with another noise level} @param level σ relative to each element's value range, ≥ 0 */
    public SmoothGrad withNoise(double level) {
        return new SmoothGrad(graph, precision, samples, level, seed, variant, engine);
    }

    /** {@return a copy with another seed} @param s the generator's seed */
    public SmoothGrad withSeed(long s) {
        return new SmoothGrad(graph, precision, samples, noise, s, variant, engine);
    }

    /** {@return a copy with another variant} @param v smoothgrad, smoothgrad_sq or vargrad */
    public SmoothGrad withVariant(Variant v) {
        return new SmoothGrad(graph, precision, samples, noise, seed, v, engine);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public SmoothGrad withPrecision(Precision p) {
        return new SmoothGrad(graph, p, samples, noise, seed, variant, engine);
    }

    @Override
    public String name() {
        return "smoothgrad";
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "%s, samples=%d, noise=%s, seed=%d", variant.name().toLowerCase(Locale.ROOT),
                samples, noise, seed) + Backward.engineLabel(engine);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        INDArray logits = backward.forward(x);
        INDArray xs = x.castTo(logits.dataType());
        INDArray w = Targets.weights(start, logits, name());
        int n = (int) xs.size(0);
        long per = xs.length() / n;
        INDArray flat = xs.reshape('c', n, per);
        INDArray range = flat.max(1).subi(flat.min(1)).muli(noise);
        // Java's generator, not ND4J's: the same seed gives the same noise in every JVM, for any thread count
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        INDArray[] rows = new INDArray[samples];
        for (int s = 0; s < samples; s++) {
            double[] z = new double[Math.toIntExact((long) n * per)];
            for (int i = 0; i < z.length; i++) {
                z[i] = gaussian(rng);
            }
            INDArray eps = Nd4j.create(z, new long[]{n, per}, 'c').castTo(xs.dataType()).muliColumnVector(range);
            rows[s] = flat.add(eps).reshape('c', xs.shape());
        }
        INDArray batch = Nd4j.concat(0, rows);
        INDArray mean = Nd4j.zeros(xs.dataType(), xs.shape());
        INDArray meanSq = Nd4j.zeros(xs.dataType(), xs.shape());
        try (Explanation e = backward.explain(batch, Start.relevance(Targets.tile(w, samples)))) {
            INDArray g = e.inputRelevance();
            for (int s = 0; s < samples; s++) {
                INDArray gs = g.get(org.nd4j.linalg.indexing.NDArrayIndex.interval((long) s * n, (long) (s + 1) * n));
                mean.addi(gs);
                meanSq.addi(gs.mul(gs));
            }
        }
        mean.divi(samples);
        meanSq.divi(samples);
        INDArray a = switch (variant) {
            case SMOOTHGRAD -> mean;
            case SMOOTHGRAD_SQ -> meanSq;
            case VARGRAD -> meanSq.sub(mean.mul(mean));
        };
        return new Attributions(name(), a, logits, Targets.of(w), Map.of(), null, null);
    }

    /** A standard normal draw (Box–Muller, one of the pair). */
    private static double gaussian(java.util.SplittableRandom rng) {
        double u = 1.0 - rng.nextDouble();
        double v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
