package io.github.dtd4j.paper;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The paper's MNIST experiment (§6.1) on the shipped network and sample: Fig. 5 (heatmaps), Fig. 6 (conservation
 * scatter plots and relevance histograms) and Table 1 (conservative / positive / consistent, with the numbers).
 */
public final class PaperDemo {
    /** Resource folder of the shipped weights and sample. */
    static final String RES = "/io/github/dtd4j/paper/";
    /** Examples shown in Fig. 5. */
    static final int FIG5_EXAMPLES = 12;
    /** Largest relative conservation error still called conservative. */
    static final double CONSERVATIVE_TOL = 1e-3;
    /** Pixels with {@code R < −NEGATIVE_TOL·max|R|} count as negative. */
    static final double NEGATIVE_TOL = 1e-9;
    /** f(x) below which a sample is not explained (nothing to explain). */
    static final double MIN_F = 1.0;

    private PaperDemo() {
    }

    /** {@return the shipped weights} */
    static PairNet shippedNet() {
        return PairNet.of(resource("paper-mnist.npz", Npy::readNpz), "shipped weights paper-mnist.npz");
    }

    /** {@return the shipped min-max relevance model of the shipped network} */
    static MinMaxModel shippedMinMax() {
        return MinMaxModel.of(resource("paper-mnist-minmax.npz", Npy::readNpz), "shipped paper-mnist-minmax.npz");
    }

    /** {@return the shipped sample of test pairs} */
    static MnistPairs.Batch shippedSample() {
        return MnistPairs.batch(resource("mnist-pairs-pixels.npy", Npy::read), resource("mnist-pairs-digits.npy", Npy::read));
    }

