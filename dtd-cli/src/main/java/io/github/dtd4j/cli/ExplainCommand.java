package io.github.dtd4j.cli;

import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
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
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "lrp",
            description = "the explanation method (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = ".npy tensor (batch included), .png/.jpg image, or a directory of images")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = ".npy (input relevance), .png (heatmap), or a directory (one .png and .npy per input)")
    Path out;

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "imagenet",
            description = "for images: ${COMPLETION-CANDIDATES} (case-insensitive; default imagenet: resize 256, crop 224,"
                    + " ImageNet mean/std; unit: /255; none: raw 0-255)")
    Images.Preprocess preprocess;

    @Option(names = "--target", paramLabel = "top|N", defaultValue = "top", description = "class to explain (default top)")
    String target;

    @Option(names = "--ledger", paramLabel = "PATH.json", description = "lrp: write the per-layer ledger as JSON")
    Path ledger;

    @Option(names = "--logits-out", paramLabel = "PATH.npy", description = "write the logits")
    Path logitsOut;

    @Option(names = "--labels", paramLabel = "imagenet|FILE", description = "class names for the output")
    String labels;

    /** {@link ColorMap} as {@code --colormap} spells it. */
    enum Colors {
        RED_BLUE(ColorMap.RED_BLUE), WHITE_RED(ColorMap.WHITE_RED);

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

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

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
        Images.Preprocess pre = preprocess;
        RuleOptions r = rules.options;
        r.defaultBounds = Inputs.bounds(pre);
        boolean npyInput = input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
        if (npyInput) {
            r.defaultBounds = null;
        }
        Start start = start(target);
        Graph graph = ModelFiles.load(model);
        Attribution attribution = entry.make(new MethodRegistry.Context(graph, methodOptions, r));
        List<String> names = Labels.load(labels);
        List<Path> files = Files.isDirectory(input) ? Inputs.images(input) : List.of(input);
        boolean dirOut = files.size() > 1 || Files.isDirectory(out) || out.getFileName().toString().indexOf('.') < 0;
        if (files.size() > 1 && !dirOut) {
            throw new CliException("--out must be a directory when --input is a directory");
        }
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
        Progress progress = new Progress(spec.commandLine().getErr(), files.size());
        List<String> ledgers = new ArrayList<>();
        for (Path f : files) {
            Inputs.Input in = Inputs.read(f, pre);
            try (Attributions a = attribution.attribute(in.tensor(), start)) {
                int[] t = a.targets();
                double[] sums = sums(a);
                double[] delta = a.convergenceDelta().orElse(null);
                for (int i = 0; i < t.length; i++) {
                    stdout.printf(Locale.ROOT, "%s%s: class %d (%s), logit %.6g, sum of %s %.6g%s%n", in.name(),
                            t.length > 1 ? "[" + i + "]" : "", t[i], Labels.name(names, t[i]),
                            a.logits().getDouble(i, t[i]), a.ledger().isPresent() ? "relevance" : "attribution",
                            sums[i], delta == null ? "" : String.format(Locale.ROOT, ", convergence delta %.3g", delta[i]));
                }
                write(a.attribution(), in, dirOut);
                a.ledger().ifPresent(l -> ledgers.add(l.toJson()));
                if (logitsOut != null) {
                    Npy.write(a.logits(), dirOut ? out.resolve(in.name() + ".logits.npy") : logitsOut);
                }
            }
            progress.step(in.name());
        }
        if (ledger != null) {
            try {
                Files.writeString(ledger, Json.pretty(Json.oneOrArray(ledgers)));
            } catch (IOException e) {
                throw new UncheckedIOException(ledger + ": cannot write", e);
            }
        }
        stdout.flush();
        return 0;
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

    private void write(INDArray r, Inputs.Input in, boolean dirOut) {
        if (dirOut) {
            Npy.write(r, out.resolve(in.name() + ".npy"));
            Heatmaps.writePng(picture(r, in), out.resolve(in.name() + ".png"));
            return;
        }
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".npy")) {
            Npy.write(r, out);
        } else if (n.endsWith(".png")) {
            Heatmaps.writePng(picture(r, in), out);
        } else {
            throw new CliException("--out: expected a .npy file, a .png file or a directory, got " + out);
        }
    }

    private BufferedImage picture(INDArray r, Inputs.Input in) {
        if (r.rank() != 4) {
            throw new CliException("a .png heatmap needs image inputs [N,C,H,W]; this model's input is "
                    + io.github.dtd4j.graph.Shape.format(r.shape()) + " (write .npy instead)");
        }
        ColorMap map = colormap.map;
        Heatmaps.Scale s;
        if (scale.equalsIgnoreCase("max")) {
            s = Heatmaps.Scale.maxAbs();
        } else if (scale.toLowerCase(Locale.ROOT).startsWith("p")) {
            try {
                s = Heatmaps.Scale.percentile(Double.parseDouble(scale.substring(1)));
            } catch (NumberFormatException ex) {
                throw new CliException("--scale: expected max or pNN, got '" + scale + "'");
            }
        } else {
            throw new CliException("--scale: expected max or pNN, got '" + scale + "'");
        }
        List<BufferedImage> panels = new ArrayList<>();
        long n = r.size(0);
        for (int i = 0; i < n; i++) {
            BufferedImage heat = Heatmaps.render(r.slice(i).reshape(1, r.size(1), r.size(2), r.size(3)), map, s);
            if (in.picture() != null && n == 1) {
                panels.add(in.picture());
            }
            panels.add(heat);
            if (overlay != null) {
                if (!(overlay >= 0 && overlay <= 1)) {
                    throw new CliException("--overlay: ALPHA must be in [0,1], got " + overlay);
                }
                if (in.picture() == null || n != 1) {
                    throw new CliException("--overlay needs an image input (.png/.jpg)");
                }
                panels.add(Heatmaps.overlay(in.picture(), heat, overlay));
            }
        }
        return panels.size() == 1 ? panels.get(0) : Heatmaps.panels(panels);
    }
}
