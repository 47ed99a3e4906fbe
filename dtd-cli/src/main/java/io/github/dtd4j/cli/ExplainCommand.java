package io.github.dtd4j.cli;

import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd explain}: heatmaps and relevance tensors for inputs, by any method of {@link MethodRegistry}. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain a model's decision on an input: write the attribution (.npy) or a heatmap (.png).",
                "Methods: lrp (default; the rule options below), gradient, sensitivity, gradient-input,"
                        + " integrated-gradients, smoothgrad, guided-backprop, deconvnet, cam, grad-cam, grad-cam-pp,"
                        + " guided-grad-cam, deeplift, occlusion, taylor, activation-maximization, crp"
                        + " (docs/methods.md). An option of another method than the chosen one is an error."})
final class ExplainCommand implements Callable<Integer> {
    /** {@code --engine auto} runs on ONNX Runtime from this many inputs on (below, the ND4J engine is faster overall). */
    static final int AUTO_MIN_INPUTS = 64;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "lrp",
            description = "the explanation method (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--input-shape", paramLabel = "C,H,W",
            description = "the per-sample input shape of a DL4J model zip (DL4J does not keep it for images)")
    String inputShape;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = ".npy tensor (batch included), .png/.jpg image, or a directory of images")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = ".npy (input relevance), .png (heatmap), or a directory (one .png and .npy per input)")
    Path out;

    @Mixin
    Preprocessing preprocessing;

    @Option(names = "--target", paramLabel = "top|N|top-k:K|FILE", defaultValue = "top",
            description = "class to explain: top (default), a class index, the K top classes each (outputs NAME.topJ),"
                    + " or a file of 'image,class' lines (the image's name relative to --input)")
    String target;

    @Option(names = "--contrast", paramLabel = "A,B", description = "lrp: explain class A against class B: the"
            + " relevance starts as +logit at A and -logit at B, so the heatmap explains f_A - f_B")
    String contrast;

    @Option(names = "--ledger", paramLabel = "PATH.json", description = "lrp: write the per-layer ledger as JSON")
    Path ledger;

    @Option(names = "--logits-out", paramLabel = "PATH.npy", description = "write the logits")
    Path logitsOut;

    @Option(names = "--labels", paramLabel = "imagenet|FILE", description = "class names for the output")
    String labels;

    /** {@link ColorMap} as {@code --colormap} spells it. */
    enum Colors {
        RED_BLUE(ColorMap.RED_BLUE), WHITE_RED(ColorMap.WHITE_RED), VIRIDIS(ColorMap.VIRIDIS), COOLWARM(ColorMap.COOLWARM);

        final ColorMap map;

        Colors(ColorMap map) {
            this.map = map;
        }

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    @Option(names = "--colormap", paramLabel = "MAP", defaultValue = "red-blue",
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    Colors colormap;

    @Option(names = "--scale", paramLabel = "max|pNN", defaultValue = "max",
            description = "heatmap scaling: max |R| (default) or a percentile, e.g. p99.5")
    String scale;

    @Option(names = "--overlay", paramLabel = "ALPHA",
            description = "for image inputs: also blend the heatmap over the input (weight ALPHA in [0,1]) as a third panel")
    Double overlay;

    @Option(names = "--blur", paramLabel = "SIGMA", defaultValue = "0",
            description = "for pictures: smooth the heatmap by a Gaussian of SIGMA pixels (display only; .npy keeps the"
                    + " attribution as computed)")
    double blur;

    @Option(names = "--contour", description = "for pictures: draw contour lines of the relevance at 25, 50 and 75 %"
            + " of the scale over the overlay (or the picture)")
    boolean contour;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Option(names = "--recursive", description = "with a directory input: also the images in its subdirectories (the"
            + " outputs mirror them)")
    boolean recursive;

    @Option(names = "--fail-fast", description = "with a directory input: stop at the first input that fails (default:"
            + " explain the others, report every failure at the end and exit with 1)")
    boolean failFast;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
            description = "with a directory input: explain B images at once, in one batch through the model (images of"
                    + " one size; default ${DEFAULT-VALUE})")
    int batch;

    @Mixin
    RuleOptionsMixin rules;

    @ArgGroup(exclusive = false, heading = "Options of the other methods:%n")
    MethodOptions.WithShortNames methodOptions = new MethodOptions.WithShortNames();

    @Override
    public Integer call() {
        MethodRegistry.Entry entry = MethodRegistry.find(method).orElseThrow(() -> new CommandLine.ParameterException(
                spec.commandLine(), "--method: unknown method '" + method + "'; known: "
                + String.join(", ", MethodRegistry.names())));
        MethodRegistry.check(spec, List.of(entry), methodOptions);
        // every option is checked before the model is read or anything is written
        boolean dirInput = Files.isDirectory(input);
        Heatmaps.Scale heatScale = parseScale(scale);
        if (overlay != null && !(overlay >= 0 && overlay <= 1)) {
            throw new CliException("--overlay: ALPHA must be in [0,1], got " + overlay);
        }
        if (!(blur >= 0 && blur <= 100)) {
            throw new CliException("--blur: SIGMA must be in [0,100] pixels, got " + blur);
        }
        String outName = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean outIsFile = outName.endsWith(".npy") || outName.endsWith(".png");
        if (dirInput && outIsFile) {
            throw new CliException("--out: the input is a directory, so --out must be a directory, got " + out);
        }
        if (!dirInput && !outIsFile && !Files.isDirectory(out) && outName.indexOf('.') >= 0) {
            throw new CliException("--out: expected a .npy file, a .png file or a directory, got " + out);
        }
        if (!dirInput && !Files.exists(input)) {
            throw new CliException(input + ": no such input file");
        }
        if ((recursive || failFast) && !dirInput) {
            throw new CliException((recursive ? "--recursive" : "--fail-fast") + " needs a directory --input");
        }
        if (batch < 1) {
            throw new CliException("--batch: expected at least 1, got " + batch);
        }
        if (batch > 1 && !dirInput) {
            throw new CliException("--batch needs a directory --input");
        }
        Preprocessing pre = preprocessing;
        pre.validate();
        RuleOptions r = rules.options;
        boolean npyInput = input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
        r.defaultBounds = pre.bounds(npyInput);
        if (overlay != null && npyInput) {
            throw new CliException("--overlay needs an image input (.png/.jpg)");
        }
        Targets targets = Targets.parse(target);
        int[] versus = contrast == null ? null : contrast(contrast);
        if (versus != null && (!entry.name().equals("lrp") || !target.equalsIgnoreCase("top"))) {
            throw new CliException("--contrast: only with --method lrp and without --target");
        }
        if (batch > 1 && (versus != null || targets.runs() > 1)) {
            throw new CliException("--batch: not with " + (versus != null ? "--contrast" : "--target top-k")
                    + ", which explain each input in several runs");
        }
        List<String> names = Labels.load(labels);
        PrintWriter stderr = spec.commandLine().getErr();
        List<Path> files = dirInput ? Inputs.images(input, recursive, stderr) : List.of(input);
        if (r.engine == RuleOptions.Engine.AUTO && files.size() < AUTO_MIN_INPUTS) {
            // few inputs: compiling the explanation and opening ONNX Runtime's session cost more than they save
            // (VGG16-BN from ONNX: one picture 9.6 s and 3.8 GB on ONNX Runtime against 3.9 s and 1.5 GB on ND4J,
            // eight pictures 14.1 s against 11.1 s, 32 pictures 28.7 s against 28.2 s; docs/compiled-engine.md)
            r.engine = RuleOptions.Engine.ND4J;
        }
        Graph graph = ModelFiles.load(model, inputShape);
        Labels.check(names, graph, labels);
        Attribution attribution = entry.make(new MethodRegistry.Context(graph, methodOptions, r));
        // --contrast reads each input's logits first: one explainer for the whole run, not one per input
        io.github.dtd4j.Explainer logitsOf = versus == null ? null : r.explainer(graph);
        boolean dirOut = dirInput || Files.isDirectory(out) || outName.indexOf('.') < 0;
        Map<Path, Path> outputs = dirOut ? Outputs.names(files, dirInput ? input : null, out) : Map.of();
        try {
            if (dirOut) {
                Files.createDirectories(out);
            } else if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot create", e);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        Progress progress = new Progress(stderr, files.size());
        List<String> ledgers = new ArrayList<>();
        List<Outputs.Row> rows = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Batch ready = new Batch();
        for (int k = 0; k < files.size(); k++) {
            Path f = files.get(k);
            if (batch > 1 && k % batch == 0) {
                ready.prepare(files.subList(k, Math.min(files.size(), k + batch)), attribution, targets, graph);
            }
            long t0 = System.nanoTime();
            String shown = dirInput ? input.relativize(f).toString() : f.getFileName().toString();
            try {
                Inputs.Input in = ready.input(f).orElseGet(() -> Inputs.read(f, pre, graph.inputShape()));
                double[] logitsOfTop = null;
                for (int job = 0; job < targets.runs(); job++) {
                    String suffix = targets.runs() > 1 ? ".top" + (job + 1) : "";
                    Start start = versus == null ? targets.start(job, shown, logitsOfTop)
                            : contrastStart(logitsOf.forward(in.tensor()), versus);
                    Attributions batched = ready.explained(f);
                    try (Attributions a = batched != null ? batched : attribution.attribute(in.tensor(), start)) {
                        if (job == 0 && targets.runs() > 1) {
                            logitsOfTop = a.logits().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup()
                                    .data().asDouble();
                            targets.rememberWidth(a.logits().size(1));
                        }
                        int[] t = a.targets();
                        double[] sums = sums(a);
                        double[] delta = a.convergenceDelta().orElse(null);
                        double seconds = batched != null ? ready.seconds(f) : (System.nanoTime() - t0) / 1e9;
                        String who = (dirInput ? shown : in.name()) + suffix;
                        if (versus != null) {
                            t = new int[t.length];
                            java.util.Arrays.fill(t, versus[0]);
                        }
                        for (int i = 0; i < t.length; i++) {
                            String label = versus == null ? Labels.name(names, t[i]) : versusLabel(names, versus);
                            if (versus != null) {
                                double diff = a.logits().getDouble(i, versus[0]) - a.logits().getDouble(i, versus[1]);
                                stdout.printf(Locale.ROOT, "%s%s: class %d against %d%s, logit difference %.6g, sum of "
                                        + "relevance %.6g%n", who, t.length > 1 ? "[" + i + "]" : "", versus[0],
                                        versus[1], label == null ? "" : " (" + label + ")", diff, sums[i]);
                                rows.add(new Outputs.Row(shown + (t.length > 1 ? "[" + i + "]" : ""), versus[0],
                                        label, diff, sums[i], seconds, null));
                                continue;
                            }
                            stdout.printf(Locale.ROOT, "%s%s: class %d%s, logit %.6g, sum of %s %.6g%s%n", who,
                                    t.length > 1 ? "[" + i + "]" : "", t[i], label == null ? "" : " (" + label + ")",
                                    a.logits().getDouble(i, t[i]), a.ledger().isPresent() ? "relevance" : "attribution",
                                    sums[i], delta == null ? "" : String.format(Locale.ROOT,
                                            ", convergence delta %.3g", delta[i]));
                            rows.add(new Outputs.Row(shown + suffix + (t.length > 1 ? "[" + i + "]" : ""), t[i],
                                    label, a.logits().getDouble(i, t[i]), sums[i], seconds, null));
                        }
                        String title = t.length != 1 ? null : versus != null
                                ? String.format(Locale.ROOT, "%s: class %d against %d, logit difference %.4g", who,
                                        versus[0], versus[1], a.logits().getDouble(0, versus[0])
                                                - a.logits().getDouble(0, versus[1]))
                                : String.format(Locale.ROOT, "%s: class %d%s, logit %.4g", who, t[0],
                                        Labels.name(names, t[0]) == null ? "" : " (" + Labels.name(names, t[0]) + ")",
                                        a.logits().getDouble(0, t[0]));
                        Path base = dirOut ? Outputs.sibling(outputs.get(f), suffix) : null;
                        write(a.attribution(), in, base, heatScale, title, suffix);
                        a.ledger().ifPresent(l -> ledgers.add(l.toJson()));
                        if (logitsOut != null && job == 0) {
                            Path lp = dirOut ? Outputs.sibling(outputs.get(f), ".logits.npy") : logitsOut;
                            Outputs.atomically(lp, p -> Npy.write(a.logits(), p));
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (!dirInput) {
                    throw e;
                }
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines()
                        .findFirst().orElse("");
                failures.add(shown + ": " + why);
                rows.add(new Outputs.Row(shown, -1, null, Double.NaN, Double.NaN, (System.nanoTime() - t0) / 1e9,
                        why));
                stderr.println(shown + ": failed: " + why);
                if (failFast) {
                    Outputs.summaries(out, rows);
                    throw new CliException(shown + ": " + why + " (--fail-fast: stopped; "
                            + out.resolve("summary.csv") + " lists what was done)");
                }
            }
            progress.step(shown);
        }
        if (dirOut) {
            Outputs.summaries(out, rows);
        }
        if (ledger != null) {
            Outputs.atomically(ledger, p -> {
                try {
                    Files.writeString(p, ledgers.isEmpty() ? "[]\n" : Json.pretty(Json.oneOrArray(ledgers)));
                } catch (IOException e) {
                    throw new UncheckedIOException(ledger + ": cannot write", e);
                }
            });
        }
        stdout.flush();
        if (!failures.isEmpty()) {
            stderr.println(failures.size() + " of " + files.size() + " inputs failed:");
            failures.forEach(m -> stderr.println("  " + m));
            stderr.flush();
            return 1;
        }
        return 0;
    }

    /**
     * The inputs of one {@code --batch}: read ahead, explained together (those of one size, one element each), and
     * handed out one by one as if explained alone; an input that cannot be read, or a batch that fails, fails for
     * its inputs only.
     */
    private final class Batch {
        private final Map<Path, Object> read = new java.util.HashMap<>();
        private final Map<Path, Attributions> explained = new java.util.HashMap<>();
        private final Map<Path, Double> seconds = new java.util.HashMap<>();

        void prepare(List<Path> chunk, Attribution attribution, Targets targets, Graph graph) {
            read.clear();
            explained.values().forEach(Attributions::close);
            explained.clear();
            seconds.clear();
            Map<List<Long>, List<Path>> bySize = new java.util.LinkedHashMap<>();
            for (Path f : chunk) {
                try {
                    Inputs.Input in = Inputs.read(f, preprocessing, graph.inputShape());
                    read.put(f, in);
                    if (in.tensor().rank() > 0 && in.tensor().size(0) == 1) {
                        bySize.computeIfAbsent(java.util.Arrays.stream(in.tensor().shape()).boxed().toList(),
                                s -> new ArrayList<>()).add(f);
                    }
                } catch (RuntimeException e) {
                    read.put(f, e);
                }
            }
            for (List<Path> group : bySize.values()) {
                long t0 = System.nanoTime();
                try {
                    INDArray x = Nd4j.concat(0, group.stream().map(f -> ((Inputs.Input) read.get(f)).tensor())
                            .toArray(INDArray[]::new));
                    Start start = targets.start(group.stream().map(f -> input.relativize(f).toString()).toList());
                    try (Attributions a = attribution.attribute(x, start)) {
                        double each = (System.nanoTime() - t0) / 1e9 / group.size();
                        for (int i = 0; i < group.size(); i++) {
                            explained.put(group.get(i), Batches.element(a, i));
                            seconds.put(group.get(i), each);
                        }
                    }
                } catch (RuntimeException e) {
                    group.forEach(f -> read.put(f, e));
                }
            }
        }

        /** {@return the input as read ahead, if it was}; rethrows what reading it (or its batch) threw */
        java.util.Optional<Inputs.Input> input(Path f) {
            Object o = read.get(f);
            if (o instanceof RuntimeException e) {
                throw e;
            }
            return java.util.Optional.ofNullable((Inputs.Input) o);
        }

        /** {@return the input's explanation from its batch, handed over once, or null} */
        Attributions explained(Path f) {
            return explained.remove(f);
        }

        double seconds(Path f) {
            return seconds.get(f);
        }
    }

    /** {@return the two classes of --contrast A,B} @param spec "A,B" */
    static int[] contrast(String spec) {
        String[] parts = spec.split(",");
        try {
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0].strip());
                int b = Integer.parseInt(parts[1].strip());
                if (a >= 0 && b >= 0 && a != b) {
                    return new int[]{a, b};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CliException("--contrast: expected two different class indices A,B, got '" + spec + "'");
    }

    /** {@return the relevance to start from: +f_A at A and −f_B at B for every element} */
    private static Start contrastStart(INDArray logits, int[] versus) {
        if (versus[0] >= logits.size(1) || versus[1] >= logits.size(1)) {
            throw new CliException("--contrast: the model has " + logits.size(1) + " classes, got "
                    + versus[0] + "," + versus[1]);
        }
        INDArray r = Nd4j.zeros(logits.dataType(), logits.shape());
        for (int i = 0; i < logits.size(0); i++) {
            r.putScalar(i, versus[0], logits.getDouble(i, versus[0]));
            r.putScalar(i, versus[1], -logits.getDouble(i, versus[1]));
        }
        return Start.relevance(r);
    }

    private static String versusLabel(List<String> names, int[] versus) {
        String a = Labels.name(names, versus[0]);
        String b = Labels.name(names, versus[1]);
        return a == null || b == null ? null : a + " against " + b;
    }

    /** {@return the heatmap scaling --scale names} @param scale max or pNN */
    static Heatmaps.Scale parseScale(String scale) {
        if (scale.equalsIgnoreCase("max")) {
            return Heatmaps.Scale.maxAbs();
        }
        if (scale.toLowerCase(Locale.ROOT).startsWith("p")) {
            try {
                double q = Double.parseDouble(scale.substring(1));
                if (q > 0 && q <= 100) {
                    return Heatmaps.Scale.percentile(q);
                }
            } catch (NumberFormatException ex) {
                // reported below
            }
        }
        throw new CliException("--scale: expected max or pNN with 0 < NN <= 100, got '" + scale + "'");
    }

    /** {@return the start --target means} @param target top or a class index */
    static Start start(String target) {
        if (target.equalsIgnoreCase("top")) {
            return Start.topClass();
        }
        try {
            return Start.classes(Integer.parseInt(target.trim()));
        } catch (NumberFormatException e) {
            throw new CliException("--target: expected top or a class index, got '" + target + "'");
        }
    }

    /** {@return per batch element, the sum of the attribution: LRP's from its ledger, as before} */
    private static double[] sums(Attributions a) {
        if (a.ledger().isPresent()) {
            return a.ledger().get().inputSums();
        }
        INDArray r = a.attribution();
        return r.reshape('c', r.size(0), r.length() / r.size(0)).sum(1).toDoubleVector();
    }

    /** Writes the attribution: to {@code base}.npy and .png in directory mode, else to --out. */
    private void write(INDArray r, Inputs.Input in, Path base, Heatmaps.Scale heatScale, String title,
                       String suffix) {
        if (base != null) {
            Outputs.atomically(Outputs.sibling(base, ".npy"), p -> Npy.write(r, p));
            if (r.rank() == 4) {
                BufferedImage img = picture(r, in, heatScale, title);
                Outputs.atomically(Outputs.sibling(base, ".png"), p -> Heatmaps.writePng(img, p));
            }
            return;
        }
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        Path file = suffix.isEmpty() ? out : out.resolveSibling(out.getFileName().toString()
                .replaceFirst("(\\.[^.]*)$", suffix + "$1"));
        if (n.endsWith(".npy")) {
            Outputs.atomically(file, p -> Npy.write(r, p));
        } else {
            BufferedImage img = picture(r, in, heatScale, title);
            Outputs.atomically(file, p -> Heatmaps.writePng(img, p));
        }
    }

    private BufferedImage picture(INDArray r, Inputs.Input in, Heatmaps.Scale s, String title) {
        return Pictures.explanation(r, in.picture(), new Pictures.Style(colormap.map, s, overlay, blur, contour), title);
    }

}
