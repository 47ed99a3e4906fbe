package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Explanation continuity as the tutorial's §5.1 (Montavon, Samek, Müller 2018, §7.1) measures it: the strongest
 * variation of the explanation over a sequence of inputs close to each other,
 * <pre>
 *   C(x) = max_{s ≠ t, x_s ≠ x_t} ‖R(x_s) − R(x_t)‖₁ / ‖x_s − x_t‖₂
 * </pre>
 * over every pair of the sequence {@code x_1..x_S} made from x, where R is the method's whole attribution (every
 * channel) for the target class, the top class of the unperturbed x, and the norms run over all elements. Lower is
 * more continuous. The sequence is either the tutorial's: x translated horizontally by {@code −T..T} pixels (pixels
 * shifted in from outside are 0, as OpenCV's {@code warpAffine} fills them), or x plus seeded Gaussian noise of
 * standard deviation σ, {@code S} draws, after x itself. The result is the mean of C over the images, each image's
 * C, and the channel-summed heatmaps along each image's sequence for figures. All {@code N·S} inputs go through the
 * method in batches.
 */
public final class Continuity {
    private static final String NAME = "continuity";

    private final Graph graph;
    private final Precision precision;
    private final int maxShift;
    private final double noise;
    private final int draws;
    private final long seed;
    private final int batchSize;

    private Continuity(Graph graph, Precision precision, int maxShift, double noise, int draws, long seed,
                       int batchSize) {
        Model m = new Model(NAME, graph, precision, batchSize);
        if (noise == 0 && (maxShift < 1 || maxShift >= m.width)) {
            throw new ConfigurationException(NAME + ": the largest shift must be between 1 and " + (m.width - 1)
                    + " pixels (image width " + m.width + "), got " + maxShift);
        }
        if (noise != 0 && (!(noise > 0) || !Double.isFinite(noise) || draws < 1)) {
            throw new ConfigurationException(NAME + ": noise needs sigma > 0 and at least one draw, got sigma "
                    + noise + ", " + draws + " draws");
        }
        this.graph = graph;
        this.precision = precision;
        this.maxShift = maxShift;
        this.noise = noise;
        this.draws = draws;
        this.seed = seed;
        this.batchSize = batchSize;
    }

    /**
     * {@return continuity on {@code model} over horizontal translations by −T..T pixels, T = ⌊W/7⌋ (4 on 28 pixels;
     * the tutorial sweeps ±20), float32, 64 images per call}
     *
     * @param model a model of images {@code [C,H,W]}
     */
    public static Continuity of(Graph model) {
        if (model == null) {
            throw new ConfigurationException(NAME + ": the model is null");
        }
        Model m = new Model(NAME, model, Precision.FLOAT32, 64);
        return new Continuity(model, Precision.FLOAT32, Math.max(1, m.width / 7), 0, 0, 0, 64);
    }

    /** {@return a copy over horizontal translations by {@code −t..t} pixels} @param t 1..W−1 */
    public Continuity withTranslations(int t) {
        return new Continuity(graph, precision, t, 0, 0, seed, batchSize);
    }

    /**
     * {@return a copy over x and {@code count} noisy copies {@code x + σ·ε}, ε standard normal drawn by a generator
     * seeded with {@code (seed, image index)}}
     *
     * @param sigma the noise's standard deviation, &gt; 0
     * @param count the number of noisy copies, &gt;= 1
     * @param seed  the seed
     */
    public Continuity withNoise(double sigma, int count, long seed) {
        return new Continuity(graph, precision, maxShift, sigma, count, seed, batchSize);
    }

    /** {@return a copy whose method calls and forward passes run in {@code p}} @param p float32 or float64 */
    public Continuity withPrecision(Precision p) {
        return new Continuity(graph, p, maxShift, noise, draws, seed, batchSize);
    }

    /** {@return a copy that gives the method {@code n} inputs per call} @param n &gt;= 1 */
    public Continuity withBatchSize(int n) {
        return new Continuity(graph, precision, maxShift, noise, draws, seed, n);
    }

