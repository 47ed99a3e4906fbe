package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Activation maximization (Erhan et al. 2009; the tutorial's §1.1): the input that maximises a class's logit,
 * {@code x* = argmax_x f_c(x) − λ‖x‖²}, by gradient ascent; and, with a generator {@code g} (code → image, any
 * {@link Graph} the user supplies), the same "in code space" (the tutorial's §1.3, Nguyen et al. 2016):
 * {@code z* = argmax_z f_c(g(z)) − λ‖z‖²}, {@code x* = g(z*)}. The gradient with respect to z is composed from two
 * reverse sweeps: {@code ∂f_c/∂x} from the classifier's, then the generator's vector-Jacobian product started from
 * that gradient at its output. The objective uses the logit, not the log-probability: the logit cannot be raised by
 * lowering the other classes.
 *
 * <p>The schedule, for steps {@code t = 1 … T}, with u the variable (the image, or the code):
 * <ol>
 *   <li>the image {@code x = u} (or {@code g(u)});</li>
 *   <li>jitter, if on and {@code t % jitterEvery == 0}: x is shifted circularly by {@code (dy, dx)}, drawn
 *   uniformly from {@code [−jitter, jitter]²} for each batch element; the gradient at the shifted image is shifted
 *   back (the ascent then follows the mean over shifts);</li>
 *   <li>{@code u ← u + lr · (∇_u f_c − 2λ u)};</li>
 *   <li>blur, if on and {@code t % blurEvery == 0} (image space only): every channel of u is convolved with a
 *   Gaussian of standard deviation σ, radius ⌈3σ⌉, weights renormalised at the borders.</li>
 * </ol>
 * Defaults: 200 steps, learning rate 0.1, λ = 0.01, no jitter, no blur, seed 0; {@link #maximize(int...)} starts
 * from Gaussian noise of standard deviation 0.01 (seeded). Jitter and blur need image inputs ({@code [N,C,H,W]}).
 * Everything random comes from one generator seeded with the seed, so a seed gives the same result every time.
 *
 * <p>The result's attribution is the final image, {@code [N, ...input shape]}, one per batch element (one class per
 * element); its logits are {@code f(x*)}. Extras: {@code "trajectory"}, {@code [N, T+1]}, the explained logit
 * (or {@code Σ_k r_k f_k} for a relevance tensor) of the image after each step, column 0 the starting point;
 * {@code "start"}, the starting point; {@code "code"}, the final code (with a generator). Cost: T forward and
 * backward passes of the classifier (and of the generator), plus one forward pass per jittered step.
 *
 * <p>Known failure modes: without a prior (the generator) or regularisers (λ, blur, jitter), the optimum is an
 * adversarial pattern that hardly resembles the class; λ trades the logit against the image's norm, and for a linear
 * classifier the optimum is {@code w_c / (2λ)}.
 */
public final class ActivationMaximization implements Attribution {
    private final Graph classifier;
    private final Graph generator;
    private final Precision precision;
    private final int steps;
    private final double learningRate;
    private final double l2;
    private final double blurSigma;
    private final int blurEvery;
    private final int jitter;
    private final int jitterEvery;
    private final long seed;
    private final double initScale;
    private final Explainer classifierBackward;
    /** The generator with its output flattened to [N, D] (an explainer's output must be [N,K]); null without one. */
    private final Explainer generatorBackward;

    ActivationMaximization(Graph classifier, Graph generator, Precision precision, int steps, double learningRate,
                           double l2, double blurSigma, int blurEvery, int jitter, int jitterEvery, long seed,
                           double initScale) {
        if (classifier == null || precision == null) {
            throw new ConfigurationException("activation maximization: classifier and precision are required");
        }
        if (steps < 0) {
            throw new ConfigurationException("activation maximization: steps must be >= 0, got " + steps);
        }
        finiteNonNegative("learning rate", learningRate);
        finiteNonNegative("l2", l2);
        finiteNonNegative("blur sigma", blurSigma);
        finiteNonNegative("init scale", initScale);
        if (blurEvery < 0 || jitter < 0 || jitterEvery < 1) {
            throw new ConfigurationException("activation maximization: blur every " + blurEvery + ", jitter " + jitter
                    + " every " + jitterEvery + "; need blur every >= 0 (0: off), jitter >= 0, jitter every >= 1");
        }
        boolean blur = blurEvery > 0 && blurSigma > 0;
        if ((blur || jitter > 0) && classifier.inputShape().rank() != 3) {
            throw new ConfigurationException("activation maximization: blur and jitter need an image input [N,C,H,W],"
                    + " the classifier takes " + classifier.inputShape().toBatchString());
        }
        if (generator != null) {
            if (blur) {
                throw new ConfigurationException("activation maximization: blur acts on the image, but with a "
                        + "generator the variable is the code; use jitter, or no generator");
            }
            Shape out = generator.outputShape();
            Shape in = classifier.inputShape();
            if (!out.equals(in) && !(out.rank() == 1 && out.size() == in.size())) {
                throw new ConfigurationException("activation maximization: the generator's output '"
                        + generator.outputName() + "' is " + out.toBatchString() + ", the classifier takes "
                        + in.toBatchString());
            }
        }
        this.classifier = classifier;
        this.generator = generator;
        this.precision = precision;
        this.steps = steps;
        this.learningRate = learningRate;
        this.l2 = l2;
        this.blurSigma = blurSigma;
        this.blurEvery = blur ? blurEvery : 0;
        this.jitter = jitter;
        this.jitterEvery = jitterEvery;
        this.seed = seed;
        this.initScale = initScale;
        this.classifierBackward = Backward.explainer(classifier, precision, Backward.ReluMode.GRADIENT);
        this.generatorBackward = generator == null ? null
                : Backward.explainer(flattened(generator), precision, Backward.ReluMode.GRADIENT);
    }

    private static void finiteNonNegative(String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new ConfigurationException("activation maximization: " + what + " must be finite and >= 0, got " + v);
        }
    }

    /** {@return the graph itself if its output is [N,D], else the graph with a Flatten appended} */
    private static Graph flattened(Graph g) {
        if (g.outputShape().rank() == 1) {
            return g;
        }
        GraphBuilder b = Graph.builder(g.inputName(), g.inputShape());
        for (Node n : g.nodes()) {
            b.add(n.name(), n.layer(), n.inputs());
        }
        String name = g.outputName() + ".flat";
        while (b.has(name)) {
            name = name + "_";
        }
        return b.add(name, new Flatten(), g.outputName()).build();
    }

    private ActivationMaximization copy(Graph gen, Precision p, int t, double lr, double lambda, double sigma,
                                        int every, int j, int jEvery, long s, double init) {
        return new ActivationMaximization(classifier, gen, p, t, lr, lambda, sigma, every, j, jEvery, s, init);
    }

    /**
     * {@return a copy that optimises in a generator's code space}
     *
     * @param g code → image; its output shaped like the classifier's input (or flat with as many elements); null
     *          for image space
     */
    public ActivationMaximization withGenerator(Graph g) {
        return copy(g, precision, steps, learningRate, l2, blurSigma, blurEvery, jitter, jitterEvery, seed, initScale);
    }

    /** {@return a copy with another number of steps} @param t ≥ 0 */
    public ActivationMaximization withSteps(int t) {
        return copy(generator, precision, t, learningRate, l2, blurSigma, blurEvery, jitter, jitterEvery, seed,
                initScale);
    }

    /** {@return a copy with another learning rate} @param lr step size of the ascent, ≥ 0 */
    public ActivationMaximization withLearningRate(double lr) {
        return copy(generator, precision, steps, lr, l2, blurSigma, blurEvery, jitter, jitterEvery, seed, initScale);
    }

    /** {@return a copy with another L2 penalty} @param lambda λ in {@code f_c − λ‖u‖²}, ≥ 0 */
    public ActivationMaximization withL2(double lambda) {
        return copy(generator, precision, steps, learningRate, lambda, blurSigma, blurEvery, jitter, jitterEvery, seed,
                initScale);
    }

    /**
     * {@return a copy that blurs the image every few steps}
     *
     * @param sigma standard deviation in pixels; 0 for off
     * @param every blur after steps t with {@code t % every == 0}; 0 for off
     */
    public ActivationMaximization withBlur(double sigma, int every) {
        return copy(generator, precision, steps, learningRate, l2, sigma, every, jitter, jitterEvery, seed, initScale);
    }

    /**
     * {@return a copy that jitters the image every few steps}
     *
     * @param pixels largest shift in each direction; 0 for off
     * @param every  jitter at steps t with {@code t % every == 0}; ≥ 1
     */
    public ActivationMaximization withJitter(int pixels, int every) {
        return copy(generator, precision, steps, learningRate, l2, blurSigma, blurEvery, pixels, every, seed,
                initScale);
    }

    /** {@return a copy with another seed} @param s seeds the starting noise and the jitter */
    public ActivationMaximization withSeed(long s) {
        return copy(generator, precision, steps, learningRate, l2, blurSigma, blurEvery, jitter, jitterEvery, s,
                initScale);
    }

    /** {@return a copy with another scale of the starting noise of {@link #maximize}} @param sd ≥ 0 */
    public ActivationMaximization withInitScale(double sd) {
        return copy(generator, precision, steps, learningRate, l2, blurSigma, blurEvery, jitter, jitterEvery, seed,
                sd);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public ActivationMaximization withPrecision(Precision p) {
        return copy(generator, p, steps, learningRate, l2, blurSigma, blurEvery, jitter, jitterEvery, seed, initScale);
    }

    @Override
    public String name() {
        return "activation-maximization";
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "steps=%d, lr=%s, l2=%s, blur %s, jitter %s, seed=%d%s", steps, learningRate,
                l2, blurEvery == 0 ? "off" : "sigma=" + blurSigma + " every " + blurEvery,
                jitter == 0 ? "off" : jitter + "px every " + jitterEvery, seed, generator == null ? "" : ", generator");
    }

    /** {@return the shape of the variable: the classifier's input, or the generator's code} */
    private Shape variableShape() {
        return generator == null ? classifier.inputShape() : generator.inputShape();
    }

    /**
     * {@return the images that maximise the given classes, starting from seeded Gaussian noise}
     *
     * @param classes one batch element per class
     */
    public Attributions maximize(int... classes) {
        if (classes == null || classes.length == 0) {
            throw new InvalidInputException("activation maximization: no classes given");
        }
        long[] shape = variableShape().withBatch(classes.length);
        java.util.Random rng = new java.util.Random(seed);
        double[] noise = new double[(int) (variableShape().size() * classes.length)];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = rng.nextGaussian() * initScale;
        }
        return run(Nd4j.create(noise, shape, precision.dataType()), Start.classes(classes), new java.util.Random(
                rng.nextLong()));
    }

    /**
     * Maximises from given starting points.
     *
     * @param x     the starting images {@code [N, ...inputShape]}, or codes {@code [N, ...codeShape]} with a
     *              generator; never modified
     * @param start the classes; {@link Start#topClass()} is each starting point's top class; a relevance tensor
     *              {@code r} maximises {@code Σ_k r_k f_k}
     */
    @Override
    public Attributions attribute(INDArray x, Start start) {
        return run(x, start, new java.util.Random(seed));
    }

    private INDArray image(INDArray u) {
        if (generator == null) {
            return u;
        }
        return generatorBackward.forward(u).reshape('c', classifier.inputShape().withBatch(u.size(0)));
    }

    private Attributions run(INDArray x, Start start, java.util.Random rng) {
        // the explainers' input checks (shape, dtype, finite values) before anything else
        INDArray logits0 = generator == null ? classifierBackward.forward(x) : classifierBackward.forward(
                generatorBackward.forward(x).reshape('c', classifier.inputShape().withBatch(x.size(0))));
        INDArray u = x.castTo(precision.dataType()).dup();
        INDArray start0 = u.dup();
        int n = (int) u.size(0);
        INDArray w = Targets.weights(start, logits0, name());
        double[][] trajectory = new double[n][steps + 1];
        for (int t = 1; t <= steps; t++) {
            INDArray img = image(u);
            int[][] shifts = jitter > 0 && t % jitterEvery == 0 ? shifts(rng, n) : null;
            INDArray gradient;
            INDArray logits;
            try (Explanation e = classifierBackward.explain(shifts == null ? img : roll(img, shifts, 1),
                    Start.relevance(w))) {
                gradient = shifts == null ? e.inputRelevance().dup() : roll(e.inputRelevance(), shifts, -1);
                logits = shifts == null ? e.logits().dup() : classifierBackward.forward(img);
            }
            record(trajectory, t - 1, w, logits);
            if (generator != null) {
                try (Explanation e = generatorBackward.explain(u, Start.relevance(gradient.reshape('c', n,
                        gradient.length() / n)))) {
                    gradient = e.inputRelevance().dup();
                }
            }
            u.addi(gradient.subi(u.mul(2 * l2)).muli(learningRate));
            if (blurEvery > 0 && t % blurEvery == 0) {
                u = blur(u, blurSigma);
            }
        }
        INDArray img = image(u).dup();
        INDArray logits = classifierBackward.forward(img);
        record(trajectory, steps, w, logits);
        Map<String, INDArray> extras = new LinkedHashMap<>();
        extras.put("trajectory", Nd4j.create(trajectory).castTo(precision.dataType()));
        extras.put("start", start0);
        if (generator != null) {
            extras.put("code", u);
        }
        return new Attributions(name(), img, logits, Targets.of(w), extras, null, null);
    }

    private static void record(double[][] trajectory, int column, INDArray w, INDArray logits) {
        double[] f = Targets.weighted(w, logits);
        for (int i = 0; i < f.length; i++) {
            trajectory[i][column] = f[i];
        }
    }

    private int[][] shifts(java.util.Random rng, int n) {
        int[][] s = new int[n][2];
        for (int i = 0; i < n; i++) {
            s[i][0] = rng.nextInt(2 * jitter + 1) - jitter;
            s[i][1] = rng.nextInt(2 * jitter + 1) - jitter;
        }
        return s;
    }

    /**
     * {@return a circular shift of every element of {@code [N,C,H,W]} by its {@code sign · (dy, dx)}, a new array}
     */
    static INDArray roll(INDArray a, int[][] shifts, int sign) {
        long[] sh = a.shape();
        int n = (int) sh[0];
        int c = (int) sh[1];
        int h = (int) sh[2];
        int wd = (int) sh[3];
        double[] in = a.dup('c').data().asDouble();
        double[] out = new double[in.length];
        for (int i = 0; i < n; i++) {
            int dy = Math.floorMod(sign * shifts[i][0], h);
            int dx = Math.floorMod(sign * shifts[i][1], wd);
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * h * wd;
                for (int y = 0; y < h; y++) {
                    int ty = (y + dy) % h;
                    for (int x = 0; x < wd; x++) {
                        out[base + ty * wd + (x + dx) % wd] = in[base + y * wd + x];
                    }
                }
            }
        }
        return Nd4j.create(out, sh, a.dataType());
    }

    /**
     * {@return every channel of {@code [N,C,H,W]} convolved with a Gaussian of standard deviation {@code sigma},
     * radius ⌈3σ⌉, separably, with the weights renormalised where the kernel leaves the image; a new array}
     */
    static INDArray blur(INDArray a, double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
        }
        long[] sh = a.shape();
        int planes = (int) (sh[0] * sh[1]);
        int h = (int) sh[2];
        int w = (int) sh[3];
        double[] data = a.dup('c').data().asDouble();
        double[] tmp = new double[data.length];
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    double norm = 0;
                    for (int i = Math.max(-r, -x); i <= Math.min(r, w - 1 - x); i++) {
                        s += k[i + r] * data[base + y * w + x + i];
                        norm += k[i + r];
                    }
                    tmp[base + y * w + x] = s / norm;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    double norm = 0;
                    for (int i = Math.max(-r, -y); i <= Math.min(r, h - 1 - y); i++) {
                        s += k[i + r] * tmp[base + (y + i) * w + x];
                        norm += k[i + r];
                    }
                    data[base + y * w + x] = s / norm;
                }
            }
        }
        return Nd4j.create(data, sh, a.dataType());
    }
}
