package io.github.dtd4j.cli;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Crp;
import io.github.dtd4j.methods.GradCam;
import io.github.dtd4j.methods.IntegratedGradients;
import io.github.dtd4j.methods.Occlusion;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.SmoothGrad;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;

/**
 * The methods {@code dtd explain --method} and {@code dtd compare --methods} take: for each, its name, the options
 * it reads, and how they make its {@link Attribution}. An option that some method reads and none of the chosen
 * methods does is an error ({@link #misplaced}); options no method lists (--model, --out, --target, ...) apply to
 * all.
 */
final class MethodRegistry {
    /** What a factory reads: the model and every option. */
    record Context(Graph graph, MethodOptions options, RuleOptions rules) {
        /** {@return --dtype} */
        Precision precision() {
            return rules.dtype.precision;
        }

        /** {@return --engine} */
        io.github.dtd4j.ExplanationEngine engine() {
            return rules.engine == null ? io.github.dtd4j.ExplanationEngine.ND4J : rules.engine.engine;
        }
    }

    /**
     * One method.
     *
     * @param name      as the command line spells it
     * @param options   the long names of the options it reads (beyond those every method reads)
     * @param factory   makes it; null while the library does not have it
     */
    record Entry(String name, Set<String> options, Function<Context, Attribution> factory) {
        /** {@return whether this build's library has the method} */
        boolean available() {
            return factory != null;
        }

        /**
         * {@return the method made from the options}
         *
         * @param c the model and options
         * @throws CliException if this build's library does not have the method ({@link #check} says so first)
         */
        Attribution make(Context c) {
            if (factory == null) {
                throw new CliException("method '" + name + "' is not in this build of dtd4j yet");
            }
            return factory.apply(c);
        }
    }

    /** LRP's options: the rule options except --dtype (which several methods read), and --ledger. */
    static final Set<String> RULE_OPTIONS = Set.of("--rule", "--conv-rule", "--dense-rule", "--first-rule", "--preset",
            "--epsilon", "--alpha", "--beta", "--gamma", "--low", "--high", "--zbox-bias", "--bias", "--stabilizer",
            "--batchnorm", "--maxpool", "--sum-split", "--engine");
    private static final String DTYPE = "--dtype";
    /** The gradient family compiles to ONNX Runtime as LRP does. */
    private static final String ENGINE = "--engine";
    private static final Set<String> LAYER = Set.of("--layer");

    /** Every method, in the order of docs/methods.md. */
    static final List<Entry> ENTRIES = List.of(
            method("lrp", union(RULE_OPTIONS, Set.of("--ledger", DTYPE)), c -> Methods.lrp(c.rules().explainer(c.graph()))),
            method("gradient", Set.of(DTYPE, ENGINE), c -> Methods.gradient(c.graph()).withPrecision(c.precision())
                    .withEngine(c.engine())),
            method("sensitivity", Set.of(DTYPE, ENGINE), c -> Methods.sensitivity(c.graph()).withPrecision(c.precision())
                    .withEngine(c.engine())),
            method("gradient-input", Set.of(DTYPE, ENGINE), c -> Methods.gradientInput(c.graph()).withPrecision(c.precision())
                    .withEngine(c.engine())),
            method("integrated-gradients", Set.of("--ig-steps", "--steps", "--ig-method", "--baseline", "--internal-batch-size", DTYPE,
                    ENGINE),
                    MethodRegistry::integratedGradients),
            method("smoothgrad", Set.of("--samples", "--noise", "--smoothgrad-seed", "--seed", "--smoothgrad-variant",
                    DTYPE, ENGINE),
                    MethodRegistry::smoothGrad),
            method("guided-backprop", Set.of(DTYPE, ENGINE), c -> Methods.guidedBackprop(c.graph()).withPrecision(c.precision())
                    .withEngine(c.engine())),
            method("deconvnet", Set.of(DTYPE, ENGINE), c -> Methods.deconvnet(c.graph()).withPrecision(c.precision())
                    .withEngine(c.engine())),
            method("cam", Set.of(), c -> Methods.cam(c.graph())),
            method("grad-cam", union(LAYER, Set.of(ENGINE)), c -> atLayer(Methods.gradCam(c.graph()), c)),
            method("grad-cam-pp", union(LAYER, Set.of(ENGINE)), c -> atLayer(Methods.gradCamPlusPlus(c.graph()), c)),
            method("guided-grad-cam", union(LAYER, Set.of(ENGINE)), c -> atLayer(Methods.guidedGradCam(c.graph()), c)),
            method("deeplift", Set.of("--baseline", DTYPE),
                    c -> Methods.deepLift(c.graph()).withPrecision(c.precision()).withBaseline(c.options().baselineTensor())),
            method("occlusion", Set.of("--window", "--stride", "--baseline", DTYPE), MethodRegistry::occlusion),
            method("taylor", Set.of(DTYPE), c -> Methods.taylor(c.graph()).withPrecision(c.precision())),
            method("activation-maximization", Set.of(DTYPE),
                    c -> Methods.activationMaximization(c.graph()).withPrecision(c.precision())),
            method("crp", union(RULE_OPTIONS, Set.of("--layer", "--channels", DTYPE)), MethodRegistry::crp));

