package io.github.dtd4j.cli;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.eval.Conservation;
import io.github.dtd4j.eval.Continuity;
import io.github.dtd4j.eval.Perturbation;
import io.github.dtd4j.eval.Randomisation;
import io.github.dtd4j.eval.RegionPerturbation;
import io.github.dtd4j.eval.Selectivity;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.viz.Images;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dtd evaluate}: scores explanation methods by the measures of dtd-eval (region perturbation with its random
 * baseline, selectivity, continuity, the randomisation check, conservation) and writes the numbers (JSON), charts and
 * a Markdown table.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score explanation methods by region perturbation, selectivity, continuity, the randomisation"
                + " check and conservation: numbers, charts and a table (docs/evaluate.md).",
                "How faithful, continuous, model-dependent and conservative the explanations are: region perturbation"
                + " (MoRF/LeRF curves, AOPC, ABPC, and always"
                + " the random patch order as a baseline), selectivity (pixel flipping that re-explains every step),"
                + " continuity (the largest jump of the explanation along small translations), the cascading"
                + " model-randomisation check (Spearman correlation with the trained model's heatmap) and"
                + " conservation/positivity. Writes evaluate.json, morf.png, lerf.png, selectivity.png,"
                + " randomisation.png, continuity.png, compare.png and results.md to --out.",
                "Without --model and --input: the shipped Fashion-MNIST VGG and ResNet and their 200-image sample, every"
                        + " method that explains an input with every metric, on per-metric samples sized to run in a"
                        + " few minutes on 2 cores; one directory per model and a results.md with both tables.",
                "Methods: every method of dtd explain except activation-maximization, which synthesises an input"
                        + " rather than explaining one. A method that does not apply to the model (cam needs global"
                        + " average pooling then one dense layer) is skipped with a note. Each method's options are"
                        + " those of dtd explain, except that Integrated Gradients' steps are --ig-steps and"
                        + " SmoothGrad's seed is --smoothgrad-seed here: --steps and --seed belong to the metrics;"
                        + " --dtype sets the precision of the metrics and of the methods."})
final class EvaluateCommand implements Callable<Integer> {
    /** The measures, as {@code --metric} spells them and as the JSON names them. */
    enum Metric {
        REGION_PERTURBATION, SELECTIVITY, CONTINUITY, RANDOMISATION, CONSERVATION;

        /** {@return the command line's name, e.g. region-perturbation} */
        @Override
        public String toString() {
            return Dtd.spelling(this);
        }

        /** {@return the JSON key, e.g. region_perturbation} */
        String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static String known() {
            return Arrays.stream(values()).map(Metric::toString).collect(Collectors.joining(", "));
        }
    }

    /** {@link Metric} from its name, '-' or '_', any case; "randomization" too. */
    static final class MetricConverter implements CommandLine.ITypeConverter<Metric> {
        @Override
        public Metric convert(String value) {
            String v = value.strip().toUpperCase(Locale.ROOT).replace('-', '_').replace("RANDOMIZATION", "RANDOMISATION");
            for (Metric m : Metric.values()) {
                if (m.name().equals(v)) {
                    return m;
                }
            }
            throw new CommandLine.TypeConversionException("unknown metric '" + value + "'; known: " + Metric.known());
        }
    }

    /** What perturbed regions are replaced by ({@link Perturbation#named}). */
    enum Replacement {
        CONSTANT, MEAN, UNIFORM, BLUR;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /**
     * Images per metric: the first N of the input.
     *
     * @param sizes per metric; a metric absent takes every image
     */
    record Samples(Map<Metric, Integer> sizes) {
        int of(Metric m, long available) {
            Integer n = sizes.get(m);
            return (int) Math.min(available, n == null ? Integer.MAX_VALUE : n);
        }
    }

    /** The shipped models' directory on the class path (dtd-cli's pom packages the repository's models/ there). */
    static final String SHIPPED = "/io/github/dtd4j/cli/models/";
    /** The shipped models evaluated by default, in order. */
    static final List<String> SHIPPED_MODELS = List.of("vgg", "resnet");
    /** The shipped sample of each dataset. */
    static final String SHIPPED_SAMPLE = "sample-images.npy";