    /**
     * {@return what a reader makes of a shipped resource}: the reader gets the resource as a {@link Path}, of the file
     * system when the classes come from a directory (tests, IDEs), of the jar's zip file system when they come from
     * a jar (dtd.jar), so that core's {@link Npy} reads it as it reads any file.
     */
    private static <T> T resource(String name, Function<Path, T> reader) {
        URL url = PaperDemo.class.getResource(RES + name);
        if (url == null) {
            throw new UncheckedIOException(new IOException("missing resource " + RES + name));
        }
        URI uri;
        try {
            uri = url.toURI();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(url + ": not a URI", e);
        }
        if (!"jar".equals(uri.getScheme())) {
            return reader.apply(Path.of(uri));
        }
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
            return reader.apply(jar.provider().getPath(uri));
        } catch (FileSystemAlreadyExistsException e) {
            // someone else has the jar open (and will close it): read through theirs
            return reader.apply(Path.of(uri));
        } catch (IOException e) {
            throw new UncheckedIOException(url + ": cannot open", e);
        }
    }

    /**
     * Table 1 numbers of one method over a sample.
     *
     * @param method           the method
     * @param explained        samples with f(x) ≥ {@link #MIN_F}
     * @param maxRelError      max over explained samples of |ΣR − f| / f
     * @param medianRelError   median over explained samples of |ΣR − f| / f
     * @param meanRatio        mean over explained samples of ΣR / f
     * @param minR             smallest pixel relevance over all samples
     * @param negativeFraction Σ|R⁻| / Σ|R| over all samples
     * @param negativePixels   fraction of pixels with R < −1e-9·max|R|
     * @param msPerSample      computation time per sample
     */
    record Row(Heatmapping method, int explained, double maxRelError, double medianRelError, double meanRatio, double minR,
                      double negativeFraction, double negativePixels, double msPerSample) {
        /** {@return Definition 1 holds on the sample: ΣR = f(x) within {@link #CONSERVATIVE_TOL}·f(x)} */
        boolean conservative() {
            return maxRelError <= CONSERVATIVE_TOL;
        }

        /** {@return Definition 2 holds on the sample: no pixel relevance below −1e-9·max|R|} */
        boolean positive() {
            return negativePixels == 0;
        }

        /** {@return Definition 3: conservative and positive} */
        boolean consistent() {
            return conservative() && positive();
        }
    }

    /** The relevances of every method on a sample, and f(x). */
    record Result(MnistPairs.Batch sample, double[] f, Map<Heatmapping, double[][]> relevance, List<Row> table) {
    }

    /**
     * {@return every method run on the sample}
     *
     * @param net    the network
     * @param minmax its min-max relevance model
     * @param sample the pairs
     */
    static Result compute(PairNet net, MinMaxModel minmax, MnistPairs.Batch sample) {
        INDArray x = sample.input(DataType.DOUBLE);
        double[] f = net.castTo(DataType.DOUBLE).forward(x).toDoubleVector();
        Map<Heatmapping, double[][]> rel = new EnumMap<>(Heatmapping.class);
        List<Row> rows = new ArrayList<>();
        for (Heatmapping m : Heatmapping.values()) {
            m.relevance(net, minmax, x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1),
                    org.nd4j.linalg.indexing.NDArrayIndex.all())); // warm-up, so the time is the method's
            long t0 = System.nanoTime();
            double[][] r = m.relevance(net, minmax, x).toDoubleMatrix();
            double ms = (System.nanoTime() - t0) / 1e6 / sample.size();
            rel.put(m, r);
            rows.add(row(m, f, r, ms));
        }
        return new Result(sample, f, rel, rows);
    }

    static Row row(Heatmapping m, double[] f, double[][] r, double ms) {
        int explained = 0;
        double maxRel = 0;
        double ratio = 0;
        double minR = Double.POSITIVE_INFINITY;
        double neg = 0;
        double abs = 0;
        double maxAbs = 0;
        for (double[] ri : r) {
            for (double v : ri) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        long negPix = 0;
        long pix = 0;
        List<Double> rels = new ArrayList<>();
        for (int i = 0; i < r.length; i++) {
            double s = 0;
            for (double v : r[i]) {
                s += v;
                minR = Math.min(minR, v);
                abs += Math.abs(v);
                if (v < 0) {
                    neg -= v;
                }
                if (v < -NEGATIVE_TOL * maxAbs) {
                    negPix++;
                }
                pix++;
            }
            if (f[i] >= MIN_F) {
                explained++;
                maxRel = Math.max(maxRel, Math.abs(s - f[i]) / f[i]);
                rels.add(Math.abs(s - f[i]) / f[i]);
                ratio += s / f[i];
            }
        }
        rels.sort(null);
        double median = rels.isEmpty() ? Double.NaN : rels.size() % 2 == 1 ? rels.get(rels.size() / 2)
                : (rels.get(rels.size() / 2 - 1) + rels.get(rels.size() / 2)) / 2;
        return new Row(m, explained, maxRel, median, explained == 0 ? Double.NaN : ratio / explained, minR,
                abs == 0 ? 0 : neg / abs, (double) negPix / pix, ms);
    }

    /**
     * Runs the demo on the shipped network and sample and writes {@code fig5.png},
     * {@code fig6-scatter-<method>.png}, {@code fig6-hist-<method>.png}, {@code table1.md} and {@code table1.json}
     * into a directory (made if missing).
     *
     * @param out the directory
     * @return Table 1 as Markdown, as written to {@code table1.md}
     * @throws UncheckedIOException if a file cannot be written
     */
    public static String run(Path out) {
        Result res = compute(shippedNet(), shippedMinMax(), shippedSample());
        write(res, out);
        return tableMarkdown(res);
    }

    /** Writes the figures and the table of a result into a directory. @param res the result @param out the directory */
    static void write(Result res, Path out) {
        try {
            Files.createDirectories(out);
            Heatmaps.writePng(fig5(res), out.resolve("fig5.png"));
            for (Heatmapping m : Heatmapping.values()) {
                BitmapEncoder.saveBitmap(scatter(res, m), out.resolve("fig6-scatter-" + m.id() + ".png").toString(),
                        BitmapEncoder.BitmapFormat.PNG);
                BitmapEncoder.saveBitmap(histogram(res, m), out.resolve("fig6-hist-" + m.id() + ".png").toString(),
                        BitmapEncoder.BitmapFormat.PNG);
            }
            Files.writeString(out.resolve("table1.md"), tableMarkdown(res));
            Files.writeString(out.resolve("table1.json"), tableJson(res));
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write the demo's files", e);
        }
    }

    /**
     * {@return the shipped network as a dtd4j graph}: 1568 inputs, a 28×56 picture row by row with pixels coded from
     * −0.5 (black) to +1.5 (white), to the output f(x), {@code [N,1]}. For comparing other methods on the paper's
     * network ({@code dtd compare} without a model).
     */
    public static Graph shippedGraph() {
        return shippedNet().graph();
    }

    /** {@return the 12 pairs Fig. 5 shows, as the input of {@link #shippedGraph()}: {@code [12,1568]}, float32} */
    public static INDArray fig5Inputs() {
        MnistPairs.Batch sample = shippedSample();
        INDArray x = sample.input(DataType.DOUBLE);
        double[] f = shippedNet().castTo(DataType.DOUBLE).forward(x).toDoubleVector();
        int[] rows = fig5Pick(sample, f).stream().mapToInt(Integer::intValue).toArray();
        return x.getRows(rows).castTo(DataType.FLOAT);
    }

    /** {@return the pairs Fig. 5 shows: the first 12 positive ones the network gives f(x) ≥ 1} */
    private static List<Integer> fig5Pick(MnistPairs.Batch sample, double[] f) {
        List<Integer> pick = new ArrayList<>();
        for (int i = 0; i < sample.size() && pick.size() < FIG5_EXAMPLES; i++) {
            if (MnistPairs.positive(sample.digits()[i]) && f[i] >= MIN_F) {
                pick.add(i);
            }
        }
        return pick;
    }

    /** Fig. 5: the first 12 positive pairs, one heatmap row per method, each heatmap scaled by its own max |R|. */
    static BufferedImage fig5(Result res) {
        List<Integer> pick = fig5Pick(res.sample(), res.f());
        int zoom = 2;
        int tw = 56 * zoom;
        int th = 28 * zoom;
        int gap = 4;
        int label = 200;
        int rows = 1 + Heatmapping.values().length;
        int w = label + pick.size() * (tw + gap);
        int h = 24 + rows * (th + gap);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int c = 0; c < pick.size(); c++) {
            int i = pick.get(c);
            g.drawString(String.format(Locale.ROOT, "%d|%d  f=%.0f", res.sample().digits()[i][0],
                    res.sample().digits()[i][1], res.f()[i]), label + c * (tw + gap) + 4, 16);
        }
        String[] names = new String[rows];
        names[0] = "Input";
        for (Heatmapping m : Heatmapping.values()) {
            names[1 + m.ordinal()] = m.title();
        }
        for (int r = 0; r < rows; r++) {
            int y = 24 + r * (th + gap);
            g.drawString(names[r], 6, y + th / 2 + 4);
            for (int c = 0; c < pick.size(); c++) {
                int i = pick.get(c);
                BufferedImage tile;
                if (r == 0) {
                    tile = digits(res.sample().pixels()[i]);
                } else {
                    double[][] px = new double[28][56];
                    double[] ri = res.relevance().get(Heatmapping.values()[r - 1])[i];
                    for (int k = 0; k < ri.length; k++) {
                        px[k / 56][k % 56] = ri[k];
                    }
                    tile = Heatmaps.render(px, ColorMap.RED_BLUE, Heatmaps.Scale.maxAbs());
                }
                g.drawImage(Heatmaps.enlarge(tile, zoom), label + c * (tw + gap), y, null);
            }
        }
        g.dispose();
        return img;
    }

    private static BufferedImage digits(int[] pixels) {
        BufferedImage t = new BufferedImage(56, 28, BufferedImage.TYPE_INT_RGB);
        for (int k = 0; k < pixels.length; k++) {
            int v = pixels[k];
            t.setRGB(k % 56, k / 56, v << 16 | v << 8 | v);
        }
        return t;
    }

    /** Fig. 6 (top): Σ_p R_p against the output f(x), one point per sample; the diagonal is conservation. */
    static XYChart scatter(Result res, Heatmapping m) {
        double[][] r = res.relevance().get(m);
        double[] s = new double[r.length];
        double max = 1;
        for (int i = 0; i < r.length; i++) {
            for (double v : r[i]) {
                s[i] += v;
            }
            max = Math.max(max, Math.max(res.f()[i], s[i]));
        }
        XYChart c = new XYChartBuilder().width(420).height(400).title(m.title())
                .xAxisTitle("output f(x)").yAxisTitle("sum of pixel relevances").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        XYSeries diag = c.addSeries("ΣR = f(x)", new double[]{0, max}, new double[]{0, max});
        diag.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        diag.setMarker(SeriesMarkers.NONE);
        diag.setLineColor(Color.GRAY);
        XYSeries pts = c.addSeries("samples", res.f(), s);
        pts.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        pts.setMarker(SeriesMarkers.CIRCLE);
        pts.setMarkerColor(new Color(200, 30, 30));
        return c;
    }

    /** Fig. 6 (bottom): how often pixel relevances take each value, counts on a log scale, red R ≥ 0, blue R < 0 (counted apart). */
    static XYChart histogram(Result res, Heatmapping m) {
        double[][] r = res.relevance().get(m);
        double max = 0;
        for (double[] ri : r) {
            for (double v : ri) {
                max = Math.max(max, Math.abs(v));
            }
        }
        int bins = 41;
        double width = (max > 0 ? 2 * max : 2) / bins;
        long[] pos = new long[bins];
        long[] neg = new long[bins];
        for (double[] ri : r) {
            for (double v : ri) {
                int b = Math.max(0, Math.min(bins - 1, (int) Math.floor((v + bins * width / 2) / width)));
                if (v < 0) {
                    neg[b]++;
                } else {
                    pos[b]++;
                }
            }
        }
        List<Double> px = new ArrayList<>();
        List<Double> py = new ArrayList<>();
        List<Double> nx = new ArrayList<>();
        List<Double> ny = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            double centre = (b - (bins - 1) / 2.0) * width;
            if (pos[b] > 0) {
                px.add(centre);
                py.add((double) pos[b]);
            }
            if (neg[b] > 0) {
                nx.add(centre);
                ny.add((double) neg[b]);
            }
        }
        XYChart c = new XYChartBuilder().width(420).height(300).title(m.title())
                .xAxisTitle("pixel relevance R_p (64 pairs, 41 bins)").yAxisTitle("count").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setXAxisDecimalPattern(max >= 0.1 ? "0.00" : "0.0E0");
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendVisible(false);
        add(c, "R ≥ 0", px, py, new Color(200, 30, 30));
        add(c, "R < 0", nx, ny, new Color(30, 60, 200));
        return c;
    }

    private static void add(XYChart c, String name, List<Double> x, List<Double> y, Color color) {
        if (x.isEmpty()) {
            return;
        }
        XYSeries s = c.addSeries(name, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.SQUARE);
        s.setMarkerColor(color);
    }

    static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    /** {@return Table 1 as Markdown} @param res the result */
    static String tableMarkdown(Result res) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Table 1, measured on ").append(res.sample().size()).append(" MNIST test pairs\n\n");
        sb.append(String.format(Locale.ROOT, "Conservative: max |ΣR − f(x)| / f(x) ≤ %.0e over the pairs with f(x) ≥ %.0f. "
                + "Positive: no pixel relevance below −%.0e·max|R|. Consistent: both (Definition 3).%n%n",
                CONSERVATIVE_TOL, MIN_F, NEGATIVE_TOL));
        sb.append("| | ");
        for (Row r : res.table()) {
            sb.append(r.method().title()).append(" | ");
        }
        sb.append("\n|---|");
        sb.append("---|".repeat(res.table().size())).append('\n');
        line(sb, "Conservative", r -> yes(r.conservative()) + String.format(Locale.ROOT, " (max rel. error %.2e)", r.maxRelError()), res);
        line(sb, "Positive", r -> yes(r.positive()) + String.format(Locale.ROOT, " (min R %.3g)", r.minR()), res);
        line(sb, "Consistent", r -> yes(r.consistent()), res);
        line(sb, "median |ΣR − f(x)| / f(x)", r -> String.format(Locale.ROOT, "%.2e", r.medianRelError()), res);
        line(sb, "mean ΣR / f(x)", r -> String.format(Locale.ROOT, "%.4g", r.meanRatio()), res);
        line(sb, "negative mass Σ|R⁻| / Σ|R|", r -> String.format(Locale.ROOT, "%.3g", r.negativeFraction()), res);
        line(sb, "negative pixels", r -> String.format(Locale.ROOT, "%.3g", r.negativePixels()), res);
        line(sb, "explained pairs (f ≥ 1)", r -> Integer.toString(r.explained()), res);
        line(sb, "ms per pair", r -> String.format(Locale.ROOT, "%.2f", r.msPerSample()), res);
        sb.append("\nThe min-max relevance model is fitted (its own training), so its conservation holds only up to the fitting error (Table 1's footnote a).\n");
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, java.util.function.Function<Row, String> cell, Result res) {
        sb.append("| ").append(name.replace("|", "\\|")).append(" | ");
        for (Row r : res.table()) {
            sb.append(cell.apply(r).replace("|", "\\|")).append(" | ");
        }
        sb.append('\n');
    }

    /** {@return Table 1 as JSON: an object per method id} @param res the result */
    static String tableJson(Result res) {
        ObjectNode root = Json.object();
        root.put("samples", res.sample().size());
        root.put("conservativeTolerance", CONSERVATIVE_TOL);
        root.put("negativeTolerance", NEGATIVE_TOL);
        root.put("minF", MIN_F);
        ObjectNode methods = root.putObject("methods");
        for (Row r : res.table()) {
            ObjectNode m = methods.putObject(r.method().id());
            m.put("title", r.method().title());
            m.put("conservative", r.conservative());
            m.put("positive", r.positive());
            m.put("consistent", r.consistent());
            Json.putFinite(m, "maxRelError", r.maxRelError());
            Json.putFinite(m, "medianRelError", r.medianRelError());
            Json.putFinite(m, "meanRatio", r.meanRatio());
            Json.putFinite(m, "minR", r.minR());
            Json.putFinite(m, "negativeFraction", r.negativeFraction());
            Json.putFinite(m, "negativePixels", r.negativePixels());
            m.put("explained", r.explained());
            Json.putFinite(m, "msPerSample", r.msPerSample());
        }
        return Json.pretty(root);
    }
}