    /** What {@code dtd compare} draws when --methods is not given. */
    static final List<String> DEFAULT_COMPARISON = List.of("lrp", "sensitivity", "gradient", "gradient-input",
            "integrated-gradients", "smoothgrad", "guided-backprop", "deconvnet");

    private MethodRegistry() {
    }

    private static Entry method(String name, Set<String> options, Function<Context, Attribution> factory) {
        return new Entry(name, Set.copyOf(options), factory);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        return Stream.concat(a.stream(), b.stream()).collect(Collectors.toUnmodifiableSet());
    }

    /** Grad-CAM and its kin at --layer, or at the library's default layer. */
    private static GradCam atLayer(GradCam m, Context c) {
        GradCam g = m.withPrecision(c.precision()).withEngine(c.engine());
        return c.options().layer == null ? g : g.withLayer(c.options().layer);
    }

    private static Attribution occlusion(Context c) {
        MethodOptions o = c.options();
        Occlusion m = Methods.occlusion(c.graph()).withPrecision(c.precision());
        if (o.window != null) {
            m = m.withWindow(o.window);
        }
        if (o.stride != null) {
            m = m.withStride(o.stride);
        }
        INDArray b = o.baselineTensor();
        return b == null ? m : m.withBaseline(b);
    }

    private static Attribution crp(Context c) {
        MethodOptions o = c.options();
        if (o.layer == null) {
            throw new CliException("--method crp needs --layer NODE");
        }
        Crp m = Methods.crp(c.rules().explainer(c.graph())).withLayer(o.layer);
        return o.channels == null ? m : m.withChannels(o.channels);
    }

    private static Attribution integratedGradients(Context c) {
        MethodOptions o = c.options();
        IntegratedGradients ig = Methods.integratedGradients(c.graph()).withPrecision(c.precision())
                .withBaseline(o.baselineTensor()).withEngine(c.engine());
        if (o.igSteps() != null) {
            ig = ig.withSteps(o.igSteps());
        }
        if (o.igMethod != null) {
            ig = ig.withQuadrature(o.igMethod);
        }
        if (o.internalBatchSize != null) {
            ig = ig.withInternalBatchSize(o.internalBatchSize);
        }
        return ig;
    }

    private static Attribution smoothGrad(Context c) {
        MethodOptions o = c.options();
        SmoothGrad sg = Methods.smoothGrad(c.graph()).withPrecision(c.precision()).withEngine(c.engine());
        if (o.samples != null) {
            sg = sg.withSamples(o.samples);
        }
        if (o.noise != null) {
            sg = sg.withNoise(o.noise);
        }
        if (o.smoothGradSeed() != null) {
            sg = sg.withSeed(o.smoothGradSeed());
        }
        if (o.variant != null) {
            sg = sg.withVariant(o.variant);
        }
        return sg;
    }