    /** {@return the settings, for reports} */
    public String settings() {
        return (noise == 0 ? "translations=-" + maxShift + ".." + maxShift
                : "noise sigma=" + noise + ", draws=" + draws + ", seed=" + seed)
                + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {@return the sequence's labels: the shifts in pixels, or 0 then 1..S for the noisy copies} */
    public int[] steps() {
        int s = noise == 0 ? 2 * maxShift + 1 : draws + 1;
        int[] out = new int[s];
        for (int i = 0; i < s; i++) {
            out[i] = noise == 0 ? i - maxShift : i;
        }
        return out;
    }

    /**
     * Measures the method's continuity on each image.
     *
     * @param method the method
     * @param x      {@code [N,C,H,W]}, finite; never modified
     * @return C per image, their mean, and the heatmaps along the sequences
     */
    public Result evaluate(Attribution method, INDArray x) {
        if (method == null) {
            throw new ConfigurationException(NAME + ": the method is null");
        }
        Model m = new Model(NAME, graph, precision, batchSize);
        double[][] rows = m.rows(NAME, x);
        int n = rows.length;
        int[] targets = m.topClasses(rows);
        int[] steps = steps();
        int s = steps.length;
        double[][] seq = new double[n * s][];
        int[] seqTargets = new int[n * s];
        for (int i = 0; i < n; i++) {
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            for (int j = 0; j < s; j++) {
                seq[i * s + j] = noise == 0 ? translate(rows[i], m.channels, m.height, m.width, steps[j])
                        : (j == 0 ? rows[i].clone() : noisy(rows[i], noise, rnd));
                seqTargets[i * s + j] = targets[i];
            }
        }
        double[][] r = Maps.attribute(NAME, method, m, seq, seqTargets, batchSize);
        double[] perImage = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            double best = 0;
            for (int a = 0; a < s; a++) {
                for (int b = a + 1; b < s; b++) {
                    double dx = l2(seq[i * s + a], seq[i * s + b]);
                    if (dx == 0) {
                        continue;
                    }
                    best = Math.max(best, l1(r[i * s + a], r[i * s + b]) / dx);
                }
            }
            perImage[i] = best;
            mean += best / n;
        }
        double[][] maps = Maps.channelSums(r, m.height * m.width);
        double[][][] heatmaps = new double[n][s][];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < s; j++) {
                heatmaps[i][j] = maps[i * s + j];
            }
        }
        return new Result(method.name(), settings(), targets, steps, mean, perImage, heatmaps);
    }

    /** {@return the image shifted right by {@code dx} pixels (left if negative), 0 shifted in} */
    static double[] translate(double[] img, int c, int h, int w, int dx) {
        double[] out = new double[img.length];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int o = ch * h * w + y * w;
                for (int x = 0; x < w; x++) {
                    int src = x - dx;
                    if (src >= 0 && src < w) {
                        out[o + x] = img[o + src];
                    }
                }
            }
        }
        return out;
    }

    private static double[] noisy(double[] img, double sigma, SplittableRandom rnd) {
        double[] out = img.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += sigma * gaussian(rnd);
        }
        return out;
    }

    /** A standard normal draw (Box–Muller; one of the pair). */
    static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    static double l1(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s;
    }

    static double l2(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /**
     * What continuity measured for one method.
     *
     * @param method   the method's name
     * @param settings the metric's settings
     * @param targets  the target class of each image
     * @param steps    the sequence's labels (shift in pixels, or noisy copy number)
     * @param mean     the mean of C over the images (lower is more continuous)
     * @param perImage C of each image
     * @param heatmaps per image and sequence element, the attribution summed over channels {@code [N][S][H·W]}
     */
    public record Result(String method, String settings, int[] targets, int[] steps, double mean, double[] perImage,
                         double[][][] heatmaps) {
        /** Copies the arrays. */
        public Result {
            targets = targets.clone();
            steps = steps.clone();
            perImage = perImage.clone();
            heatmaps = copy(heatmaps);
        }

        @Override
        public int[] targets() {
            return targets.clone();
        }

        @Override
        public int[] steps() {
            return steps.clone();
        }

        @Override
        public double[] perImage() {
            return perImage.clone();
        }

        @Override
        public double[][][] heatmaps() {
            return copy(heatmaps);
        }

        private static double[][][] copy(double[][][] a) {
            double[][][] out = new double[a.length][][];
            for (int i = 0; i < a.length; i++) {
                out[i] = RegionPerturbation.deepCopy(a[i]);
            }
            return out;
        }
    }
}
