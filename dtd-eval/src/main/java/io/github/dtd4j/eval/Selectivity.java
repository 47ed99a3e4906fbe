package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Explanation selectivity as the tutorial's §5.2 (Montavon, Samek, Müller 2018, "Methods for interpreting and
 * understanding deep neural networks", §7.2) measures it: pixel flipping that explains again after every step.
 *
 * <p>Starting from {@code x⁽⁰⁾ = x}, step k (1..L) explains the current image {@code x⁽ᵏ⁻¹⁾} for the target class
 * (the top class of the unperturbed image), finds the {@code P×P} window, at any pixel offset, with the largest
 * relevance summed over its pixels and all channels among the windows that touch no pixel removed before (equal sums:
 * the first in row-major order of the window's top-left corner), and removes it: its pixels take the
 * {@link Perturbation}'s values (the tutorial's: {@link Perturbation#constant(double) constant(0)}). The curve is
 * {@code f(x⁽ᵏ⁾)}, k = 0..L, the target logit (or probability); averaged over the images it is the tutorial's
 * selectivity graph. A sharp drop means the explanation found what the function depends on; the figure of merit is
 * the area under the curve, lower is better:
 * <pre>
 *   AUC = 1/N Σ_n 1/(L+1) Σ_{k=0..L} f(x_n⁽ᵏ⁾)
 * </pre>
 * Unlike {@link RegionPerturbation}, the method runs L times (all images of a step as one batch), on inputs it has not
 * seen, and the windows are not on a fixed grid. A step that finds no free window (removed pixels left no room for a
 * {@code P×P} window) is an {@link InvalidInputException} naming the image and the step.
 */
public final class Selectivity {
    private static final String NAME = "selectivity";

    private final Graph graph;
    private final Precision precision;
    private final int patch;
    private final int steps;
    private final Perturbation perturbation;
    private final boolean probabilities;
    private final int batchSize;

    private Selectivity(Graph graph, Precision precision, int patch, int steps, Perturbation perturbation,
                        boolean probabilities, int batchSize) {
        Model m = new Model(NAME, graph, precision, batchSize);
        if (patch < 1 || patch > Math.min(m.height, m.width)) {
            throw new ConfigurationException(NAME + ": the window must be between 1x1 and the image's shorter side "
                    + Math.min(m.height, m.width) + " (image " + m.height + "x" + m.width + "), got " + patch + "x"
                    + patch);
        }
        int max = (m.height / patch) * (m.width / patch);
        if (steps < 1 || steps > max) {
            throw new ConfigurationException(NAME + ": the steps must be between 1 and " + max + " (the number of "
                    + patch + "x" + patch + " windows that fit side by side in " + m.height + "x" + m.width
                    + "), got " + steps);
        }
        if (perturbation == null) {
            throw new ConfigurationException(NAME + ": the perturbation is null");
        }
        this.graph = graph;
        this.precision = precision;
        this.patch = patch;
        this.steps = steps;
        this.perturbation = perturbation;
        this.probabilities = probabilities;
        this.batchSize = batchSize;
    }

    /**
     * {@return selectivity on {@code model} as the tutorial runs it: 4×4 windows (1/7 of a 28-pixel side; for larger
     * images 1/7 of the shorter side), 20 steps (fewer if fewer windows fit), removal to 0, logits, float32}
     *
     * @param model a model of images {@code [C,H,W]}
     */
    public static Selectivity of(Graph model) {
        if (model == null) {
            throw new ConfigurationException(NAME + ": the model is null");
        }
        Model m = new Model(NAME, model, Precision.FLOAT32, 64);
        int p = Math.max(1, Math.min(m.height, m.width) / 7);
        int steps = Math.min(20, (m.height / p) * (m.width / p));
        return new Selectivity(model, Precision.FLOAT32, p, steps, Perturbation.constant(0), false, 64);
    }

    /** {@return a copy with {@code p×p} windows; the steps shrink if fewer windows fit} @param p the window side */
    public Selectivity withPatch(int p) {
        Model m = new Model(NAME, graph, precision, batchSize);
        int fit = p >= 1 ? (m.height / p) * (m.width / p) : steps;
        return new Selectivity(graph, precision, p, Math.max(1, Math.min(steps, fit)), perturbation, probabilities,
                batchSize);
    }

    /** {@return a copy that removes {@code l} windows} @param l &gt;= 1 */
    public Selectivity withSteps(int l) {
        return new Selectivity(graph, precision, patch, l, perturbation, probabilities, batchSize);
    }

    /** {@return a copy with another replacement of removed windows} @param p the perturbation */
    public Selectivity withPerturbation(Perturbation p) {
        return new Selectivity(graph, precision, patch, steps, p, probabilities, batchSize);
    }

    /** {@return a copy that scores probabilities (true) or logits (false)} @param p probabilities */
    public Selectivity withProbabilities(boolean p) {
        return new Selectivity(graph, precision, patch, steps, perturbation, p, batchSize);
    }

    /** {@return a copy whose forward passes run in {@code p}} @param p float32 or float64 */
    public Selectivity withPrecision(Precision p) {
        return new Selectivity(graph, p, patch, steps, perturbation, probabilities, batchSize);
    }

    /** {@return a copy that gives the method and the model {@code n} images per call} @param n &gt;= 1 */
    public Selectivity withBatchSize(int n) {
        return new Selectivity(graph, precision, patch, steps, perturbation, probabilities, n);
    }

    /** {@return the settings, for reports} */
    public String settings() {
        return "window=" + patch + ", steps=" + steps + ", perturbation=" + perturbation + ", "
                + (probabilities ? "probabilities" : "logits") + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Runs the method on the images, removing one window per step.
     *
     * @param method the method; called L times with all N (current) images, in batches of the batch size
     * @param x      {@code [N,C,H,W]}, finite; never modified
     * @return the curve and its area
     */
    public Result evaluate(Attribution method, INDArray x) {
        if (method == null) {
            throw new ConfigurationException(NAME + ": the method is null");
        }
        Model m = new Model(NAME, graph, precision, batchSize);
        double[][] cur = m.rows(NAME, x);
        int n = cur.length;
        int h = m.height;
        int w = m.width;
        int[] targets = m.topClasses(cur);
        double[][] repl = new double[n][];
        boolean[][] removed = new boolean[n][h * w];
        int[][] windows = new int[n][steps];
        for (int i = 0; i < n; i++) {
            repl[i] = perturbation.replacement(cur[i], m.channels, h, w, i);
        }
        double[][] curve = new double[n][steps + 1];
        for (int k = 0; k <= steps; k++) {
            double[] f = m.scores(cur, targets, probabilities);
            for (int i = 0; i < n; i++) {
                curve[i][k] = f[i];
            }
            if (k == steps) {
                break;
            }
            double[][] maps = Maps.channelSums(Maps.attribute(NAME, method, m, cur, targets, batchSize), h * w);
            for (int i = 0; i < n; i++) {
                int best = bestWindow(maps[i], removed[i], h, w, patch);
                if (best < 0) {
                    throw new InvalidInputException(NAME + ": image " + i + ", step " + (k + 1) + ": no " + patch
                            + "x" + patch + " window is left that touches no removed pixel");
                }
                windows[i][k] = best;
                remove(cur[i], repl[i], removed[i], best, h, w, patch, m.channels);
            }
        }
        return Result.of(method.name(), settings(), targets, curve, windows);
    }

    /**
     * {@return the top-left corner {@code y·W + x} of the window with the largest sum of {@code map} among those
     * touching no removed pixel (first in row-major order on ties), or −1 if there is none}
     */
    static int bestWindow(double[] map, boolean[] removed, int h, int w, int p) {
        // prefix sums of the map and of the removed mask
        double[] s = new double[(h + 1) * (w + 1)];
        int[] r = new int[(h + 1) * (w + 1)];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y + 1) * (w + 1) + x + 1;
                s[i] = map[y * w + x] + s[i - 1] + s[i - (w + 1)] - s[i - (w + 1) - 1];
                r[i] = (removed[y * w + x] ? 1 : 0) + r[i - 1] + r[i - (w + 1)] - r[i - (w + 1) - 1];
            }
        }
        int best = -1;
        double bestSum = Double.NEGATIVE_INFINITY;
        for (int y = 0; y + p <= h; y++) {
            for (int x = 0; x + p <= w; x++) {
                int a = y * (w + 1) + x;
                int b = y * (w + 1) + x + p;
                int c = (y + p) * (w + 1) + x;
                int d = (y + p) * (w + 1) + x + p;
                if (r[d] - r[b] - r[c] + r[a] != 0) {
                    continue;
                }
                double sum = windowSum(map, y, x, p, w);
                if (best < 0 || sum > bestSum) {
                    best = y * w + x;
                    bestSum = sum;
                }
            }
        }
        return best;
    }

    /** The exact sum (prefix sums only decide which windows are free: their rounding must not break ties). */
    private static double windowSum(double[] map, int y0, int x0, int p, int w) {
        double s = 0;
        for (int y = y0; y < y0 + p; y++) {
            for (int x = x0; x < x0 + p; x++) {
                s += map[y * w + x];
            }
        }
        return s;
    }

    private static void remove(double[] img, double[] repl, boolean[] removed, int corner, int h, int w, int p,
                               int channels) {
        int y0 = corner / w;
        int x0 = corner % w;
        int hw = h * w;
        for (int y = y0; y < y0 + p; y++) {
            for (int x = x0; x < x0 + p; x++) {
                removed[y * w + x] = true;
                for (int c = 0; c < channels; c++) {
                    img[c * hw + y * w + x] = repl[c * hw + y * w + x];
                }
            }
        }
    }

    /**
     * What selectivity measured for one method.
     *
     * @param method        the method's name
     * @param settings      the metric's settings
     * @param targets       the target class of each image
     * @param curve         mean over the images of f(x⁽ᵏ⁾), k = 0..L
     * @param auc           the mean of {@code curve} (lower is better)
     * @param perImage      per image, its curve {@code [N][L+1]}
     * @param windows       per image, the top-left corner {@code y·W + x} of the window removed at each step
     */
    public record Result(String method, String settings, int[] targets, double[] curve, double auc,
                         double[][] perImage, int[][] windows) {
        /** Copies the arrays. */
        public Result {
            targets = targets.clone();
            curve = curve.clone();
            perImage = RegionPerturbation.deepCopy(perImage);
            windows = windows.clone();
            for (int i = 0; i < windows.length; i++) {
                windows[i] = windows[i].clone();
            }
        }

        @Override
        public int[] targets() {
            return targets.clone();
        }

        @Override
        public double[] curve() {
            return curve.clone();
        }

        @Override
        public double[][] perImage() {
            return RegionPerturbation.deepCopy(perImage);
        }

        @Override
        public int[][] windows() {
            int[][] out = windows.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] = out[i].clone();
            }
            return out;
        }

        static Result of(String method, String settings, int[] targets, double[][] perImage, int[][] windows) {
            int n = perImage.length;
            int points = perImage[0].length;
            double[] curve = new double[points];
            double auc = 0;
            for (double[] c : perImage) {
                for (int k = 0; k < points; k++) {
                    curve[k] += c[k] / n;
                    auc += c[k] / points / n;
                }
            }
            return new Result(method, settings, targets, curve, auc, perImage, windows);
        }
    }
}