    /** {@return every method's name, available or not} */
    static List<String> names() {
        return ENTRIES.stream().map(Entry::name).toList();
    }

    /** {@return the names of the methods this build has} */
    static List<String> availableNames() {
        return ENTRIES.stream().filter(Entry::available).map(Entry::name).toList();
    }

    /** {@return the method of a name} @param name as typed (any case) */
    static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equalsIgnoreCase(name.strip())).findFirst();
    }

    /**
     * {@return the methods a comma-separated list names, in its order, each once}
     *
     * @param list e.g. "lrp,gradient"
     * @throws CliException naming the unknown ones and the known ones
     */
    static List<Entry> parse(String list) {
        Set<Entry> out = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String n : list.split(",")) {
            if (n.isBlank()) {
                continue;
            }
            find(n).ifPresentOrElse(out::add, () -> unknown.add(n.strip()));
        }
        if (!unknown.isEmpty()) {
            throw new CliException("unknown method" + (unknown.size() > 1 ? "s " : " ") + "'" + String.join("', '", unknown)
                    + "'; known: " + String.join(", ", names()));
        }
        if (out.isEmpty()) {
            throw new CliException("no method given; known: " + String.join(", ", names()));
        }
        return List.copyOf(out);
    }

    /** {@return every option some method reads} */
    static Set<String> methodOptions() {
        return ENTRIES.stream().flatMap(e -> e.options().stream()).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * {@return what is wrong with the options given for the chosen methods, or empty}: a method option that none of
     * them reads, with the methods that do
     *
     * @param chosen the methods
     * @param given  the long names of the options on the command line
     */
    static Optional<String> misplaced(Collection<Entry> chosen, Collection<String> given) {
        Set<String> all = methodOptions();
        String names = chosen.stream().map(Entry::name).collect(Collectors.joining(", "));
        for (String o : given) {
            if (all.contains(o) && chosen.stream().noneMatch(e -> e.options().contains(o))) {
                String readers = ENTRIES.stream().filter(e -> e.options().contains(o)).map(Entry::name)
                        .collect(Collectors.joining(", "));
                return Optional.of(o + " does not apply to " + (chosen.size() == 1 ? "method " : "methods ") + names
                        + " (it is an option of " + readers + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * Checks the options against the chosen methods and their values, before any file is read: an option of a
     * method that is not chosen, a value out of range, or a method this build does not have, is a command-line
     * error (exit 2).
     *
     * @param spec    the command
     * @param chosen  the methods
     * @param options the method options
     */
    static void check(CommandLine.Model.CommandSpec spec, List<MethodRegistry.Entry> chosen, MethodOptions options) {
        check(spec, chosen, options, Set.of());
    }

    /**
     * As {@link #check(CommandLine.Model.CommandSpec, List, MethodOptions)}, for a command whose own options take
     * some names that are method options elsewhere ({@code dtd evaluate}'s {@code --steps}, {@code --seed}): those
     * are never "misplaced".
     *
     * @param spec    the command
     * @param chosen  the methods
     * @param options the method options
     * @param own     the long names that are the command's own options
     */
    static void check(CommandLine.Model.CommandSpec spec, List<MethodRegistry.Entry> chosen, MethodOptions options,
                      Set<String> own) {
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        List<String> given = spec.options().stream().filter(pr::hasMatchedOption)
                .map(CommandLine.Model.OptionSpec::longestName).filter(o -> !own.contains(o)).toList();
        String problem = MethodRegistry.misplaced(chosen, given).orElseGet(options::problem);
        for (Entry e : chosen) {
            if (problem == null && !e.available()) {
                problem = "method '" + e.name() + "' is not in this build of dtd4j yet; available: "
                        + String.join(", ", availableNames());
            }
        }
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
    }
}
