package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Simple Taylor decomposition at a root (the tutorial's §2.2; the DTD paper's "nearest root" baseline of §6):
 * {@code R_i = ∂f/∂x_i(x̃) · (x_i − x̃_i)}, the first-order term of the expansion of {@code f = f_c} at a point
 * {@code x̃} with {@code f(x̃) ≈ 0}. The root is searched from x along the gradient by Newton steps: each step is
 * the shortest move onto the linearised level set {@code f = level·f(x)},
 * {@code x̃ ← clip(x̃ − ∇f(x̃) (f(x̃) − level·f(x)) / ‖∇f(x̃)‖²)} (clipped to a box when one is given), until
 * {@code |f(x̃)| < tolerance·|f(x)|}. An input with {@code f(x) = 0} is its own root (its attribution is 0).
 * {@code extras()} has the root ("root", shaped like x), {@code f(x̃)} ("root-output", {@code [N]}) and the steps
 * taken ("steps", {@code [N]}); {@link Attributions#convergenceDelta()} is {@code Σ_i R_i − f(x)}, the relevance the
 * decomposition dissipates (f(x̃) and the higher-order terms). Defaults: level 0, tolerance 10⁻³, at most 100
 * steps, no box. The MNIST demo's search is {@code withLevel(0.05).withTolerance(0.1).withBox(-0.5, 1.5)
 * .withMaxSteps(200)}: aiming slightly above 0 keeps the root on the active side of a ReLU output, where the gradient
 * is not 0. Cost: one forward pass, then one forward and backward pass per step for the elements still searching.
 * Known failure modes: on piecewise-linear networks the gradient at the root is that of the root's linear piece,
 * not x's, so the heatmap can be negative and far from conservative (the paper's Table 1); a root in a region where
 * the output is flat 0 has gradient 0 and an empty heatmap; the root found depends on the steps, not only on x.
 * An element whose search ends without a root (the gradient vanished, or the steps ran out) is an
 * {@link InvalidInputException} naming the element and where its search stopped.
 */
public final class TaylorDecomposition implements Attribution {
    private final Graph graph;
    private final Precision precision;
    private final double level;
    private final double tolerance;
    private final int maxSteps;
    private final double lower;
    private final double upper;
    private final Explainer backward;

    TaylorDecomposition(Graph graph, Precision precision, double level, double tolerance, int maxSteps, double lower,
                        double upper) {
        if (graph == null || precision == null) {
            throw new ConfigurationException("taylor: graph and precision are required");
        }
        if (!(Math.abs(level) < 1)) {
            throw new ConfigurationException("taylor: the level (the fraction of f(x) the steps aim at) must be in "
                    + "(-1, 1), got " + level);
        }
        if (!(tolerance > 0) || !(tolerance < 1)) {
            throw new ConfigurationException("taylor: the tolerance must be in (0, 1), got " + tolerance);
        }
        if (maxSteps < 1) {
            throw new ConfigurationException("taylor: max steps must be >= 1, got " + maxSteps);
        }
        if (Double.isNaN(lower) || Double.isNaN(upper) || !(lower < upper)) {
            throw new ConfigurationException("taylor: the box [" + lower + ", " + upper + "] is empty or NaN");
        }
        this.graph = graph;
        this.precision = precision;
        this.level = level;
        this.tolerance = tolerance;
        this.maxSteps = maxSteps;
        this.lower = lower;
        this.upper = upper;
        this.backward = Backward.explainer(graph, precision, Backward.ReluMode.GRADIENT);
    }

    /** {@return a copy whose steps aim at {@code f = a·f(x)}} @param a in (−1, 1), below the tolerance in size */
    public TaylorDecomposition withLevel(double a) {
        return new TaylorDecomposition(graph, precision, a, tolerance, maxSteps, lower, upper);
    }

    /** {@return a copy that accepts a root when {@code |f(x̃)| < t·|f(x)|}} @param t in (0, 1), above |level| */
    public TaylorDecomposition withTolerance(double t) {
        return new TaylorDecomposition(graph, precision, level, t, maxSteps, lower, upper);
    }

    /** {@return a copy with another step budget} @param n ≥ 1 */
    public TaylorDecomposition withMaxSteps(int n) {
        return new TaylorDecomposition(graph, precision, level, tolerance, n, lower, upper);
    }

