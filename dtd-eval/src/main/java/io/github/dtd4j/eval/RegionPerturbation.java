package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Region perturbation (Samek, Binder, Montavon, Lapuschkin, Müller 2017, "Evaluating the visualization of what a
 * deep neural network has learned"); pixel flipping is its 1×1 case.
 *
 * <p>The image {@code [C,H,W]} is cut into non-overlapping {@code P×P} patches in row-major order (patches at the
 * right and bottom edges are cut at the border when P does not divide H or W: {@code ⌈H/P⌉·⌈W/P⌉} patches). A
 * patch's score is the method's relevance summed over its pixels and all channels. MoRF (most relevant first)
 * orders the patches by score descending, LeRF by score ascending; equal scores keep row-major patch order. With
 * {@code x⁽⁰⁾ = x} and {@code x⁽ᵏ⁾} the image whose first k patches of the order are replaced by the
 * {@link Perturbation}'s values, the curve is {@code f(x⁽ᵏ⁾)} for {@code k = 0..L}, where f is the logit (or, with
 * {@link #withProbabilities(boolean)}, the softmax probability) of the target class: the top class of the unperturbed
 * image. The method explains that class. Over N images:
 * <pre>
 *   AOPC_MoRF = 1/N Σ_n 1/(L+1) Σ_{k=0..L} ( f(x_n⁽⁰⁾) − f(x_n,MoRF⁽ᵏ⁾) )      (higher: a more faithful explanation)
 *   AOPC_LeRF = 1/N Σ_n 1/(L+1) Σ_{k=0..L} ( f(x_n⁽⁰⁾) − f(x_n,LeRF⁽ᵏ⁾) )      (lower is better)
 *   ABPC      = 1/N Σ_n 1/(L+1) Σ_{k=0..L} ( f(x_n,LeRF⁽ᵏ⁾) − f(x_n,MoRF⁽ᵏ⁾) ) = AOPC_MoRF − AOPC_LeRF
 * </pre>
 * and the curves are the means over the images of {@code f(x⁽ᵏ⁾)}. {@link #randomOrder} scores a seeded random
 * order of the patches (MoRF: the permutation, LeRF: the same permutation reversed), the baseline every method must
 * beat. All {@code 2·N·(L+1)} perturbed images go through the model in batches of {@link #withBatchSize} rows, except
 * those a step leaves unchanged (a patch that already holds its replacement values, such as a black background set to
 * 0): such an image is the previous one, and so is its score.
 *
 * <pre>{@code
 * RegionPerturbation rp = RegionPerturbation.of(graph).withPatch(2).withSteps(100);
 * RegionPerturbation.Result lrp = rp.evaluate(Methods.lrp(Explainer.of(graph).preset(Presets.epsilonZPlus(0.25))), x);
 * RegionPerturbation.Result random = rp.randomOrder(x, 7);
 * double gain = lrp.aopcMorf() - random.aopcMorf();
 * }</pre>
 */
public final class RegionPerturbation {
    private static final String NAME = "region perturbation";

    private final Graph graph;
    private final Precision precision;
    private final int patch;
    private final int steps;
    private final Perturbation perturbation;
    private final boolean probabilities;
    private final int batchSize;

    private RegionPerturbation(Graph graph, Precision precision, int patch, int steps, Perturbation perturbation,
                               boolean probabilities, int batchSize) {
        Model m = new Model(NAME, graph, precision, batchSize); // checks the model, precision and batch size
        if (patch < 1) {
            throw new ConfigurationException(NAME + ": the patch must be >= 1 pixel, got " + patch);
        }
        if (patch > Math.min(m.height, m.width)) {
            throw new ConfigurationException(NAME + ": the patch " + patch + "x" + patch + " is larger than the image "
                    + m.height + "x" + m.width + " of the input '" + graph.inputName() + "'");
        }
        int count = patchCount(m.height, m.width, patch);
        if (steps < 1 || steps > count) {
            throw new ConfigurationException(NAME + ": the steps must be between 1 and the number of " + patch + "x"
                    + patch + " patches, " + count + ", got " + steps);
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
     * {@return region perturbation on {@code model}}: patches of 1×1 pixel if the image is at most 32 pixels on its
     * shorter side, else 8×8 (Samek et al. use 9×9 on 224×224 images); as many steps as patches, at most 100;
     * perturbation {@link Perturbation#constant(double) constant(0)}; logits; float32; batches of 256 images
     *
     * @param model a model of images {@code [C,H,W]}
     */
    public static RegionPerturbation of(Graph model) {
        if (model == null) {
            throw new ConfigurationException(NAME + ": the model is null");
        }
        Model m = new Model(NAME, model, Precision.FLOAT32, 256);
        int p = Math.min(m.height, m.width) <= 32 ? 1 : 8;
        int steps = Math.min(100, patchCount(m.height, m.width, p));
        return new RegionPerturbation(model, Precision.FLOAT32, p, steps, Perturbation.constant(0), false, 256);
    }

    /** {@return the number of non-overlapping {@code p×p} patches of an {@code h×w} image, edge patches cut} */
    static int patchCount(int h, int w, int p) {
        return ((h + p - 1) / p) * ((w + p - 1) / p);
    }

    /**
     * {@return a copy with patches of {@code p×p} pixels; the steps stay as set, or, if they exceed the new number of
     * patches, become it}
     *
     * @param p &gt;= 1, at most the image's shorter side
     */
    public RegionPerturbation withPatch(int p) {
        Model m = new Model(NAME, graph, precision, batchSize);
        int count = p >= 1 ? patchCount(m.height, m.width, p) : 1;
        return new RegionPerturbation(graph, precision, p, Math.min(steps, count), perturbation, probabilities,
                batchSize);
    }

    /** {@return a copy that perturbs {@code l} patches (the curve has {@code l + 1} points)} @param l 1..patches */
    public RegionPerturbation withSteps(int l) {
        return new RegionPerturbation(graph, precision, patch, l, perturbation, probabilities, batchSize);
    }

    /** {@return a copy with another replacement of perturbed patches} @param p the perturbation */
    public RegionPerturbation withPerturbation(Perturbation p) {
        return new RegionPerturbation(graph, precision, patch, steps, p, probabilities, batchSize);
    }

    /** {@return a copy that scores softmax probabilities (true) or logits (false)} @param p probabilities */
    public RegionPerturbation withProbabilities(boolean p) {
        return new RegionPerturbation(graph, precision, patch, steps, perturbation, p, batchSize);
    }

    /** {@return a copy whose forward passes run in {@code p}} @param p float32 or float64 */
    public RegionPerturbation withPrecision(Precision p) {
        return new RegionPerturbation(graph, p, patch, steps, perturbation, probabilities, batchSize);
    }

    /** {@return a copy that runs {@code n} perturbed images per forward pass (results do not depend on it)} @param n &gt;= 1 */
    public RegionPerturbation withBatchSize(int n) {
        return new RegionPerturbation(graph, precision, patch, steps, perturbation, probabilities, n);
    }

    /** {@return the patch side in pixels} */
    public int patch() {
        return patch;
    }

    /** {@return the number of perturbed patches L} */
    public int steps() {
        return steps;
    }

    /** {@return the settings, for reports, e.g. "patch=2, steps=100, perturbation=constant(0), logits"} */
    public String settings() {
        return "patch=" + patch + ", steps=" + steps + ", perturbation=" + perturbation + ", "
                + (probabilities ? "probabilities" : "logits") + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Scores a method: it explains each image's top class, its relevance orders the patches.
     *
     * @param method the method; it is called once with all images, in batches of the batch size
     * @param x      {@code [N,C,H,W]}, finite; never modified
     * @return the curves and areas
     */
    public Result evaluate(Attribution method, INDArray x) {
        Model m = model();
        double[][] rows = m.rows(NAME, x);
        int[] targets = m.topClasses(rows);
        double[][] maps = Maps.channelSums(Maps.attribute(NAME, method, m, rows, targets, batchSize),
                m.height * m.width);
        return run(method.name(), m, rows, targets, maps);
    }

    /**
     * Scores a given relevance (computed by any means) for the images' top classes.
     *
     * @param label     the name the result carries
     * @param x         {@code [N,C,H,W]}, finite; never modified
     * @param relevance {@code [N,C',H,W]} (any C', summed) or {@code [N,H,W]}, finite
     * @return the curves and areas
     */
    public Result evaluate(String label, INDArray x, INDArray relevance) {
        Model m = model();
        double[][] rows = m.rows(NAME, x);
        double[][] maps = Maps.pixelMaps(NAME, relevance, rows.length, m.height, m.width);
        return run(label, m, rows, m.topClasses(rows), maps);
    }

    /**
     * Scores a random order of the patches: for image n the permutation drawn by a generator seeded with
     * {@code (seed, n)} (MoRF), and the same permutation reversed (LeRF).
     *
     * @param x    {@code [N,C,H,W]}, finite; never modified
     * @param seed the seed
     * @return the curves and areas, labelled "random"
     */
    public Result randomOrder(INDArray x, long seed) {
        Model m = model();
        double[][] rows = m.rows(NAME, x);
        int[] targets = m.topClasses(rows);
        Grid g = new Grid(m.height, m.width, patch);
        int[][] morf = new int[rows.length][];
        int[][] lerf = new int[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            int[] perm = new int[g.count()];
            for (int i = 0; i < perm.length; i++) {
                perm[i] = i;
            }
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n);
            for (int i = perm.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            morf[n] = perm;
            lerf[n] = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                lerf[n][i] = perm[perm.length - 1 - i];
            }
        }
        return curves("random", m, rows, targets, g, morf, lerf);
    }

    private Model model() {
        return new Model(NAME, graph, precision, batchSize);
    }

    private Result run(String label, Model m, double[][] rows, int[] targets, double[][] maps) {
        Grid g = new Grid(m.height, m.width, patch);
        int[][] morf = new int[rows.length][];
        int[][] lerf = new int[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            double[] s = g.scores(maps[n]);
            morf[n] = order(s, true);
            lerf[n] = order(s, false);
        }
        return curves(label, m, rows, targets, g, morf, lerf);
    }

    /** {@return the patch indices by score, descending or ascending; equal scores in index order} */
    static int[] order(double[] scores, boolean descending) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = descending ? Double.compare(scores[b], scores[a]) : Double.compare(scores[a], scores[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private Result curves(String label, Model m, double[][] rows, int[] targets, Grid g, int[][] morf, int[][] lerf) {
        double[][] fMorf = perturbedScores(m, rows, targets, g, morf);
        double[][] fLerf = perturbedScores(m, rows, targets, g, lerf);
        return Result.of(label, settings(), targets, fMorf, fLerf);
    }

    /** {@return per image, f(x⁽ᵏ⁾) for k = 0..L along its order} (images built and scored batch by batch) */
    private double[][] perturbedScores(Model m, double[][] rows, int[] targets, Grid g, int[][] orders) {
        int n = rows.length;
        int points = steps + 1;
        double[][] out = new double[n][points];
        int perBatch = Math.max(1, batchSize);
        double[][] buffer = new double[perBatch][];
        int[] bufTargets = new int[perBatch];
        int[] owner = new int[perBatch];
        int[] step = new int[perBatch];
        int filled = 0;
        // a step that changes no value (a patch already equal to its replacement, e.g. black background set to 0)
        // leaves the image as it was: its score is the previous step's, and it needs no forward pass
        boolean[][] same = new boolean[n][points];
        for (int i = 0; i < n; i++) {
            double[] r = perturbation.replacement(rows[i], m.channels, m.height, m.width, i);
            double[] cur = rows[i].clone();
            for (int k = 0; k < points; k++) {
                if (k > 0 && !g.replace(cur, r, orders[i][k - 1], m.channels)) {
                    same[i][k] = true;
                    continue;
                }
                buffer[filled] = cur.clone();
                bufTargets[filled] = targets[i];
                owner[filled] = i;
                step[filled] = k;
                filled++;
                if (filled == perBatch) {
                    flush(m, buffer, bufTargets, owner, step, filled, out);
                    filled = 0;
                }
            }
        }
        if (filled > 0) {
            flush(m, buffer, bufTargets, owner, step, filled, out);
        }
        for (int i = 0; i < n; i++) {
            for (int k = 1; k < points; k++) {
                if (same[i][k]) {
                    out[i][k] = out[i][k - 1];
                }
            }
        }
        return out;
    }

    private void flush(Model m, double[][] buffer, int[] targets, int[] owner, int[] step, int filled, double[][] out) {
        double[][] rows = filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
        double[] s = m.scores(rows, Arrays.copyOf(targets, filled), probabilities);
        for (int j = 0; j < filled; j++) {
            out[owner[j]][step[j]] = s[j];
        }
    }

    /** The patch grid of an image. */
    record Grid(int h, int w, int p) {
        int rows() {
            return (h + p - 1) / p;
        }

        int cols() {
            return (w + p - 1) / p;
        }

        int count() {
            return rows() * cols();
        }

        /** {@return per patch, the sum of a pixel map {@code [H·W]} over the patch} */
        double[] scores(double[] map) {
            double[] s = new double[count()];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    s[(y / p) * cols() + x / p] += map[y * w + x];
                }
            }
            return s;
        }

        /** Sets every channel of patch {@code k} of {@code img} to the replacement's values; {@return whether any changed} */
        boolean replace(double[] img, double[] r, int k, int channels) {
            boolean changed = false;
            int y0 = (k / cols()) * p;
            int x0 = (k % cols()) * p;
            int hw = h * w;
            for (int c = 0; c < channels; c++) {
                for (int y = y0; y < Math.min(h, y0 + p); y++) {
                    int o = c * hw + y * w;
                    for (int x = x0; x < Math.min(w, x0 + p); x++) {
                        changed |= img[o + x] != r[o + x];
                        img[o + x] = r[o + x];
                    }
                }
            }
            return changed;
        }
    }

    /**
     * What region perturbation measured for one method.
     *
     * @param method   the method's name (or "random")
     * @param settings the metric's settings
     * @param targets  the target class of each image (its top class)
     * @param morf     mean over the images of f(x⁽ᵏ⁾) along MoRF, k = 0..L
     * @param lerf     the same along LeRF
     * @param aopcMorf AOPC along MoRF (higher is better)
     * @param aopcLerf AOPC along LeRF (lower is better)
     * @param abpc     area between the LeRF and MoRF curves, AOPC_MoRF − AOPC_LeRF (higher is better)
     * @param perImageMorf per image, its MoRF curve {@code [N][L+1]}
     * @param perImageLerf per image, its LeRF curve
     */
    public record Result(String method, String settings, int[] targets, double[] morf, double[] lerf, double aopcMorf,
                         double aopcLerf, double abpc, double[][] perImageMorf, double[][] perImageLerf) {
        /** Copies the arrays. */
        public Result {
            targets = targets.clone();
            morf = morf.clone();
            lerf = lerf.clone();
            perImageMorf = deepCopy(perImageMorf);
            perImageLerf = deepCopy(perImageLerf);
        }

        @Override
        public int[] targets() {
            return targets.clone();
        }

        @Override
        public double[] morf() {
            return morf.clone();
        }

        @Override
        public double[] lerf() {
            return lerf.clone();
        }

        @Override
        public double[][] perImageMorf() {
            return deepCopy(perImageMorf);
        }

        @Override
        public double[][] perImageLerf() {
            return deepCopy(perImageLerf);
        }

        static Result of(String method, String settings, int[] targets, double[][] fMorf, double[][] fLerf) {
            int n = fMorf.length;
            int points = fMorf[0].length;
            double[] morf = new double[points];
            double[] lerf = new double[points];
            double aopcMorf = 0;
            double aopcLerf = 0;
            for (int i = 0; i < n; i++) {
                double f0 = fMorf[i][0];
                double am = 0;
                double al = 0;
                for (int k = 0; k < points; k++) {
                    morf[k] += fMorf[i][k] / n;
                    lerf[k] += fLerf[i][k] / n;
                    am += f0 - fMorf[i][k];
                    al += f0 - fLerf[i][k];
                }
                aopcMorf += am / points / n;
                aopcLerf += al / points / n;
            }
            return new Result(method, settings, targets, morf, lerf, aopcMorf, aopcLerf, aopcMorf - aopcLerf, fMorf,
                    fLerf);
        }
    }

    static double[][] deepCopy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