    /**
     * The shipped run's sample sizes and settings: what fits the whole run (both models, every method, every metric)
     * in about three minutes on 2 cores. Region perturbation costs 2·(L+1) forward passes per image and method;
     * selectivity L explanations per image; continuity 2T+1 (9); randomisation one per image and stage (11 and 20
     * stages); conservation one. Integrated Gradients, 50 forward and backward passes per explanation, is a third of
     * the time.
     */
    static final int SHIPPED_REGION_PERTURBATION = 20;
    static final int SHIPPED_SELECTIVITY = 5;
    static final int SHIPPED_CONTINUITY = 3;
    static final int SHIPPED_RANDOMISATION = 4;
    static final int SHIPPED_CONSERVATION = 50;
    static final Map<Metric, Integer> DEFAULT_SAMPLES = new EnumMap<>(Map.of(
            Metric.REGION_PERTURBATION, SHIPPED_REGION_PERTURBATION, Metric.SELECTIVITY, SHIPPED_SELECTIVITY,
            Metric.CONTINUITY, SHIPPED_CONTINUITY, Metric.RANDOMISATION, SHIPPED_RANDOMISATION,
            Metric.CONSERVATION, SHIPPED_CONSERVATION));
    /** The shipped run's region perturbation: 2×2 patches. */
    static final int DEFAULT_PATCH = 2;
    /** The shipped run's region perturbation: L perturbed patches (a quarter of a 28×28 image). */
    static final int DEFAULT_STEPS = 50;
    /** The shipped run's selectivity: L removed windows (of the tutorial's 4×4 pixels). */
    static final int DEFAULT_SELECTIVITY_STEPS = 10;
    /** The default run's CRP, where no --layer is given: the channels of Grad-CAM's layer that carry most relevance. */
    static final int CRP_CHANNELS = 4;

    /** Which options apply to which metrics (an option none of the chosen metrics reads is an error). */
    static final Map<String, Set<Metric>> METRIC_OPTIONS = new LinkedHashMap<>();

    static {
        METRIC_OPTIONS.put("--patch", EnumSet.of(Metric.REGION_PERTURBATION));
        METRIC_OPTIONS.put("--steps", EnumSet.of(Metric.REGION_PERTURBATION));
        METRIC_OPTIONS.put("--selectivity-window", EnumSet.of(Metric.SELECTIVITY));
        METRIC_OPTIONS.put("--selectivity-steps", EnumSet.of(Metric.SELECTIVITY));
        METRIC_OPTIONS.put("--shift", EnumSet.of(Metric.CONTINUITY));
        METRIC_OPTIONS.put("--perturbation", EnumSet.of(Metric.REGION_PERTURBATION, Metric.SELECTIVITY));
        METRIC_OPTIONS.put("--value", EnumSet.of(Metric.REGION_PERTURBATION, Metric.SELECTIVITY));
        METRIC_OPTIONS.put("--seed", EnumSet.of(Metric.REGION_PERTURBATION, Metric.RANDOMISATION));
    }

    /** The names of this command's own options that are method options in dtd explain. */
    static final Set<String> OWN = Set.of("--steps", "--seed", "--dtype");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "PATH",
            description = ".onnx, DL4J model .zip or Keras .h5 of images [C,H,W] (default: the shipped Fashion-MNIST"
                    + " VGG and ResNet)")
    Path model;

    @Option(names = "--input", paramLabel = "PATH",
            description = ".npy [N,C,H,W], a .png/.jpg, or a directory of .npy and .png/.jpg images, all of one size;"
                    + " needs --model")
    Path input;

    @Option(names = "--method", paramLabel = "NAME", split = ",",
            description = "a method to score; repeat it or give a comma-separated list (default: every method that"
                    + " explains an input)")
    List<String> methods;

    @Option(names = "--metric", paramLabel = "NAME", split = ",", converter = MetricConverter.class,
            description = "region-perturbation, selectivity, continuity, randomisation or conservation; repeat it or"
                    + " give a list (default: all five)")
    List<Metric> metrics;

    @Option(names = "--patch", paramLabel = "P",
            description = "region perturbation: P×P patches (default 1 on images of at most 32 pixels, else 8; the"
                    + " shipped run: " + DEFAULT_PATCH + ")")
    Integer patch;

    @Option(names = "--steps", paramLabel = "L",
            description = "region perturbation: patches perturbed, the curve's L (default min(100, patches); the shipped"
                    + " run: " + DEFAULT_STEPS + "). Not Integrated Gradients' steps: those are --ig-steps here")
    Integer steps;