    /**
     * {@return a copy that keeps the root in a box: every step is clipped to [lo, hi] elementwise}
     *
     * @param lo lower bound, e.g. the input domain's smallest value; −∞ for none
     * @param hi upper bound, above lo; +∞ for none
     */
    public TaylorDecomposition withBox(double lo, double hi) {
        return new TaylorDecomposition(graph, precision, level, tolerance, maxSteps, lo, hi);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public TaylorDecomposition withPrecision(Precision p) {
        return new TaylorDecomposition(graph, p, level, tolerance, maxSteps, lower, upper);
    }

    @Override
    public String name() {
        return "taylor";
    }

    @Override
    public String settings() {
        boolean box = lower != Double.NEGATIVE_INFINITY || upper != Double.POSITIVE_INFINITY;
        return String.format(Locale.ROOT, "level=%s, tolerance=%s, max steps=%d%s", level, tolerance, maxSteps,
                box ? ", box [" + lower + ", " + upper + "]" : "");
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        if (!(tolerance > Math.abs(level))) {
            // checked here, not by the with methods, so that they can be called in any order
            throw new ConfigurationException("taylor: the tolerance must be above |level| so that the steps can reach "
                    + "it; got tolerance " + tolerance + ", level " + level);
        }
        INDArray logits = backward.forward(x);
        INDArray xs = x.castTo(logits.dataType());
        INDArray w = Targets.weights(start, logits, name());
        double[] f0 = Targets.weighted(w, logits);
        int n = (int) xs.size(0);
        long[] rowShape = graph.inputShape().withBatch(1);
        INDArray[] root = new INDArray[n];
        INDArray[] grad = new INDArray[n];
        double[] fRoot = new double[n];
        double[] steps = new double[n];
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            root[i] = xs.get(NDArrayIndex.interval(i, i + 1)).dup().reshape(rowShape);
            active.add(i);
        }
        boolean box = lower != Double.NEGATIVE_INFINITY || upper != Double.POSITIVE_INFINITY;
        for (int step = 0; step < maxSteps && !active.isEmpty(); step++) {
            INDArray[] rows = new INDArray[active.size()];
            INDArray[] weights = new INDArray[active.size()];
            for (int j = 0; j < rows.length; j++) {
                rows[j] = root[active.get(j)];
                weights[j] = w.get(NDArrayIndex.interval(active.get(j), active.get(j) + 1), NDArrayIndex.all());
            }
            INDArray batch = rows.length == 1 ? rows[0].dup() : Nd4j.concat(0, rows);
            INDArray wb = rows.length == 1 ? weights[0].dup() : Nd4j.concat(0, weights);
            List<Integer> next = new ArrayList<>();
            try (Explanation e = backward.explain(batch, Start.relevance(wb))) {
                double[] f = Targets.weighted(wb, e.logits());
                INDArray g = e.inputRelevance();
                for (int j = 0; j < rows.length; j++) {
                    int i = active.get(j);
                    INDArray gi = g.get(NDArrayIndex.interval(j, j + 1)).dup().reshape(rowShape);
                    if (f0[i] == 0 || Math.abs(f[j]) < tolerance * Math.abs(f0[i])) {
                        grad[i] = gi;
                        fRoot[i] = f[j];
                        steps[i] = step;
                        continue;
                    }
                    double gg = gi.mul(gi).sumNumber().doubleValue();
                    if (gg == 0) {
                        throw new InvalidInputException(String.format(Locale.ROOT, "taylor: no root for batch element "
                                + "%d: the gradient vanished after %d step(s) at f = %.6g (f(x) = %.6g, target |f| < "
                                + "%.3g); the output is flat there", i, step, f[j], f0[i], tolerance * Math.abs(f0[i])));
                    }
                    INDArray moved = root[i].sub(gi.mul((f[j] - level * f0[i]) / gg));
                    if (box) {
                        moved = Transforms.min(Transforms.max(moved, lower, false), upper, false);
                    }
                    root[i] = moved;
                    fRoot[i] = f[j];
                    next.add(i);
                }
            }
            active = next;
        }
        if (!active.isEmpty()) {
            int i = active.get(0);
            throw new InvalidInputException(String.format(Locale.ROOT, "taylor: no root for batch element %d (and %d "
                    + "more) within %d steps: f = %.6g before the last step (f(x) = %.6g, target |f| < %.3g); try "
                    + "withMaxSteps, a larger tolerance or a box around the input domain", i, active.size() - 1,
                    maxSteps, fRoot[i], f0[i], tolerance * Math.abs(f0[i])));
        }
        INDArray roots = Nd4j.concat(0, root).reshape(xs.shape());
        INDArray grads = Nd4j.concat(0, grad).reshape(xs.shape());
        INDArray attribution = grads.mul(xs.sub(roots));
        double[] sums = attribution.reshape('c', n, attribution.length() / n).sum(1).toDoubleVector();
        double[] delta = new double[n];
        for (int i = 0; i < n; i++) {
            delta[i] = sums[i] - f0[i];
        }
        Map<String, INDArray> extras = new LinkedHashMap<>();
        extras.put("root", roots);
        extras.put("root-output", Nd4j.createFromArray(fRoot).castTo(logits.dataType()));
        extras.put("steps", Nd4j.createFromArray(steps).castTo(logits.dataType()));
        return new Attributions(name(), attribution, logits, Targets.of(w), extras, delta, null);
    }
}
