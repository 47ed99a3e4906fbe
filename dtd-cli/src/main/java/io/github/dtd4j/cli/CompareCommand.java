package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.paper.PaperDemo;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd compare}: one figure with a row of heatmaps per method, and each method's time. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Explain the same inputs by several methods and draw one figure: the inputs, then one row of"
                + " heatmaps per method (red positive, blue negative, each scaled by its own max |R|), labelled with the"
                + " method's settings. Without --model and --input: the paper's MNIST network and the pairs of its"
                + " Fig. 5, shipped with dtd4j.",
                "Each method's options are those of dtd explain; an option no chosen method reads is an error."})
final class CompareCommand implements Callable<Integer> {
    /** The picture shape of the shipped MNIST network's flat input: 28×56 pixels, row by row. */
    static final int[] MNIST_PICTURE = {28, 56};

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "PATH",
            description = ".onnx, DL4J model .zip or Keras .h5 (default: the paper's MNIST network)")
    Path model;

    @Option(names = "--input", paramLabel = "PATH",
            description = ".npy tensor [N,C,H,W] (one column per element) or a .png/.jpg image; needs --model")
    Path input;

    @Option(names = "--methods", paramLabel = "M,M,...",
            description = "the methods, one row each, in this order (default lrp, sensitivity, gradient, gradient-input,"
                    + " integrated-gradients, smoothgrad, guided-backprop, deconvnet)")
    String methods;

    @Option(names = "--out", paramLabel = "PATH.png", defaultValue = "compare.png",
            description = "the figure (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--json", paramLabel = "PATH.json", description = "also write each method's settings and time")
    Path json;

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "imagenet",
            description = "for an image: ${COMPLETION-CANDIDATES} (default imagenet, as dtd explain)")
    Images.Preprocess preprocess;

    @Option(names = "--target", paramLabel = "top|N", defaultValue = "top", description = "class to explain (default top)")
    String target;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Mixin
    RuleOptionsMixin rules;

    @ArgGroup(exclusive = false, heading = "Options of the other methods (as dtd explain):%n")
    MethodOptions.WithShortNames methodOptions = new MethodOptions.WithShortNames();

    /** What is compared: the model, its input batch, a picture of each element and the pictures' size. */
    record Subject(String model, String input, Graph graph, INDArray x, List<BufferedImage> pictures, int height,
                   int width) {
    }

    @Override
    public Integer call() {
        List<MethodRegistry.Entry> chosen;
        try {
            chosen = methods == null ? MethodRegistry.DEFAULT_COMPARISON.stream()
                    .map(n -> MethodRegistry.find(n).orElseThrow()).toList() : MethodRegistry.parse(methods);
        } catch (CliException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--methods: " + e.getMessage());
        }
        MethodRegistry.check(spec, chosen, methodOptions);
        if ((model == null) != (input == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --model and --input together (without"
                    + " both: the shipped MNIST network and the pairs of the paper's Fig. 5)");
        }
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out: expected a .png file, got " + out);
        }
        Start start = ExplainCommand.start(target);
        Subject s = subject();
        PrintWriter stdout = spec.commandLine().getOut();
        Progress progress = new Progress(spec.commandLine().getErr(), chosen.size());
        List<ComparePanel.Row> rows = new ArrayList<>();
        ArrayNode timings = Json.object().arrayNode();
        List<String> headers = null;
        for (MethodRegistry.Entry e : chosen) {
            Attribution a = e.make(new MethodRegistry.Context(s.graph(), methodOptions, rules.options));
            // one untimed call on the first element: the first call compiles the method's sweep
            a.attribute(s.x().get(NDArrayIndex.interval(0, 1)), start).close();
            long t0 = System.nanoTime();
            try (Attributions r = a.attribute(s.x(), start)) {
                double ms = (System.nanoTime() - t0) / 1e6;
                rows.add(new ComparePanel.Row(a.name(), a.settings(), maps(r.attribution(), s)));
                if (headers == null) {
                    headers = headers(r);
                }
                ObjectNode t = timings.addObject();
                t.put("method", a.name());
                t.put("settings", a.settings());
                t.put("ms", Json.fixed(ms, 3));
                t.put("ms_per_input", Json.fixed(ms / s.x().size(0), 3));
                ArrayNode targets = t.putArray("targets");
                for (int c : r.targets()) {
                    targets.add(c);
                }
                r.convergenceDelta().ifPresent(d -> {
                    ArrayNode deltas = t.putArray("convergence_delta");
                    for (double v : d) {
                        deltas.add(Json.fixed(v, 6));
                    }
                });
                stdout.printf(Locale.ROOT, "%-24s %10.1f ms  %s%n", a.name(), ms, a.settings());
            }
            progress.step(a.name());
        }
        write(ComparePanel.render(headers, s.pictures(), rows,
                "red: positive, blue: negative; each heatmap scaled by its own max |R|; model: " + s.model()), out);
        if (json != null) {
            ObjectNode j = Json.object();
            j.put("model", s.model());
            j.put("input", s.input());
            j.put("inputs", s.x().size(0));
            j.put("timing", "wall-clock ms of one call on the whole batch, after one untimed call on its first element");
            j.set("methods", timings);
            try {
                createParent(json);
                Files.writeString(json, Json.pretty(j));
            } catch (IOException e) {
                throw new UncheckedIOException(json + ": cannot write", e);
            }
        }
        stdout.printf(Locale.ROOT, "wrote %s%s%n", out, json == null ? "" : " and " + json);
        stdout.flush();
        return 0;
    }

    private Subject subject() {
        RuleOptions r = rules.options;
        if (r.engine == RuleOptions.Engine.AUTO) {
            // one input, each method once: ONNX Runtime's compile and session would cost more than they save
            r.engine = RuleOptions.Engine.ND4J;
        }
        if (model == null) {
            r.defaultBounds = new double[][]{{-0.5}, {1.5}};
            INDArray x = PaperDemo.fig5Inputs();
            INDArray seen = x.reshape('c', x.size(0), 1, MNIST_PICTURE[0], MNIST_PICTURE[1]);
            return new Subject("the paper's MNIST network (shipped)", "the 12 pairs of the paper's Fig. 5",
                    PaperDemo.shippedGraph(), x, pictures(seen), MNIST_PICTURE[0], MNIST_PICTURE[1]);
        }
        Inputs.Input in = Inputs.read(input, preprocess);
        boolean npy = in.picture() == null;
        r.defaultBounds = npy ? null : Inputs.bounds(preprocess);
        INDArray x = in.tensor();
        if (x.rank() != 4) {
            throw new CliException("dtd compare draws pictures: the input must be images [N,C,H,W], got "
                    + Shape.format(x.shape()));
        }
        Graph g = ModelFiles.load(model);
        List<BufferedImage> pics = npy ? pictures(x) : List.of(in.picture());
        return new Subject(model.toString(), input.toString(), g, x, pics, (int) x.size(2), (int) x.size(3));
    }

    /** {@return each element of {@code [N,C,H,W]} as a picture: grey (one channel) or RGB, scaled to its range} */
    static List<BufferedImage> pictures(INDArray x) {
        List<BufferedImage> out = new ArrayList<>();
        int c = (int) x.size(1);
        int h = (int) x.size(2);
        int w = (int) x.size(3);
        for (int i = 0; i < x.size(0); i++) {
            INDArray e = x.get(NDArrayIndex.point(i)).castTo(DataType.DOUBLE);
            double lo = e.minNumber().doubleValue();
            double span = Math.max(1e-12, e.maxNumber().doubleValue() - lo);
            double[] v = e.reshape('c', new long[]{e.length()}).toDoubleVector();
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    int rgb = 0;
                    for (int k = 0; k < 3; k++) {
                        int ch = c == 3 ? k : 0;
                        double value = c == 3 || c == 1 ? v[(ch * h + y) * w + xx] : mean(v, c, h, w, y, xx);
                        rgb = rgb << 8 | (int) Math.round(255 * (value - lo) / span);
                    }
                    img.setRGB(xx, y, rgb);
                }
            }
            out.add(img);
        }
        return out;
    }

    private static double mean(double[] v, int c, int h, int w, int y, int x) {
        double s = 0;
        for (int k = 0; k < c; k++) {
            s += v[(k * h + y) * w + x];
        }
        return s / c;
    }

    /** {@return per element, the attribution summed over channels as an [H][W] map of the pictures' size} */
    static List<double[][]> maps(INDArray r, Subject s) {
        long n = r.size(0);
        long hw = (long) s.height() * s.width();
        if (r.length() % (n * hw) != 0) {
            throw new CliException("an attribution of shape " + Shape.format(r.shape()) + " cannot be drawn over "
                    + s.height() + "x" + s.width() + " pictures");
        }
        INDArray m = r.reshape('c', n, r.length() / (n * hw), s.height(), s.width()).sum(1);
        List<double[][]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(m.get(NDArrayIndex.point(i)).castTo(DataType.DOUBLE).toDoubleMatrix());
        }
        return out;
    }

    /** {@return a caption per column: f(x) for a one-output model, else the class and its logit} */
    static List<String> headers(Attributions r) {
        int[] t = r.targets();
        boolean single = r.logits().size(1) == 1;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.length; i++) {
            double v = r.logits().getDouble(i, t[i]);
            out.add(single ? String.format(Locale.ROOT, "f(x) = %.3g", v)
                    : String.format(Locale.ROOT, "class %d (%.3g)", t[i], v));
        }
        return out;
    }

    private static void write(BufferedImage img, Path path) {
        try {
            createParent(path);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot create its directory", e);
        }
        Heatmaps.writePng(img, path);
    }

    private static void createParent(Path p) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
