package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.eval.Conservation;
import io.github.dtd4j.eval.Continuity;
import io.github.dtd4j.eval.Randomisation;
import io.github.dtd4j.eval.RegionPerturbation;
import io.github.dtd4j.eval.Selectivity;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.ChannelRanking;
import io.github.dtd4j.methods.Crp;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One model's run of {@code dtd evaluate}: every method on every metric, then its evaluate.json, charts and table.
 */
final class Evaluation {
    /** The method that synthesises an input instead of explaining one: no metric applies to it. */
    static final String SYNTHESISES = "activation-maximization";
    /** Why it is not evaluated, as the table and the JSON say. */
    static final String SYNTHESISES_NOTE = "not evaluated: it synthesises an input rather than explaining one";
    /** Images in the comparison panel. */
    static final int PANEL_IMAGES = 8;

    /**
     * What every model's run shares.
     *
     * @param metrics   the metrics, in order
     * @param samples   images per metric
     * @param seed      --seed
     * @param precision --dtype
     * @param threads   --threads
     */
    record Settings(List<EvaluateCommand.Metric> metrics, EvaluateCommand.Samples samples, long seed,
                    Precision precision, int threads) {
    }

    /**
     * A method as the run uses it.
     *
     * @param name        its name
     * @param attribution on the model, or null if skipped
     * @param factory     the same method on another model (the randomisation check)
     * @param skipped     why it does not apply, or null
     */
    record Method(String name, Attribution attribution, Function<Graph, Attribution> factory, String skipped) {
    }

    /**
     * What a run wrote.
     *
     * @param name     the model's short name
     * @param json     its evaluate.json
     * @param markdown its table with its header
     */
    record Report(String name, ObjectNode json, String markdown) {
    }

    private final EvaluateCommand.Subject subject;
    private final Settings settings;
    private final EvaluateCommand.Metrics metrics;
    private final List<Method> methods = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /**
     * Makes every method on the model (a method that does not apply is skipped with its reason).
     *
     * @param subject  the model and images
     * @param settings the shared settings
     * @param metrics  the metrics, checked against the model
     * @param chosen   the methods
     * @param options  their options
     * @param rules    LRP's
     * @param implicit the methods were not named: CRP picks its layer and channels if --layer is absent
     */
    Evaluation(EvaluateCommand.Subject subject, Settings settings, EvaluateCommand.Metrics metrics,
               List<MethodRegistry.Entry> chosen, MethodOptions options, RuleOptions rules, boolean implicit) {
        this.subject = subject;
        this.settings = settings;
        this.metrics = metrics;
        if (implicit) {
            notes.add(SYNTHESISES + ": " + SYNTHESISES_NOTE + ".");
        }
        for (MethodRegistry.Entry e : chosen) {
            MethodOptions o = options.copy();
            String auto = null;
            try {
                if (e.name().equals("crp") && o.layer == null) {
                    auto = crpDefaults(o, rules);
                }
                // the model's own z^B box (the shipped models' [0,1], a picture's preprocessing) unless --low/--high
                rules.defaultBounds = subject.bounds();
                Attribution a = e.make(new MethodRegistry.Context(subject.graph(), o, rules));
                double[][] bounds = subject.bounds();
                Function<Graph, Attribution> factory = g -> {
                    rules.defaultBounds = bounds;
                    return e.make(new MethodRegistry.Context(g, o, rules));
                };
                methods.add(new Method(e.name(), a, factory, null));
                if (auto != null) {
                    notes.add("crp: " + auto + ".");
                }
            } catch (Dtd4jException ex) {
                methods.add(new Method(e.name(), null, null, ex.getMessage()));
                notes.add(e.name() + ": skipped, it does not apply to this model (" + ex.getMessage() + ").");
            }
        }
        if (methods.stream().allMatch(m -> m.skipped() != null)) {
            throw new CliException("no method applies to " + subject.model() + ": " + String.join(" ", notes));
        }
    }

