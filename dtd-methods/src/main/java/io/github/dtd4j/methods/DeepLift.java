package io.github.dtd4j.methods;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DeepLIFT with the rescale rule (Shrikumar, Greenside, Kundaje 2017; the tutorial's §2.5), computed as Captum's
 * {@code DeepLift} computes it. Every node passes a <em>multiplier</em> {@code m} backwards, from 1 at the explained
 * class (or the given output tensor):
 * <ul>
 *   <li>a ReLU: {@code m_in = m_out · Δy/Δx} with {@code Δx = x − x'}, {@code Δy = y − y'} the differences between
 *   the input's and the baseline's activations; where {@code |Δx| < eps} (default 1e-10, Captum's) the gradient
 *   {@code m_out · 1[x > 0]} instead;</li>
 *   <li>a max-pooling (Captum's {@code maxpool2d}): with {@code y = maxpool(x)}, {@code y' = maxpool(x')} and
 *   {@code M = max(y, y')},
 *   {@code m_in = (route_x(m_out ⊙ (M − y')) + route_x'(m_out ⊙ (y − M))) / Δx}, where {@code route_a} sends each
 *   window's value to the window's first maximum of {@code a} (the pooling's gradient at {@code a}); where
 *   {@code |Δx| < eps} the gradient at x, {@code route_x(m_out)};</li>
 *   <li>any other element-wise activation (sigmoid, tanh, ReLU6, GELU, ...; Captum's {@code nonlinear}):
 *   {@code m_in = m_out · Δy/Δx}, the gradient {@code m_out · f′(x)} where {@code |Δx| < eps};</li>
 *   <li>every other node (Dense, Conv2d, BatchNorm, average and sum pooling, Add, Concat, reshapes, products): its
 *   transpose,
 *   {@link io.github.dtd4j.Propagations#gradient()}.</li>
 * </ul>
 * The attribution is {@code (x − x') ⊙ m} at the input. Summation-to-delta, {@code Σ attribution = f_c(x) − f_c(x')},
 * holds exactly (to float rounding) on every graph built from these kinds; {@link Attributions#convergenceDelta()}
 * reports the gap per element. Extras: {@code "baseline"} (as used, {@code [N, ...]}) and {@code "multipliers"}
 * ({@code m} at the input).
 *
 * <p>Defaults: zero baseline, eps 1e-10, float32. Cost: one forward pass of the baseline (its activations at every
 * node are kept for the call), one forward pass for the targets, one forward and one backward sweep of the input.
 *
 * <p>Where dtd4j and Captum differ: where {@code |Δx| < eps} at a max-pooling's input, Captum takes the gradient of
 * batch row 0 for every row ({@code grad_input[0]}); dtd4j takes each element's own gradient, so that batch elements
 * never interact (for a batch of one they agree). {@code LocalResponseNorm}, {@code CustomLayer} and {@code Mul}
 * (a product of two activations, such as a squeeze-and-excitation gate) nodes, which Captum would not hook either,
 * pass the gradient; summation-to-delta then holds only approximately, and the delta
 * says by how much. Known failure modes: the result depends on the baseline, as for Integrated Gradients; the
 * rescale rule can hide dependencies that the RevealCancel rule (not implemented) would show.
 */
public final class DeepLift implements Attribution {
    /** Captum's default. */
    static final double DEFAULT_EPS = 1e-10;

    private final Graph graph;
    private final Precision precision;
    private final INDArray baseline;
    private final double eps;
    /** Gradient (the transpose) at every node; the rescale rules are added per call. */
    private final Explainer linear;

    DeepLift(Graph graph, Precision precision, INDArray baseline, double eps) {
        if (graph == null || precision == null) {
            throw new ConfigurationException("deeplift: graph and precision are required");
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new ConfigurationException("deeplift: eps must be finite and >= 0, got " + eps);
        }
        this.graph = graph;
        this.precision = precision;
        this.baseline = Baselines.checked(graph, baseline, "deeplift");
        this.eps = eps;
        this.linear = Explainer.of(graph).precision(precision).batchNorm(BatchNormMode.BYPASS).rule(new Transpose());
    }

    /**
     * {@return a copy with another baseline}
     *
     * @param b {@code [...inputShape]} (one for all elements) or {@code [N, ...inputShape]}; null for zeros
     */
    public DeepLift withBaseline(INDArray b) {
        return new DeepLift(graph, precision, b, eps);
    }

    /** {@return a copy with another threshold below which |Δx| counts as zero} @param e ≥ 0 (Captum: 1e-10) */
    public DeepLift withEps(double e) {
        return new DeepLift(graph, precision, baseline, e);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public DeepLift withPrecision(Precision p) {
        return new DeepLift(graph, p, baseline, eps);
    }

    @Override
    public String name() {
        return "deeplift";
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "rescale, baseline %s, eps=%s", baseline == null ? "zero" : "given", eps);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        INDArray logits = linear.forward(x);
        INDArray xs = x.castTo(logits.dataType());
        INDArray base = Baselines.forBatch(baseline, xs, graph, name());
        INDArray w = Targets.weights(start, logits, name());
        Map<String, INDArray> ref = linear.activations(base);
        Rescale rescale = new Rescale(ref, eps);
        Explainer ex = linear.rule(Selector.kind(Relu.class, MaxPool2d.class, Activation.class), rescale);
        INDArray m;
        try (Explanation e = ex.explain(xs, Start.relevance(w))) {
            m = e.inputRelevance().dup();
        }
        INDArray attribution = xs.sub(base).muli(m);
        double[] fx = Targets.weighted(w, logits);
        double[] fb = Targets.weighted(w, ref.get(linear.compiledGraph().outputName()));
        double[] delta = Baselines.delta(attribution, fx, fb);
        return new Attributions(name(), attribution, logits, Targets.of(w), Map.of("baseline", base, "multipliers", m),
                delta, null);
    }

    /**
     * The transpose (vector-Jacobian product) at every node, declaring that it reads the node's output so that the
     * engine keeps every ReLU's input as recorded (the rescale rule needs the pre-activation, which an in-place ReLU
     * would overwrite).
     */
    record Transpose() implements Rule {
        @Override
        public String name() {
            return "gradient (deeplift)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return true;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return ctx.vjp(ctx.relevance());
        }
    }

    /**
     * The rescale rule at ReLU, max-pooling and other activation nodes, for one call: the baseline's activations by node name.
     *
     * @param ref the baseline's activation at every node (and the input), {@code [N, ...]}
     * @param eps |Δx| below which the gradient is used
     */
    record Rescale(Map<String, INDArray> ref, double eps) implements Rule {
        @Override
        public String name() {
            return "rescale (deeplift)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof Relu || layer instanceof MaxPool2d || layer instanceof Activation;
        }

        private INDArray refOf(String node) {
            INDArray a = ref.get(node);
            if (a == null) {
                throw new ConfigurationException("deeplift: no baseline activation recorded for node '" + node + "'");
            }
            return a;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            INDArray x = ctx.inputs().get(0);
            INDArray xr = refOf(ctx.inputNames().get(0));
            INDArray y = ctx.output();
            INDArray yr = refOf(ctx.name());
            INDArray g = ctx.relevance();
            INDArray dx = x.sub(xr);
            INDArray small = Transforms.abs(dx, true).lt(eps).castTo(dx.dataType());
            INDArray large = small.rsub(1.0);
            // where |Δx| < eps the multiplier is the gradient; dividing by Δx + 1 there keeps the quotient finite
            INDArray safe = dx.add(small);
            INDArray contribution;
            INDArray gradient;
            if (ctx.layer() instanceof Relu) {
                contribution = g.mul(y.sub(yr));
                gradient = g.mul(x.gt(0.0).castTo(g.dataType()));
            } else if (ctx.layer() instanceof Activation) {
                // Captum's nonlinear rule for sigmoid, tanh, ELU, ...: Δy/Δx, the gradient where Δx is tiny
                contribution = g.mul(y.sub(yr));
                gradient = ctx.vjp(List.of(x), g).get(0);
            } else {
                INDArray top = Transforms.max(y, yr, true);
                INDArray fromX = ctx.vjp(List.of(x), g.mul(top.sub(yr))).get(0);
                INDArray fromRef = ctx.vjp(List.of(xr), g.mul(y.sub(top))).get(0);
                contribution = fromX.addi(fromRef);
                gradient = ctx.vjp(List.of(x), g).get(0);
            }
            return List.of(contribution.divi(safe).muli(large).addi(gradient.muli(small)));
        }
    }
}
