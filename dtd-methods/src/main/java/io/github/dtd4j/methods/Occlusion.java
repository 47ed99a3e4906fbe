package io.github.dtd4j.methods;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Occlusion (Zeiler &amp; Fergus 2014), as Captum's {@code Occlusion} computes it: a window of {@code kh×kw} pixels
 * covering every channel slides over the image with strides {@code sh, sw}; each position replaces the window by the
 * baseline and measures the drop {@code f_c(x) − f_c(x with the window replaced)}. A pixel's attribution is the sum
 * of the drops of the windows that covered it divided by their number (Captum's {@code FeatureAblation} with
 * {@code use_weights}), the same for every channel: the attribution is shaped like the input {@code [N,C,H,W]}.
 * The positions along an axis of length L are {@code 0, s, 2s, ...}, {@code ceil((L − k)/s) + 1} of them, so the
 * last one may stick out of the image and is cut at its edge (as Captum's shift counts and mask padding do); a
 * stride larger than the window is refused (Captum's assertion), so every pixel is covered. Defaults
 * ({@link Methods#occlusion}): a square window of min(8, H, W) pixels, the stride half of it (Captum has no
 * default window; its default stride, 1, is {@code withStride(1)}), baseline 0 (Captum's).
 * Cost: {@code (number of positions) × N} forward passes, run as batches of {@code internalBatchSize} rows (the
 * result does not depend on it). Known failure modes: the result depends on the window size and on the baseline,
 * and an occluded window is an input the model never saw; interactions between windows are not measured.
 */
public final class Occlusion implements Attribution {
    private final Graph graph;
    private final Precision precision;
    private final int windowH;
    private final int windowW;
    private final int strideH;
    private final int strideW;
    private final boolean strideFollowsWindow;
    private final INDArray baseline;
    private final double baselineValue;
    private final int internalBatchSize;
    private final Explainer forward;

    Occlusion(Graph graph, Precision precision, int windowH, int windowW, int strideH, int strideW, INDArray baseline,
              double baselineValue, int internalBatchSize) {
        if (graph == null || precision == null) {
            throw new ConfigurationException("occlusion: graph and precision are required");
        }
        Shape in = LayerMaps.imageInput(graph, "occlusion");
        long h = in.dim(1);
        long w = in.dim(2);
        if (windowH < 1 || windowW < 1) {
            throw new ConfigurationException("occlusion: the window must be at least 1x1, got " + windowH + "x"
                    + windowW);
        }
        if (windowH > h || windowW > w) {
            throw new ConfigurationException("occlusion: the window " + windowH + "x" + windowW + " is larger than the "
                    + "image " + h + "x" + w + " of the input '" + graph.inputName() + "' " + in.toBatchString());
        }
        if (strideH < 0 || strideW < 0 || (strideH == 0) != (strideW == 0)) {
            throw new ConfigurationException("occlusion: the stride must be >= 1, got " + strideH + "x" + strideW);
        }
        if (strideH == 0) {
            // not set: half the window, following it
            strideH = Math.max(1, windowH / 2);
            strideW = Math.max(1, windowW / 2);
            this.strideFollowsWindow = true;
        } else {
            this.strideFollowsWindow = false;
        }
        if ((strideH > windowH && windowH < h) || (strideW > windowW && windowW < w)) {
            throw new ConfigurationException("occlusion: the stride " + strideH + "x" + strideW + " is larger than the "
                    + "window " + windowH + "x" + windowW + ": pixels between windows would not be covered");
        }
        if (!Double.isFinite(baselineValue)) {
            throw new ConfigurationException("occlusion: the baseline value must be finite, got " + baselineValue);
        }
        if (baseline != null && !in.matchesBatch(baseline.shape()) && !Arrays.equals(baseline.shape(), in.dims())) {
            throw new InvalidInputException("occlusion: baseline " + Shape.format(baseline.shape()) + " does not fit "
                    + "the input '" + graph.inputName() + "' " + in.toBatchString() + " (give " + Shape.format(in.dims())
                    + " or [N," + Shape.format(in.dims()).substring(1) + ")");
        }
        if (internalBatchSize < 1) {
            throw new ConfigurationException("occlusion: internal batch size must be >= 1, got " + internalBatchSize);
        }
        this.graph = graph;
        this.precision = precision;
        this.windowH = windowH;
        this.windowW = windowW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.baseline = baseline == null ? null : baseline.dup();
        this.baselineValue = baselineValue;
        this.internalBatchSize = internalBatchSize;
        this.forward = Explainer.of(graph).precision(precision).batchNorm(BatchNormMode.BYPASS);
    }

    /** {@return the stride to hand to a copy: 0 (follow the window) unless set} */
    private int stride(int s) {
        return strideFollowsWindow ? 0 : s;
    }

    /** {@return a copy with a square window} @param k window side, ≤ the image's height and width */
    public Occlusion withWindow(int k) {
        return withWindow(k, k);
    }

    /** {@return a copy with a rectangular window} @param kh rows @param kw columns */
    public Occlusion withWindow(int kh, int kw) {
        return new Occlusion(graph, precision, kh, kw, stride(strideH), stride(strideW), baseline, baselineValue,
                internalBatchSize);
    }

    /**
     * {@return a copy with one stride in both directions}; until a stride is set it is half the window (at least 1)
     * and follows the window, so set the window first
     *
     * @param s ≥ 1, ≤ the window
     */
    public Occlusion withStride(int s) {
        return withStride(s, s);
    }

    /** {@return a copy with a stride per direction} @param sh rows @param sw columns */
    public Occlusion withStride(int sh, int sw) {
        if (sh < 1 || sw < 1) {
            throw new ConfigurationException("occlusion: the stride must be >= 1, got " + sh + "x" + sw);
        }
        return new Occlusion(graph, precision, windowH, windowW, sh, sw, baseline, baselineValue, internalBatchSize);
    }

    /**
     * {@return a copy with a baseline tensor}
     *
     * @param b {@code [C,H,W]} (one for all elements) or {@code [N,C,H,W]}; null for the constant baseline
     */
    public Occlusion withBaseline(INDArray b) {
        return new Occlusion(graph, precision, windowH, windowW, stride(strideH), stride(strideW), b, baselineValue,
                internalBatchSize);
    }

    /** {@return a copy with a constant baseline (and no baseline tensor)} @param value finite, 0 by default */
    public Occlusion withBaseline(double value) {
        return new Occlusion(graph, precision, windowH, windowW, stride(strideH), stride(strideW), null, value,
                internalBatchSize);
    }

    /** {@return a copy that runs at most {@code rows} occluded inputs per forward pass} @param rows ≥ 1 */
    public Occlusion withInternalBatchSize(int rows) {
        return new Occlusion(graph, precision, windowH, windowW, stride(strideH), stride(strideW), baseline, baselineValue,
                rows);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public Occlusion withPrecision(Precision p) {
        return new Occlusion(graph, p, windowH, windowW, stride(strideH), stride(strideW), baseline, baselineValue,
                internalBatchSize);
    }

    @Override
    public String name() {
        return "occlusion";
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "window %dx%d, stride %dx%d, baseline %s", windowH, windowW, strideH, strideW,
                baseline != null ? "given" : Double.toString(baselineValue));
    }

    /** {@return the window positions along an axis: Captum's {@code ceil((L − k)/s) + 1} starts} */
    static int[] starts(int length, int k, int s) {
        int count = (length - k + s - 1) / s + 1;
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = i * s;
        }
        return out;
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        INDArray logits = forward.forward(x);
        INDArray xs = x.castTo(logits.dataType());
        INDArray w = Targets.weights(start, logits, name());
        double[] fx = Targets.weighted(w, logits);
        int n = (int) xs.size(0);
        int c = (int) xs.size(1);
        int h = (int) xs.size(2);
        int wd = (int) xs.size(3);
        INDArray base = baselineFor(xs);
        List<int[]> windows = new ArrayList<>();
        for (int r : starts(h, windowH, strideH)) {
            for (int q : starts(wd, windowW, strideW)) {
                windows.add(new int[]{r, Math.min(r + windowH, h), q, Math.min(q + windowW, wd)});
            }
        }
        double[] total = new double[n * h * wd];
        double[] count = new double[h * wd];
        int perChunk = Math.max(1, internalBatchSize / n);
        for (int j0 = 0; j0 < windows.size(); j0 += perChunk) {
            int j1 = Math.min(windows.size(), j0 + perChunk);
            // a fresh copy: the rows are overwritten, and a tile of one block may be x itself
            INDArray batch = j1 - j0 == 1 ? xs.dup() : Targets.tile(xs, j1 - j0);
            for (int j = j0; j < j1; j++) {
                int[] win = windows.get(j);
                INDArray rows = batch.get(NDArrayIndex.interval((long) (j - j0) * n, (long) (j - j0 + 1) * n),
                        NDArrayIndex.all(), NDArrayIndex.interval(win[0], win[1]),
                        NDArrayIndex.interval(win[2], win[3]));
                rows.assign(base.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(win[0], win[1]),
                        NDArrayIndex.interval(win[2], win[3])));
            }
            double[] fo = Targets.weighted(Targets.tile(w, j1 - j0), forward.forward(batch));
            for (int j = j0; j < j1; j++) {
                int[] win = windows.get(j);
                for (int i = 0; i < n; i++) {
                    double drop = fx[i] - fo[(j - j0) * n + i];
                    for (int r = win[0]; r < win[1]; r++) {
                        for (int q = win[2]; q < win[3]; q++) {
                            total[(i * h + r) * wd + q] += drop;
                        }
                    }
                }
                for (int r = win[0]; r < win[1]; r++) {
                    for (int q = win[2]; q < win[3]; q++) {
                        count[r * wd + q] += 1;
                    }
                }
            }
        }
        double[] a = new double[n * c * h * wd];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                for (int p = 0; p < h * wd; p++) {
                    a[(i * c + k) * h * wd + p] = total[i * h * wd + p] / count[p];
                }
            }
        }
        return new Attributions(name(), LayerMaps.array(a, logits.dataType(), xs.shape()), logits, Targets.of(w),
                Map.of("baseline", base.dup()), null, null);
    }

    /** {@return the baseline for a batch, {@code [N,C,H,W]}, in the precision} */
    private INDArray baselineFor(INDArray x) {
        if (baseline == null) {
            return Nd4j.valueArrayOf(x.shape(), baselineValue, x.dataType());
        }
        INDArray b = baseline.castTo(x.dataType());
        if (b.rank() == x.rank()) {
            if (b.size(0) != x.size(0)) {
                throw new InvalidInputException("occlusion: baseline batch " + b.size(0) + " for an input batch of "
                        + x.size(0));
            }
            return b;
        }
        return Targets.tile(b.reshape(graph.inputShape().withBatch(1)), (int) x.size(0));
    }
}