    /**
     * CRP without --layer in a run that was not told the methods: Grad-CAM's layer (the last with a spatial output)
     * and the channels that carry most of the relevance there, summed over the first images of the sample.
     *
     * @return what was chosen, for the notes
     */
    private String crpDefaults(MethodOptions o, RuleOptions rules) {
        rules.defaultBounds = subject.bounds();
        String layer = Methods.gradCam(subject.graph()).layer();
        Crp crp = Methods.crp(rules.explainer(subject.graph())).withLayer(layer);
        int n = (int) Math.min(20, subject.x().size(0));
        ChannelRanking r = crp.rankChannels(subject.x().get(NDArrayIndex.interval(0, n)), Start.topClass());
        double[] total = new double[r.channels()];
        for (int i = 0; i < r.batchSize(); i++) {
            double[] v = r.relevance(i);
            for (int k = 0; k < total.length; k++) {
                total[k] += v[k];
            }
        }
        int[] top = IntStream.range(0, total.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(k -> -total[k]).thenComparingInt(k -> k))
                .limit(EvaluateCommand.CRP_CHANNELS).mapToInt(Integer::intValue).toArray();
        o.layer = layer;
        o.channels = top;
        return "no --layer given, so Grad-CAM's layer " + layer + " and its " + top.length + " channels with the most"
                + " relevance over the first " + n + " images (" + Arrays.toString(top) + ")";
    }

    /** {@return the progress bar's steps: one per method and metric, the random baseline, the panel} */
    int tasks() {
        long evaluated = methods.stream().filter(m -> m.skipped() == null).count();
        return (int) (evaluated * settings.metrics().size()
                + (settings.metrics().contains(EvaluateCommand.Metric.REGION_PERTURBATION) ? 1 : 0) + 1);
    }

    private INDArray first(EvaluateCommand.Metric m) {
        int n = settings.samples().of(m, subject.x().size(0));
        return n == subject.x().size(0) ? subject.x() : subject.x().get(NDArrayIndex.interval(0, n));
    }