    @Option(names = "--selectivity-window", paramLabel = "P",
            description = "selectivity: P×P windows (default 1/7 of the image's shorter side: 4 on 28 pixels)")
    Integer selectivityWindow;

    @Option(names = "--selectivity-steps", paramLabel = "L",
            description = "selectivity: windows removed, each after explaining again (default 20; the shipped run: "
                    + DEFAULT_SELECTIVITY_STEPS + ")")
    Integer selectivitySteps;

    @Option(names = "--shift", paramLabel = "T",
            description = "continuity: translations by -T..T pixels (default width/7: 4 on 28 pixels)")
    Integer shift;

    @Option(names = "--perturbation", paramLabel = "KIND",
            description = "region perturbation and selectivity: what a perturbed pixel becomes: ${COMPLETION-CANDIDATES}"
                    + " (default constant: --value, 0)")
    Replacement perturbation;

    @Option(names = "--value", paramLabel = "V",
            description = "constant: the value (default 0); blur: the Gaussian's sigma in pixels (default 1)")
    Double value;

    @Option(names = "--seed", paramLabel = "S",
            description = "the random patch order of the baseline, uniform noise, the randomisation check's weights"
                    + " (default 0). SmoothGrad's seed is --smoothgrad-seed")
    Long seed;

    @Option(names = "--sample", paramLabel = "METRIC=N", split = ",",
            description = "score a metric on the first N images only, e.g. selectivity=20,continuity=10 (default: every"
                    + " image; the shipped run: region-perturbation=" + SHIPPED_REGION_PERTURBATION + ", selectivity="
                    + SHIPPED_SELECTIVITY + ", continuity=" + SHIPPED_CONTINUITY + ", randomisation="
                    + SHIPPED_RANDOMISATION + ", conservation=" + SHIPPED_CONSERVATION + ")")
    Map<String, Integer> sample;

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "imagenet",
            description = "for pictures: ${COMPLETION-CANDIDATES} (default imagenet, as dtd explain; unit for pixels in"
                    + " [0,1] at their own size, grey for a one-channel model)")
    Images.Preprocess preprocess;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "fashion-mnist",
            description = "without --model: the shipped models of fashion-mnist (default) or mnist")
    String dataset;

    @Option(names = "--json", paramLabel = "PATH.json",
            description = "also write the numbers here (evaluate.json in --out has them too)")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "evaluate-out",
            description = "the charts, results.md and evaluate.json (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "threads per ND4J operation (default ${DEFAULT-VALUE}: the metrics run many small operations,"
                    + " which more threads slow down, several times over on a machine busy with other work; 2 can"
                    + " help on an idle machine)")
    int threads;

    @Option(names = "--shipped-dir", hidden = true, paramLabel = "DIR",
            description = "read the shipped models from DIR/<dataset>/ instead of the class path")
    Path shippedDir;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Mixin
    RuleOptionsMixin rules;

    @ArgGroup(exclusive = false, heading = "Options of the methods (as dtd explain; Integrated Gradients' steps are"
            + " --ig-steps and SmoothGrad's seed --smoothgrad-seed here):%n")
    MethodOptions methodOptions = new MethodOptions();

    /** One model and its images. */
    record Subject(String name, String model, String input, Graph graph, INDArray x, double[][] bounds, Path dir,
                   List<String> classes) {
    }

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        List<Metric> chosenMetrics = metrics == null || metrics.isEmpty() ? List.of(Metric.values())
                : List.copyOf(new LinkedHashSet<>(metrics));
        boolean shipped = model == null && input == null;
        if ((model == null) != (input == null)) {
            throw new CommandLine.ParameterException(cl, "give --model and --input together (without both: the"
                    + " shipped " + dataset + " models and sample)");
        }
        List<MethodRegistry.Entry> chosen = chosenMethods();
        checkMetricOptions(chosenMetrics);
        MethodRegistry.check(spec, chosen, methodOptions, OWN);
        boolean explicit = methods != null && !methods.isEmpty();
        if (explicit && chosen.stream().anyMatch(e -> e.name().equals("crp")) && methodOptions.layer == null) {
            throw new CommandLine.ParameterException(cl, "--method crp needs --layer NODE, the layer whose channels are"
                    + " followed (dtd inspect lists the nodes)");
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(cl, "--threads must be >= 1, got " + threads);
        }
        Samples samples = samples(shipped);
        PrintWriter stdout = cl.getOut();
        PrintWriter err = cl.getErr();
        if (steps != null && chosen.stream().anyMatch(e -> e.name().equals("integrated-gradients"))
                && methodOptions.igSteps() == null) {
            err.println("dtd evaluate: note: --steps " + steps + " is region perturbation's L; Integrated Gradients"
                    + " keeps its default steps (give --ig-steps for those)");
        }
        if (!threads(threads)) {
            err.println("dtd evaluate: note: this ND4J backend does not take --threads; it keeps its own thread count");
        }
        List<Subject> subjects = shipped ? shippedSubjects() : List.of(userSubject());
        Evaluation.Settings settings = new Evaluation.Settings(chosenMetrics, samples, seed == null ? 0 : seed,
                rules.options.dtype.precision, threads);
        // every metric is built (and its options checked against each model) before anything runs
        List<Evaluation> runs = new ArrayList<>();
        for (Subject s : subjects) {
            runs.add(new Evaluation(s, settings, metricsFor(s.graph(), shipped), chosen, methodOptions, rules.options,
                    !explicit));
        }
        int tasks = runs.stream().mapToInt(Evaluation::tasks).sum();
        Progress progress = new Progress(err, tasks);
        List<Evaluation.Report> reports = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Evaluation e : runs) {
            reports.add(e.run(progress, err));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Evaluation.writeTop(reports, out, json, subjects.size() > 1, seconds);
        for (Evaluation.Report r : reports) {
            stdout.print(r.markdown());
            stdout.println();
        }
        stdout.printf(Locale.ROOT, "wrote %s (%.1f s)%n", out.toAbsolutePath(), seconds);
        stdout.flush();
        return 0;
    }

    /**
     * Sets the OpenMP threads of ND4J's native operations for the calling thread, where the backend has them (its
     * CPU and CUDA builds do); does nothing elsewhere.
     *
     * @param n threads, &gt;= 1
     * @return whether the backend took it
     */
    static boolean threads(int n) {
        try {
            org.nd4j.linalg.factory.Nd4j.getExecutioner(); // the backend loads first
            Class<?> holder = Class.forName("org.nd4j.nativeblas.NativeOpsHolder");
            Object ops = holder.getMethod("getDeviceNativeOps").invoke(holder.getMethod("getInstance").invoke(null));
            Class.forName("org.nd4j.nativeblas.NativeOps").getMethod("setOmpNumThreads", int.class).invoke(ops, n);
            return true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return false;
        }
    }

    /** {@return the methods --method names (each once, in order), or every method that explains an input} */
    List<MethodRegistry.Entry> chosenMethods() {
        CommandLine cl = spec.commandLine();
        if (methods == null || methods.isEmpty()) {
            return MethodRegistry.ENTRIES.stream().filter(MethodRegistry.Entry::available)
                    .filter(e -> !e.name().equals(Evaluation.SYNTHESISES)).toList();
        }
        List<MethodRegistry.Entry> out;
        try {
            out = MethodRegistry.parse(String.join(",", methods));
        } catch (CliException e) {
            throw new CommandLine.ParameterException(cl, "--method: " + e.getMessage());
        }
        if (out.stream().anyMatch(e -> e.name().equals(Evaluation.SYNTHESISES))) {
            throw new CommandLine.ParameterException(cl, "--method activation-maximization: it synthesises an input"
                    + " rather than explaining one, so no metric of dtd evaluate applies to it");
        }
        return out;
    }

    /** Checks that every metric option given applies to a chosen metric, and the values, before any file is read. */
    void checkMetricOptions(List<Metric> chosen) {
        CommandLine cl = spec.commandLine();
        CommandLine.ParseResult pr = cl.getParseResult();
        for (Map.Entry<String, Set<Metric>> o : METRIC_OPTIONS.entrySet()) {
            if (pr.hasMatchedOption(o.getKey()) && chosen.stream().noneMatch(o.getValue()::contains)) {
                String hint = switch (o.getKey()) {
                    case "--steps" -> "; Integrated Gradients' steps are --ig-steps";
                    case "--seed" -> "; SmoothGrad's seed is --smoothgrad-seed";
                    default -> "";
                };
                throw new CommandLine.ParameterException(cl, o.getKey() + " does not apply to metric"
                        + (chosen.size() > 1 ? "s " : " ") + chosen.stream().map(Metric::toString)
                        .collect(Collectors.joining(", ")) + " (it is an option of " + o.getValue().stream()
                        .map(Metric::toString).collect(Collectors.joining(", ")) + ")" + hint);
            }
        }
        for (Object[] count : new Object[][]{{"--patch", patch}, {"--steps", steps},
                {"--selectivity-window", selectivityWindow}, {"--selectivity-steps", selectivitySteps},
                {"--shift", shift}}) {
            if (count[1] != null && (Integer) count[1] < 1) {
                throw new CommandLine.ParameterException(cl, count[0] + " must be >= 1, got " + count[1]
                        + (count[0].equals("--steps") ? " (region perturbation's L; Integrated Gradients' steps are"
                        + " --ig-steps)" : ""));
            }
        }
        if (value != null) {
            Replacement r = perturbation == null ? Replacement.CONSTANT : perturbation;
            if (r == Replacement.MEAN || r == Replacement.UNIFORM) {
                throw new CommandLine.ParameterException(cl, "--value applies to --perturbation constant (the value)"
                        + " and blur (sigma), not " + r);
            }
            if (!Double.isFinite(value) || (r == Replacement.BLUR && !(value > 0))) {
                throw new CommandLine.ParameterException(cl, "--value must be finite" + (r == Replacement.BLUR
                        ? " and > 0 (blur's sigma)" : "") + ", got " + value);
            }
        }
        if (sample != null) {
            MetricConverter c = new MetricConverter();
            for (Map.Entry<String, Integer> e : sample.entrySet()) {
                try {
                    c.convert(e.getKey());
                } catch (CommandLine.TypeConversionException ex) {
                    throw new CommandLine.ParameterException(cl, "--sample: " + ex.getMessage());
                }
                if (e.getValue() == null || e.getValue() < 1) {
                    throw new CommandLine.ParameterException(cl, "--sample " + e.getKey() + ": at least 1 image, got "
                            + e.getValue());
                }
            }
        }
        if (!dataset.equals("fashion-mnist") && !dataset.equals("mnist")) {
            throw new CommandLine.ParameterException(cl, "--dataset: expected fashion-mnist or mnist, got '" + dataset
                    + "'");
        }
        if (model != null && pr.hasMatchedOption("--dataset")) {
            throw new CommandLine.ParameterException(cl, "--dataset chooses the shipped models: not with --model");
        }
    }

    /** {@return the images per metric: --sample over the shipped run's sizes, or over every image} */
    Samples samples(boolean shipped) {
        Map<Metric, Integer> m = new EnumMap<>(Metric.class);
        if (shipped) {
            m.putAll(DEFAULT_SAMPLES);
        }
        if (sample != null) {
            MetricConverter c = new MetricConverter();
            sample.forEach((k, v) -> m.put(c.convert(k), v));
        }
        return new Samples(m);
    }

    /** The metrics' settings for one model (checked against its image size). */
    record Metrics(RegionPerturbation regionPerturbation, Selectivity selectivity, Continuity continuity,
                   Randomisation randomisation, Conservation conservation) {
    }

    /** {@return the metrics as the options set them, for a model; a value that does not fit it is a CliException} */
    Metrics metricsFor(Graph g, boolean shipped) {
        Precision p = rules.options.dtype.precision;
        long s = seed == null ? 0 : seed;
        Replacement r = perturbation == null ? Replacement.CONSTANT : perturbation;
        Perturbation pert = Perturbation.named(r.toString(), value == null ? (r == Replacement.BLUR ? 1 : 0) : value, s);
        RegionPerturbation rp = null;
        Selectivity sel = null;
        Continuity cont = null;
        Randomisation rand = null;
        Conservation cons = null;
        List<Metric> chosen = metrics == null || metrics.isEmpty() ? List.of(Metric.values()) : metrics;
        try {
            if (chosen.contains(Metric.REGION_PERTURBATION)) {
                rp = RegionPerturbation.of(g).withPrecision(p).withPerturbation(pert);
                Integer pp = patch != null ? patch : shipped ? Integer.valueOf(DEFAULT_PATCH) : null;
                Integer ll = steps != null ? steps : shipped ? Integer.valueOf(DEFAULT_STEPS) : null;
                if (pp != null) {
                    rp = rp.withPatch(pp);
                }
                if (ll != null) {
                    rp = rp.withSteps(ll);
                }
            }
        } catch (Dtd4jException e) {
            throw new CliException(e.getMessage() + (steps != null && e.getMessage().contains("steps")
                    ? " (--steps is region perturbation's L, the patches perturbed; Integrated Gradients' steps are"
                    + " --ig-steps)" : ""));
        }
        try {
            if (chosen.contains(Metric.SELECTIVITY)) {
                sel = Selectivity.of(g).withPrecision(p).withPerturbation(pert);
                if (selectivityWindow != null) {
                    sel = sel.withPatch(selectivityWindow);
                }
                Integer ll = selectivitySteps != null ? selectivitySteps
                        : shipped ? Integer.valueOf(DEFAULT_SELECTIVITY_STEPS) : null;
                if (ll != null) {
                    sel = sel.withSteps(ll);
                }
            }
            if (chosen.contains(Metric.CONTINUITY)) {
                cont = Continuity.of(g).withPrecision(p);
                if (shift != null) {
                    cont = cont.withTranslations(shift);
                }
            }
            if (chosen.contains(Metric.RANDOMISATION)) {
                rand = Randomisation.of(g).withPrecision(p).withSeed(s);
            }
            if (chosen.contains(Metric.CONSERVATION)) {
                cons = Conservation.of(g).withPrecision(p);
            }
        } catch (Dtd4jException e) {
            throw new CliException(e.getMessage());
        }
        return new Metrics(rp, sel, cont, rand, cons);
    }

    private Subject userSubject() {
        Graph g = ModelFiles.load(model);
        Shape in = g.inputShape();
        if (in.rank() != 3) {
            throw new CliException("dtd evaluate needs a model of images [C,H,W]; " + model + " takes "
                    + in.toBatchString());
        }
        Inputs.Batch b = Inputs.batch(input, preprocess, (int) in.dim(0));
        long[] chw = {b.x().size(1), b.x().size(2), b.x().size(3)};
        if (chw[0] != in.dim(0) || chw[1] != in.dim(1) || chw[2] != in.dim(2)) {
            throw new CliException(input + ": the images are " + chw[0] + "x" + chw[1] + "x" + chw[2]
                    + (b.pictures() ? " after --preprocess " + preprocess.name().toLowerCase(Locale.ROOT) : "")
                    + ", the model takes " + in.dim(0) + "x" + in.dim(1) + "x" + in.dim(2) + " (channels x height x"
                    + " width)" + (b.pictures() && preprocess == Images.Preprocess.IMAGENET
                    ? "; --preprocess unit keeps pictures at their own size" : ""));
        }
        // LRP's z^B box: the preprocessing's for pictures, --low/--high for tensors (as dtd explain)
        return new Subject(Inputs.stem(model), model.toString(), input + " (" + b.x().size(0) + " images)", g, b.x(),
                b.pictures() ? Inputs.bounds(preprocess) : null, out, List.of());
    }

    private List<Subject> shippedSubjects() {
        INDArray x = Npy.read(resource(SHIPPED_SAMPLE), "models/" + dataset + "/" + SHIPPED_SAMPLE, -1);
        List<String> classes = Evaluation.classes(resourceOrNull("sample.json"));
        List<Subject> out = new ArrayList<>();
        for (String m : SHIPPED_MODELS) {
            Graph g;
            try (InputStream in = resource(m + ".onnx")) {
                g = OnnxModels.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("models/" + dataset + "/" + m + ".onnx: cannot read", e);
            }
            out.add(new Subject(m, "models/" + dataset + "/" + m + ".onnx (shipped)", "models/" + dataset + "/"
                    + SHIPPED_SAMPLE + " (shipped, " + x.size(0) + " images)", g, x, new double[][]{{0}, {1}},
                    this.out.resolve(m), classes));
        }
        return out;
    }

    private InputStream resource(String name) {
        InputStream in = resourceOrNull(name);
        if (in == null) {
            throw new CliException("this build has no shipped models/" + dataset + "/" + name
                    + "; give --model and --input");
        }
        return in;
    }

    private InputStream resourceOrNull(String name) {
        if (shippedDir != null) {
            Path p = shippedDir.resolve(dataset).resolve(name);
            try {
                return Files.isRegularFile(p) ? Files.newInputStream(p) : null;
            } catch (IOException e) {
                throw new UncheckedIOException(p + ": cannot read", e);
            }
        }
        return EvaluateCommand.class.getResourceAsStream(SHIPPED + dataset + "/" + name);
    }
}
