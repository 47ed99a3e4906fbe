package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Conservation and positivity, the DTD paper's Definitions 1 and 2, measured as the demo's Table 1 measures them, for
 * any method. With R the method's attribution for the target class (the top class) and f the target logit:
 * <pre>
 *   relative error of image n   e_n = |Σ_p R_p − f(x_n)| / f(x_n)          over the images with f(x_n) &gt; minF
 *   ratio                       Σ_p R_p / f(x_n)                           (its mean over the same images)
 *   negative mass               Σ_{n,p} max(0, −R_p) / Σ_{n,p} |R_p|        over all images
 *   negative elements           the fraction of elements with R_p &lt; −10⁻⁹·max_p |R_p| of their image
 * </pre>
 * A method is conservative on the sample if max e_n ≤ 10⁻³ (the demo's tolerance) and positive if no element is
 * negative. Maps upsampled from a layer (the CAM family) are measured as they are: they do not claim either property.
 */
public final class Conservation {
    private static final String NAME = "conservation";
    /** Largest relative error still called conservative (the demo's Table 1). */
    public static final double TOLERANCE = 1e-3;
    /** Elements below −NEGATIVE_TOL·max|R| of their image count as negative (the demo's Table 1). */
    public static final double NEGATIVE_TOL = 1e-9;

    private final Graph graph;
    private final Precision precision;
    private final double minF;
    private final int batchSize;

    private Conservation(Graph graph, Precision precision, double minF, int batchSize) {
        new Model(NAME, graph, precision, batchSize);
        if (!(minF >= 0) || !Double.isFinite(minF)) {
            throw new ConfigurationException(NAME + ": the smallest explained output must be a finite number >= 0, got "
                    + minF);
        }
        this.graph = graph;
        this.precision = precision;
        this.minF = minF;
        this.batchSize = batchSize;
    }

    /** {@return conservation on {@code model}: images with f(x) &gt; 0, float32, 64 images per call} @param model the model */
    public static Conservation of(Graph model) {
        if (model == null) {
            throw new ConfigurationException(NAME + ": the model is null");
        }
        return new Conservation(model, Precision.FLOAT32, 0, 64);
    }

    /** {@return a copy that measures the relative error on images with f(x) &gt; {@code f}} @param f &gt;= 0 */
    public Conservation withMinOutput(double f) {
        return new Conservation(graph, precision, f, batchSize);
    }

    /** {@return a copy whose forward passes run in {@code p}} @param p the precision */
    public Conservation withPrecision(Precision p) {
        return new Conservation(graph, p, minF, batchSize);
    }

    /** {@return a copy that gives the method {@code n} images per call} @param n &gt;= 1 */
    public Conservation withBatchSize(int n) {
        return new Conservation(graph, precision, minF, n);
    }

    /** {@return the settings, for reports} */
    public String settings() {
        return "f(x) > " + minF + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Measures the method.
     *
     * @param method the method
     * @param x      {@code [N,C,H,W]}, finite; never modified
     * @return the numbers
     */
    public Result evaluate(Attribution method, INDArray x) {
        if (method == null) {
            throw new ConfigurationException(NAME + ": the method is null");
        }
        Model m = new Model(NAME, graph, precision, batchSize);
        double[][] rows = m.rows(NAME, x);
        int n = rows.length;
        double[][] logits = m.logits(rows);
        int[] targets = new int[n];
        double[] f = new double[n];
        for (int i = 0; i < n; i++) {
            targets[i] = Model.argmax(logits[i]);
            f[i] = logits[i][targets[i]];
        }
        double[][] r = Maps.attribute(NAME, method, m, rows, targets, batchSize);
        double[] errors = new double[n];
        Arrays.fill(errors, Double.NaN);
        int explained = 0;
        double maxErr = 0;
        double ratio = 0;
        double neg = 0;
        double abs = 0;
        long negElements = 0;
        long elements = 0;
        double minR = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            double max = 0;
            for (double v : r[i]) {
                sum += v;
                max = Math.max(max, Math.abs(v));
                neg += Math.max(0, -v);
                abs += Math.abs(v);
                minR = Math.min(minR, v);
            }
            for (double v : r[i]) {
                if (v < -NEGATIVE_TOL * max) {
                    negElements++;
                }
            }
            elements += r[i].length;
            if (f[i] > minF) {
                errors[i] = Math.abs(sum - f[i]) / f[i];
                maxErr = Math.max(maxErr, errors[i]);
                ratio += sum / f[i];
                explained++;
            }
        }
        double[] sorted = Arrays.stream(errors).filter(Double::isFinite).sorted().toArray();
        double median = sorted.length == 0 ? Double.NaN
                : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        return new Result(method.name(), settings(), explained, explained == 0 ? Double.NaN : maxErr, median,
                explained == 0 ? Double.NaN : ratio / explained, abs == 0 ? 0 : neg / abs,
                (double) negElements / elements, minR, errors);
    }

    /**
     * What conservation and positivity measured for one method.
     *
     * @param method           the method's name
     * @param settings         the metric's settings
     * @param explained        images with f(x) above the threshold
     * @param maxRelError      max over those of |ΣR − f| / f (NaN if none)
     * @param medianRelError   their median
     * @param meanRatio        their mean ΣR / f
     * @param negativeMass     Σ max(0, −R) / Σ |R| over all images
     * @param negativeElements fraction of elements below −10⁻⁹ max|R| of their image
     * @param minR             the smallest attribution
     * @param relErrors        per image, |ΣR − f| / f (NaN where f is at most the threshold)
     */
    public record Result(String method, String settings, int explained, double maxRelError, double medianRelError,
                         double meanRatio, double negativeMass, double negativeElements, double minR,
                         double[] relErrors) {
        /** Copies the array. */
        public Result {
            relErrors = relErrors.clone();
        }

        @Override
        public double[] relErrors() {
            return relErrors.clone();
        }

        /** {@return Definition 1 on the sample: every explained image within {@link #TOLERANCE}} */
        public boolean conservative() {
            return explained > 0 && maxRelError <= TOLERANCE;
        }

        /** {@return Definition 2 on the sample: no negative element} */
        public boolean positive() {
            return negativeElements == 0;
        }
    }
}