    /**
     * Runs every method on every metric, then writes evaluate.json, the charts and results.md to the model's
     * directory.
     *
     * @param progress the bar
     * @param err      where notes go
     * @return the numbers and the table
     */
    Report run(Progress progress, PrintWriter err) {
        ObjectNode j = Json.object();
        j.put("model", subject.model());
        j.put("input", subject.input());
        j.put("images", subject.x().size(0));
        j.put("seed", settings.seed());
        j.put("dtype", settings.precision().name().toLowerCase(Locale.ROOT));
        j.put("threads", settings.threads());
        ObjectNode set = j.putObject("settings");
        for (EvaluateCommand.Metric m : settings.metrics()) {
            ObjectNode s = set.putObject(m.key());
            s.put("images", settings.samples().of(m, subject.x().size(0)));
            s.put("settings", switch (m) {
                case REGION_PERTURBATION -> metrics.regionPerturbation().settings();
                case SELECTIVITY -> metrics.selectivity().settings();
                case CONTINUITY -> metrics.continuity().settings();
                case RANDOMISATION -> metrics.randomisation().settings();
                case CONSERVATION -> metrics.conservation().settings();
            });
            if (m == EvaluateCommand.Metric.RANDOMISATION) {
                ArrayNode layers = s.putArray("layers");
                metrics.randomisation().layers().forEach(layers::add);
            }
            if (m == EvaluateCommand.Metric.CONTINUITY) {
                ArrayNode shifts = s.putArray("sequence");
                for (int v : metrics.continuity().steps()) {
                    shifts.add(v);
                }
            }
        }
        j.put("timing", "ms: wall-clock milliseconds of each metric's evaluate call, which runs the method itself;"
                + " a method's ms is the sum over its metrics");
        ObjectNode out = j.putObject("methods");
        Results results = new Results();
        String model = subject.name();
        for (Method m : methods) {
            ObjectNode mj = out.putObject(m.name());
            if (m.skipped() != null) {
                mj.put("skipped", m.skipped());
                continue;
            }
            mj.put("settings", m.attribution().settings());
            double total = 0;
            for (EvaluateCommand.Metric metric : settings.metrics()) {
                long t0 = System.nanoTime();
                ObjectNode r = mj.putObject(metric.key());
                try {
                    evaluate(m, metric, r, results);
                } catch (Dtd4jException ex) {
                    r.removeAll();
                    r.put("failed", ex.getMessage());
                    err.println();
                    err.println("dtd evaluate: " + model + ", " + m.name() + ", " + metric + ": " + ex.getMessage());
                    notes.add(m.name() + ", " + metric + ": failed (" + ex.getMessage() + ").");
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                r.put("ms", Json.fixed(ms, 1));
                total += ms;
                progress.step(model + " " + m.name() + " " + metric);
            }
            mj.put("ms", Json.fixed(total, 1));
        }
        if (settings.metrics().contains(EvaluateCommand.Metric.REGION_PERTURBATION)) {
            long t0 = System.nanoTime();
            RegionPerturbation.Result r = metrics.regionPerturbation().randomOrder(
                    first(EvaluateCommand.Metric.REGION_PERTURBATION), settings.seed());
            results.random = r;
            ObjectNode mj = out.putObject("random");
            mj.put("settings", "patches in a random order (seed " + settings.seed() + "); LeRF: the same order reversed");
            ObjectNode rj = mj.putObject("region_perturbation");
            regionPerturbation(r, rj);
            rj.put("ms", Json.fixed((System.nanoTime() - t0) / 1e6, 1));
            progress.step(model + " random order");
        }
        if (!notes.isEmpty()) {
            ArrayNode n = j.putArray("notes");
            notes.forEach(n::add);
        }
        try {
            Files.createDirectories(subject.dir());
        } catch (IOException e) {
            throw new UncheckedIOException(subject.dir() + ": cannot create", e);
        }
        List<String> files = charts(results);
        panel();
        progress.step(model + " charts");
        ArrayNode written = j.putArray("files");
        files.forEach(written::add);
        String md = markdown(j, results);
        write(subject.dir().resolve("evaluate.json"), Json.pretty(j));
        write(subject.dir().resolve("results.md"), "# dtd evaluate\n\n" + md);
        return new Report(subject.name(), j, md);
    }

    /** The results kept for the charts. */
    private static final class Results {
        final Map<String, RegionPerturbation.Result> regionPerturbation = new LinkedHashMap<>();
        final Map<String, Selectivity.Result> selectivity = new LinkedHashMap<>();
        final Map<String, Continuity.Result> continuity = new LinkedHashMap<>();
        final Map<String, Randomisation.Result> randomisation = new LinkedHashMap<>();
        final Map<String, Conservation.Result> conservation = new LinkedHashMap<>();
        RegionPerturbation.Result random;
    }

    private void evaluate(Method m, EvaluateCommand.Metric metric, ObjectNode r, Results results) {
        INDArray x = first(metric);
        switch (metric) {
            case REGION_PERTURBATION -> {
                RegionPerturbation.Result res = metrics.regionPerturbation().evaluate(m.attribution(), x);
                results.regionPerturbation.put(m.name(), res);
                regionPerturbation(res, r);
            }
            case SELECTIVITY -> {
                Selectivity.Result res = metrics.selectivity().evaluate(m.attribution(), x);
                results.selectivity.put(m.name(), res);
                r.set("curve", array(res.curve()));
                r.set("auc", num(res.auc()));
            }
            case CONTINUITY -> {
                Continuity.Result res = metrics.continuity().evaluate(m.attribution(), x);
                results.continuity.put(m.name(), res);
                r.set("mean", num(res.mean()));
                r.set("per_image", array(res.perImage()));
            }
            case RANDOMISATION -> {
                Randomisation.Result res = metrics.randomisation().evaluate(m.factory(), x);
                results.randomisation.put(m.name(), res);
                ArrayNode st = r.putArray("stages");
                res.stages().forEach(st::add);
                r.set("spearman", array(res.spearman()));
                r.set("spearman_abs", array(res.spearmanAbs()));
            }
            case CONSERVATION -> {
                Conservation.Result res = metrics.conservation().evaluate(m.attribution(), x);
                results.conservation.put(m.name(), res);
                r.put("explained", res.explained());
                r.set("max_rel_error", num(res.maxRelError()));
                r.set("median_rel_error", num(res.medianRelError()));
                r.set("mean_ratio", num(res.meanRatio()));
                r.set("negative_mass", num(res.negativeMass()));
                r.set("negative_elements", num(res.negativeElements()));
                r.put("conservative", res.conservative());
                r.put("positive", res.positive());
            }
        }
    }

    private static void regionPerturbation(RegionPerturbation.Result res, ObjectNode r) {
        r.set("morf", array(res.morf()));
        r.set("lerf", array(res.lerf()));
        r.set("aopc_morf", num(res.aopcMorf()));
        r.set("aopc_lerf", num(res.aopcLerf()));
        r.set("abpc", num(res.abpc()));
    }

    /** {@return a number as JSON: null for NaN or an infinity (JSON has neither)} */
    static JsonNode num(double v) {
        return Double.isFinite(v) ? Json.object().numberNode(v) : Json.object().nullNode();
    }

    static ArrayNode array(double[] v) {
        ArrayNode a = Json.object().arrayNode();
        for (double d : v) {
            a.add(num(d));
        }
        return a;
    }

    /** {@return the charts written, by file name} */
    private List<String> charts(Results r) {
        List<String> files = new ArrayList<>();
        Path dir = subject.dir();
        String who = subject.name() + " on " + subject.input();
        if (!r.regionPerturbation.isEmpty() || r.random != null) {
            String settingsLine = metrics.regionPerturbation().settings();
            int n = settings.samples().of(EvaluateCommand.Metric.REGION_PERTURBATION, subject.x().size(0));
            for (boolean morf : new boolean[]{true, false}) {
                List<EvaluateCharts.Line> lines = new ArrayList<>();
                r.regionPerturbation.forEach((name, res) -> lines.add(new EvaluateCharts.Line(String.format(Locale.ROOT,
                        "%s (AOPC %.3g)", name, morf ? res.aopcMorf() : res.aopcLerf()),
                        morf ? res.morf() : res.lerf(), false)));
                if (r.random != null) {
                    lines.add(new EvaluateCharts.Line(String.format(Locale.ROOT, "random order (AOPC %.3g)",
                            morf ? r.random.aopcMorf() : r.random.aopcLerf()),
                            morf ? r.random.morf() : r.random.lerf(), true));
                }
                String file = morf ? "morf.png" : "lerf.png";
                EvaluateCharts.write(dir.resolve(file), (morf ? "MoRF, most relevant patches first (a steeper fall"
                                + " is better)" : "LeRF, least relevant patches first (a flatter curve is better)")
                                + ": " + subject.name() + ", " + n + " images",
                        "patches perturbed (" + settingsLine + ")", "mean target logit", lines, null);
                files.add(file);
            }
        }
        if (!r.selectivity.isEmpty()) {
            List<EvaluateCharts.Line> lines = new ArrayList<>();
            r.selectivity.forEach((name, res) -> lines.add(new EvaluateCharts.Line(String.format(Locale.ROOT,
                    "%s (AUC %.3g)", name, res.auc()), res.curve(), false)));
            int n = settings.samples().of(EvaluateCommand.Metric.SELECTIVITY, subject.x().size(0));
            EvaluateCharts.write(dir.resolve("selectivity.png"), "Selectivity, remove the most relevant window and"
                            + " explain again: " + subject.name() + ", " + n + " images",
                    "windows removed (" + metrics.selectivity().settings() + ")", "mean target logit", lines, null);
            files.add("selectivity.png");
        }
        if (!r.randomisation.isEmpty()) {
            List<EvaluateCharts.Line> lines = new ArrayList<>();
            r.randomisation.forEach((name, res) -> lines.add(new EvaluateCharts.Line(String.format(Locale.ROOT,
                    "%s (last %.2f)", name, res.last()), res.spearman(), false)));
            List<String> stages = r.randomisation.values().iterator().next().stages();
            int n = settings.samples().of(EvaluateCommand.Metric.RANDOMISATION, subject.x().size(0));
            EvaluateCharts.write(dir.resolve("randomisation.png"), "Cascading randomisation (falling to 0 passes): "
                            + subject.name() + ", " + n + " images",
                    "layers randomised, from the output (the last one named)", "mean Spearman correlation with the trained model's heatmap", lines,
                    v -> {
                        int i = (int) Math.round(v);
                        return Math.abs(v - i) > 1e-9 || i < 0 || i >= stages.size() ? ""
                                : i == 0 ? "0 (trained)" : i + ": " + shorten(stages.get(i));
                    });
            files.add("randomisation.png");
        }
        if (!r.continuity.isEmpty()) {
            writeContinuity(dir.resolve("continuity.png"), r.continuity);
            files.add("continuity.png");
        }
        files.add("compare.png");
        return files;
    }

    private static String shorten(String node) {
        return node.length() > 18 ? "…" + node.substring(node.length() - 17) : node;
    }

    /** The continuity figure: the first image along its translations, then a row of heatmaps per method. */
    private void writeContinuity(Path path, Map<String, Continuity.Result> res) {
        int[] shifts = metrics.continuity().steps();
        INDArray x0 = subject.x().get(NDArrayIndex.interval(0, 1)).castTo(DataType.DOUBLE);
        int c = (int) x0.size(1);
        int h = (int) x0.size(2);
        int w = (int) x0.size(3);
        double[] img = x0.reshape('c', new long[]{x0.length()}).toDoubleVector();
        double[] seq = new double[shifts.length * img.length];
        for (int s = 0; s < shifts.length; s++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        int src = xx - shifts[s];
                        if (src >= 0 && src < w) {
                            seq[s * img.length + (ch * h + y) * w + xx] = img[(ch * h + y) * w + src];
                        }
                    }
                }
            }
        }
        List<BufferedImage> pictures = CompareCommand.pictures(Nd4j.create(seq, new long[]{shifts.length, c, h, w}, 'c'));
        List<String> headers = new ArrayList<>();
        for (int s : shifts) {
            headers.add(String.format(Locale.ROOT, "shift %+d", s));
        }
        List<ComparePanel.Row> rows = new ArrayList<>();
        int n = settings.samples().of(EvaluateCommand.Metric.CONTINUITY, subject.x().size(0));
        res.forEach((name, r) -> {
            double[][][] maps = r.heatmaps();
            List<double[][]> row = new ArrayList<>();
            for (double[] m : maps[0]) {
                row.add(grid(m, h, w));
            }
            rows.add(new ComparePanel.Row(name, String.format(Locale.ROOT, "C = %.4g (mean over %d images; this"
                    + " image %.4g)", r.mean(), n, r.perImage()[0]), row));
        });
        Heatmaps.writePng(ComparePanel.render(headers, pictures, rows, "C = max ||R(x_s) - R(x_t)||_1 / ||x_s - x_t||_2"
                + " over the translations, lower is more continuous"), path);
    }

    private static double[][] grid(double[] flat, int h, int w) {
        double[][] g = new double[h][w];
        for (int y = 0; y < h; y++) {
            System.arraycopy(flat, y * w, g[y], 0, w);
        }
        return g;
    }

    /** compare.png: each method's heatmaps on the first images, as dtd compare draws them. */
    private void panel() {
        int k = (int) Math.min(PANEL_IMAGES, subject.x().size(0));
        INDArray x = subject.x().get(NDArrayIndex.interval(0, k));
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        List<ComparePanel.Row> rows = new ArrayList<>();
        List<String> headers = null;
        for (Method m : methods) {
            if (m.skipped() != null) {
                continue;
            }
            try (Attributions a = m.attribution().attribute(x, Start.topClass())) {
                INDArray r = a.attribution();
                INDArray maps = r.reshape('c', k, r.length() / ((long) k * h * w), h, w).sum(1);
                List<double[][]> row = new ArrayList<>();
                for (int i = 0; i < k; i++) {
                    row.add(maps.get(NDArrayIndex.point(i)).castTo(DataType.DOUBLE).toDoubleMatrix());
                }
                rows.add(new ComparePanel.Row(m.name(), m.attribution().settings(), row));
                if (headers == null) {
                    headers = headers(a);
                }
            } catch (Dtd4jException ex) {
                notes.add(m.name() + ": no heatmaps in compare.png (" + ex.getMessage() + ").");
            }
        }
        if (headers == null) {
            return;
        }
        Heatmaps.writePng(ComparePanel.render(headers, CompareCommand.pictures(x), rows, "red: positive, blue:"
                + " negative; each heatmap scaled by its own max |R|"),
                subject.dir().resolve("compare.png"));
    }

    private List<String> headers(Attributions a) {
        List<String> classes = subject.classes();
        if (classes.isEmpty()) {
            return CompareCommand.headers(a);
        }
        List<String> out = new ArrayList<>();
        int[] t = a.targets();
        for (int i = 0; i < t.length; i++) {
            out.add(t[i] < classes.size() ? classes.get(t[i]) : "class " + t[i]);
        }
        return out;
    }

    /** {@return the class names a shipped sample.json lists under source.classes, or none} */
    static List<String> classes(InputStream sampleJson) {
        if (sampleJson == null) {
            return List.of();
        }
        try (InputStream in = sampleJson) {
            JsonNode c = new ObjectMapper().readTree(in).path("source").path("classes");
            List<String> out = new ArrayList<>();
            c.forEach(n -> out.add(n.asText()));
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** {@return the model's section of results.md: what was run, then one row per method} */
    private String markdown(ObjectNode j, Results r) {
        List<EvaluateCommand.Metric> ms = settings.metrics();
        StringBuilder b = new StringBuilder();
        b.append("## ").append(subject.name()).append("\n\n");
        b.append("Model: ").append(subject.model()).append("; input: ").append(subject.input()).append("; ")
                .append(j.get("dtype").asText()).append(", seed ").append(settings.seed()).append(".\n\n");
        for (EvaluateCommand.Metric m : ms) {
            JsonNode s = j.get("settings").get(m.key());
            b.append("- ").append(m).append(" on the first ").append(s.get("images").asInt()).append(" images: ")
                    .append(s.get("settings").asText()).append('\n');
        }
        b.append('\n');
        List<String> head = new ArrayList<>(List.of("method"));
        if (ms.contains(EvaluateCommand.Metric.REGION_PERTURBATION)) {
            head.addAll(List.of("AOPC MoRF ↑", "AOPC LeRF ↓", "ABPC ↑"));
        }
        if (ms.contains(EvaluateCommand.Metric.SELECTIVITY)) {
            head.add("selectivity AUC ↓");
        }
        if (ms.contains(EvaluateCommand.Metric.CONTINUITY)) {
            head.add("continuity C ↓");
        }
        if (ms.contains(EvaluateCommand.Metric.RANDOMISATION)) {
            head.add("Spearman, all layers random (→ 0)");
        }
        if (ms.contains(EvaluateCommand.Metric.CONSERVATION)) {
            head.addAll(List.of("conservation: max rel. error", "negative mass"));
        }
        head.add("time (s)");
        b.append("| ").append(String.join(" | ", head)).append(" |\n");
        b.append("|").append("---|".repeat(head.size())).append('\n');
        for (Method m : methods) {
            List<String> row = new ArrayList<>(List.of(m.name()));
            if (m.skipped() != null) {
                for (int i = 1; i < head.size(); i++) {
                    row.add(i == 1 ? "skipped" : "");
                }
            } else {
                if (ms.contains(EvaluateCommand.Metric.REGION_PERTURBATION)) {
                    RegionPerturbation.Result x = r.regionPerturbation.get(m.name());
                    row.add(x == null ? "failed" : fmt(x.aopcMorf()));
                    row.add(x == null ? "" : fmt(x.aopcLerf()));
                    row.add(x == null ? "" : fmt(x.abpc()));
                }
                if (ms.contains(EvaluateCommand.Metric.SELECTIVITY)) {
                    Selectivity.Result x = r.selectivity.get(m.name());
                    row.add(x == null ? "failed" : fmt(x.auc()));
                }
                if (ms.contains(EvaluateCommand.Metric.CONTINUITY)) {
                    Continuity.Result x = r.continuity.get(m.name());
                    row.add(x == null ? "failed" : fmt(x.mean()));
                }
                if (ms.contains(EvaluateCommand.Metric.RANDOMISATION)) {
                    Randomisation.Result x = r.randomisation.get(m.name());
                    row.add(x == null ? "failed" : String.format(Locale.ROOT, "%.3f", x.last()));
                }
                if (ms.contains(EvaluateCommand.Metric.CONSERVATION)) {
                    Conservation.Result x = r.conservation.get(m.name());
                    row.add(x == null ? "failed" : fmt(x.maxRelError()));
                    row.add(x == null ? "" : fmt(x.negativeMass()));
                }
                row.add(String.format(Locale.ROOT, "%.1f", j.get("methods").get(m.name()).get("ms").asDouble() / 1000));
            }
            b.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        if (r.random != null) {
            List<String> row = new ArrayList<>(List.of("random order (baseline)", fmt(r.random.aopcMorf()),
                    fmt(r.random.aopcLerf()), fmt(r.random.abpc())));
            while (row.size() < head.size() - 1) {
                row.add("");
            }
            row.add(String.format(Locale.ROOT, "%.1f",
                    j.get("methods").get("random").get("region_perturbation").get("ms").asDouble() / 1000));
            b.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        b.append('\n');
        b.append("↑ higher is better, ↓ lower is better. AOPC: mean fall of the target logit over the curve; ABPC ="
                + " AOPC MoRF − AOPC LeRF. Spearman: rank correlation of the heatmap with the trained model's once every"
                + " layer is re-drawn (near 0: the explanation depends on what the model learned). Conservation: max"
                + " over images of |ΣR − f(x)| / f(x); negative mass: Σ max(0, −R) / Σ |R|.\n");
        for (String n : notes) {
            b.append("\n- ").append(n);
        }
        if (!notes.isEmpty()) {
            b.append('\n');
        }
        return b.toString();
    }

    /** {@return a number for the table: 4 significant digits, or "—" if it is not finite} */
    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "—";
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.2e", v)
                : String.format(Locale.ROOT, "%.4g", v);
    }

    static void write(Path p, String text) {
        try {
            Path parent = p.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot write", e);
        }
    }

    /**
     * Writes the top of a run: with several models, results.md with every table (each model has its directory);
     * and --json, one model's numbers or every model's under "models".
     *
     * @param reports each model's
     * @param out     --out
     * @param json    --json, or null
     * @param several more than one model
     * @param seconds the whole run's time
     */
    static void writeTop(List<Report> reports, Path out, Path json, boolean several, double seconds) {
        if (several) {
            StringBuilder b = new StringBuilder("# dtd evaluate\n\n");
            b.append(String.format(Locale.ROOT, "%d models, %.0f s in all; each model's directory has its"
                    + " evaluate.json and charts.%n%n", reports.size(), seconds));
            for (Report r : reports) {
                b.append(r.markdown()).append('\n');
            }
            write(out.resolve("results.md"), b.toString());
        }
        if (json != null) {
            JsonNode j;
            if (several) {
                ObjectNode top = Json.object();
                ObjectNode models = top.putObject("models");
                reports.forEach(r -> models.set(r.name(), r.json()));
                top.put("seconds", Json.fixed(seconds, 1));
                j = top;
            } else {
                j = reports.get(0).json();
            }
            write(json, Json.pretty(j));
        }
    }
}
