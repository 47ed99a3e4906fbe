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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Integrated Gradients (Sundararajan et al. 2017; the tutorial's §3.4):
 * {@code IG_i(x) = (x_i − x'_i) · Σ_k w_k ∂f_c/∂x_i(x' + α_k (x − x'))}, with the baseline x' (zeros by default) and
 * the points α_k and weights w_k of a {@link Quadrature} (Gauss–Legendre with 50 steps by default, as Captum's
 * {@code IntegratedGradients}). Completeness, {@code Σ_i IG_i = f_c(x) − f_c(x')}, holds up to the quadrature's
 * error, which {@link Attributions#convergenceDelta()} reports per element. Cost: one forward pass of the input for
 * the targets, one of the baseline for the delta (a single row when the baseline is zero or shared by the batch),
 * then {@code steps} forward and backward passes, run as batches of {@code internalBatchSize} rows. Known failure modes: the result depends on the baseline; a black image is no
 * neutral input for every model.
 */
public final class IntegratedGradients implements Attribution {
    private final Graph graph;
    private final Precision precision;
    private final int steps;
    private final Quadrature quadrature;
    private final INDArray baseline;
    private final int internalBatchSize;
    private final io.github.dtd4j.ExplanationEngine engine;
    private final Explainer backward;

    IntegratedGradients(Graph graph, Precision precision, int steps, Quadrature quadrature, INDArray baseline,
                        int internalBatchSize) {
        this(graph, precision, steps, quadrature, baseline, internalBatchSize, io.github.dtd4j.ExplanationEngine.ND4J);
    }

    private IntegratedGradients(Graph graph, Precision precision, int steps, Quadrature quadrature, INDArray baseline,
                                int internalBatchSize, io.github.dtd4j.ExplanationEngine engine) {
        if (graph == null || precision == null || quadrature == null || engine == null) {
            throw new ConfigurationException("integrated gradients: graph, precision, quadrature and engine are "
                    + "required");
        }
        quadrature.points(steps);
        if (internalBatchSize < 1) {
            throw new ConfigurationException("integrated gradients: internal batch size must be >= 1, got "
                    + internalBatchSize);
        }
        this.graph = graph;
        this.precision = precision;
        this.steps = steps;
        this.quadrature = quadrature;
        this.baseline = Baselines.checked(graph, baseline, "integrated gradients");
        this.internalBatchSize = internalBatchSize;
        this.engine = engine;
        this.backward = Backward.explainer(graph, precision, Backward.ReluMode.GRADIENT, true).engine(engine);
    }

    /**
     * {@return a copy on another engine}: {@code ONNX_RUNTIME} runs the scaled inputs through the gradient compiled
     * into one ONNX graph (needs {@code dtd-ort}), as batches of {@link #withInternalBatchSize} rows: with
     * {@code internalBatchSize ≥ steps × N}, every step of the batch is one run of that graph. The scaling and the
     * weighted sum stay on the JVM, so the result is the ND4J engine's to float rounding
     *
     * @param e the engine
     */
    public IntegratedGradients withEngine(io.github.dtd4j.ExplanationEngine e) {
        return new IntegratedGradients(graph, precision, steps, quadrature, baseline, internalBatchSize, e);
    }

    /** {@return a copy with another number of steps} @param n ≥ 1 */
    public IntegratedGradients withSteps(int n) {
        return new IntegratedGradients(graph, precision, n, quadrature, baseline, internalBatchSize, engine);
    }

    /** {@return a copy with another quadrature} @param q e.g. {@link Quadrature#RIEMANN_TRAPEZOID} */
    public IntegratedGradients withQuadrature(Quadrature q) {
        return new IntegratedGradients(graph, precision, steps, q, baseline, internalBatchSize, engine);
    }

    /**
     * {@return a copy with another baseline}
     *
     * @param b {@code [...inputShape]} (one for all elements) or {@code [N, ...inputShape]}; null for zeros
     */
    public IntegratedGradients withBaseline(INDArray b) {
        return new IntegratedGradients(graph, precision, steps, quadrature, b, internalBatchSize, engine);
    }

    /** {@return a copy that runs at most {@code rows} scaled inputs per backward sweep} @param rows ≥ 1 */
    public IntegratedGradients withInternalBatchSize(int rows) {
        return new IntegratedGradients(graph, precision, steps, quadrature, baseline, rows, engine);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public IntegratedGradients withPrecision(Precision p) {
        return new IntegratedGradients(graph, p, steps, quadrature, baseline, internalBatchSize, engine);
    }

    @Override
    public String name() {
        return "integrated-gradients";
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "steps=%d, %s, baseline %s", steps, quadrature.spelling(),
                baseline == null ? "zero" : "given") + Backward.engineLabel(engine);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        INDArray logits = backward.forward(x);
        INDArray xs = x.castTo(logits.dataType());
        INDArray base = Baselines.forBatch(baseline, xs, graph, "integrated gradients");
        INDArray w = Targets.weights(start, logits, name());
        double[][] pw = quadrature.points(steps);
        int n = (int) xs.size(0);
        INDArray diff = xs.sub(base);
        INDArray total = Nd4j.zeros(xs.dataType(), xs.shape());
        int perChunk = Math.max(1, internalBatchSize / n);
        for (int k0 = 0; k0 < steps; k0 += perChunk) {
            int k1 = Math.min(steps, k0 + perChunk);
            INDArray[] rows = new INDArray[k1 - k0];
            for (int k = k0; k < k1; k++) {
                rows[k - k0] = base.add(diff.mul(pw[0][k]));
            }
            INDArray batch = Nd4j.concat(0, rows);
            try (Explanation e = backward.explain(batch, Start.relevance(Targets.tile(w, k1 - k0)))) {
                INDArray g = e.inputRelevance();
                for (int k = k0; k < k1; k++) {
                    long from = (long) (k - k0) * n;
                    total.addi(g.get(NDArrayIndex.interval(from, from + n)).mul(pw[1][k]));
                }
            }
        }
        INDArray attribution = total.muli(diff);
        double[] fx = Targets.weighted(w, logits);
        // a zero or unbatched baseline is the same row for every element: one row through the model, not N
        INDArray baseLogits = baseline == null || baseline.rank() < xs.rank()
                ? Targets.tile(backward.forward(base.get(NDArrayIndex.interval(0, 1))), n)
                : backward.forward(base);
        double[] fb = Targets.weighted(w, baseLogits);
        double[] delta = Baselines.delta(attribution, fx, fb);
        return new Attributions(name(), attribution, logits, Targets.of(w), Map.of("baseline", base), delta, null);
    }
}
