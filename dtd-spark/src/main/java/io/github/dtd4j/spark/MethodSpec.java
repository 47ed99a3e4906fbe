package io.github.dtd4j.spark;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.GradCam;
import io.github.dtd4j.methods.IntegratedGradients;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.Occlusion;
import io.github.dtd4j.methods.SmoothGrad;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.rules.ZBoxRule;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A method and its options, named as {@code dtd explain} names them ({@code lrp} with {@code preset=epsilon-zplus},
 * {@code integrated-gradients} with {@code ig-steps=64}, ...): a value that travels to the executors, where each JVM
 * makes the {@link Attribution} from it once. Unknown methods and options that the method does not read are refused
 * on the driver, before any task runs.
 */
public final class MethodSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The options each method reads (the rest are refused). */
    /** LRP's options, as dtd explain's rule options. */
    private static final Set<String> LRP = Set.of("preset", "rule", "conv-rule", "dense-rule", "first-rule", "epsilon",
            "gamma", "alpha", "beta", "low", "high", "zbox-bias", "bias", "stabilizer", "batchnorm", "maxpool",
            "sum-split", "dtype", "engine");
    private static final Set<String> DTYPE = Set.of("dtype");
    /** The gradient family: its precision, and the engine it runs on. */
    private static final Set<String> GRADIENTS = Set.of("dtype", "engine");

    /** The options each method reads (the rest are refused). */
    private static final Map<String, Set<String>> OPTIONS = Map.ofEntries(
            Map.entry("lrp", LRP),
            Map.entry("gradient", GRADIENTS),
            Map.entry("sensitivity", GRADIENTS),
            Map.entry("gradient-input", GRADIENTS),
            Map.entry("integrated-gradients", Set.of("ig-steps", "ig-method", "internal-batch-size", "baseline",
                    "dtype", "engine")),
            Map.entry("smoothgrad", Set.of("samples", "noise", "smoothgrad-seed", "smoothgrad-variant", "dtype",
                    "engine")),
            Map.entry("guided-backprop", GRADIENTS),
            Map.entry("deconvnet", GRADIENTS),
            Map.entry("cam", Set.of()),
            Map.entry("grad-cam", Set.of("layer", "dtype", "engine")),
            Map.entry("grad-cam-pp", Set.of("layer", "dtype", "engine")),
            Map.entry("guided-grad-cam", Set.of("layer", "dtype", "engine")),
            Map.entry("occlusion", Set.of("window", "stride", "baseline", "dtype")),
            Map.entry("taylor", DTYPE),
            Map.entry("deeplift", Set.of("baseline", "dtype")),
            Map.entry("activation-maximization", DTYPE),
            Map.entry("crp", union(LRP, Set.of("layer", "channels"))));

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    private final String name;
    private final TreeMap<String, String> options;
    /** The {@code baseline} file's values and shape, read on the driver: they travel with the method. */
    private final float[] baseline;
    private final long[] baselineShape;

    private MethodSpec(String name, Map<String, String> options) {
        this.name = name;
        this.options = new TreeMap<>(options);
        String b = options.get("baseline");
        if (b == null || b.strip().equalsIgnoreCase("zero")) {
            baseline = null;
            baselineShape = null;
        } else {
            org.nd4j.linalg.api.ndarray.INDArray a = io.github.dtd4j.io.Npy.read(java.nio.file.Path.of(b.strip()));
            baseline = a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
            baselineShape = a.shape();
        }
    }

    /** {@return the baseline as an array, or null for zero} */
    private org.nd4j.linalg.api.ndarray.INDArray baselineTensor() {
        return baseline == null ? null : org.nd4j.linalg.factory.Nd4j.create(baseline, baselineShape,
                org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /**
     * {@return a method with its options}
     *
     * @param name    as {@code dtd explain --method} takes it
     * @param options option names without the dashes, and their values as on the command line
     * @throws ConfigurationException naming an unknown method, an option the method does not read, or a value that
     *                                is not a number where one is needed
     */
    public static MethodSpec of(String name, Map<String, String> options) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        Set<String> known = OPTIONS.get(n);
        if (known == null) {
            throw new ConfigurationException("dtd-spark: unknown method '" + name + "'; known: "
                    + String.join(", ", new java.util.TreeSet<>(OPTIONS.keySet())));
        }
        for (String o : options.keySet()) {
            if (!known.contains(o)) {
                throw new ConfigurationException("dtd-spark: method " + n + " takes no option '" + o + "'"
                        + (known.isEmpty() ? "" : "; it takes " + String.join(", ", new java.util.TreeSet<>(known))));
            }
        }
        MethodSpec spec = new MethodSpec(n, options);
        spec.make(null, null);
        return spec;
    }

    /** {@return LRP with the DTD preset (z^B on the first layer with the preprocessing's box, z⁺ above)} */
    public static MethodSpec lrp() {
        return of("lrp", Map.of());
    }

    /** {@return the method's name} */
    public String name() {
        return name;
    }

    /** {@return the options as given} */
    public Map<String, String> options() {
        return java.util.Collections.unmodifiableMap(options);
    }

    /**
     * {@return the attribution on a graph}
     *
     * @param graph the model (null: only check the options)
     * @param box   the z^B box the preprocessing implies, {low, high} per channel, for LRP without low/high
     */
    Attribution make(Graph graph, double[][] box) {
        switch (name) {
            case "lrp" -> {
                Explainer e = lrpExplainer(graph, box);
                return e == null ? null : Methods.lrp(e);
            }
            case "crp" -> {
                if (!options.containsKey("layer")) {
                    throw new ConfigurationException("dtd-spark: crp needs the option layer (a node whose channels"
                            + " are followed)");
                }
                int[] channels = options.containsKey("channels") ? java.util.Arrays.stream(options.get("channels")
                        .split(",")).mapToInt(c -> (int) number("channels", c.strip())).toArray() : null;
                Explainer e = lrpExplainer(graph, box);
                if (e == null) {
                    return null;
                }
                io.github.dtd4j.methods.Crp crp = Methods.crp(e).withLayer(options.get("layer"));
                return channels == null ? crp : crp.withChannels(channels);
            }
            case "integrated-gradients" -> {
                int steps = (int) number("ig-steps", 50);
                int rows = (int) number("internal-batch-size", 50);
                io.github.dtd4j.methods.Quadrature q = options.containsKey("ig-method")
                        ? io.github.dtd4j.methods.Quadrature.of(options.get("ig-method")) : null;
                Precision p = precision();
                if (graph == null) {
                    return null;
                }
                IntegratedGradients ig = Methods.integratedGradients(graph).withSteps(steps).withPrecision(p)
                        .withEngine(engine())
                        .withBaseline(baselineTensor());
                return (q == null ? ig : ig.withQuadrature(q)).withInternalBatchSize(rows);
            }
            case "smoothgrad" -> {
                int samples = (int) number("samples", 5);
                double noise = number("noise", 0.15);
                long seed = (long) number("smoothgrad-seed", 0);
                SmoothGrad.Variant variant = options.containsKey("smoothgrad-variant")
                        ? choice("smoothgrad-variant", SmoothGrad.Variant.class) : SmoothGrad.Variant.SMOOTHGRAD;
                Precision p = precision();
                if (graph == null) {
                    return null;
                }
                SmoothGrad sg = Methods.smoothGrad(graph).withSamples(samples).withNoise(noise).withPrecision(p)
                        .withEngine(engine());
                return sg.withSeed(seed).withVariant(variant);
            }
            case "occlusion" -> {
                Integer window = options.containsKey("window") ? (int) number("window", 0) : null;
                Integer stride = options.containsKey("stride") ? (int) number("stride", 0) : null;
                Precision p = precision();
                if (graph == null) {
                    return null;
                }
                Occlusion o = Methods.occlusion(graph).withPrecision(p);
                o = window == null ? o : o.withWindow(window);
                o = baseline == null ? o : o.withBaseline(baselineTensor());
                return stride == null ? o : o.withStride(stride);
            }
            case "grad-cam", "grad-cam-pp", "guided-grad-cam" -> {
                Precision p = precision();
                if (graph == null) {
                    return null;
                }
                GradCam g = (name.equals("grad-cam") ? Methods.gradCam(graph) : name.equals("grad-cam-pp")
                        ? Methods.gradCamPlusPlus(graph) : Methods.guidedGradCam(graph)).withPrecision(p).withEngine(engine());
                return options.containsKey("layer") ? g.withLayer(options.get("layer")) : g;
            }
            default -> {
                Precision p = precision();
                if (graph == null) {
                    return null;
                }
                return switch (name) {
                    case "gradient" -> Methods.gradient(graph).withPrecision(p).withEngine(engine());
                    case "sensitivity" -> Methods.sensitivity(graph).withPrecision(p).withEngine(engine());
                    case "gradient-input" -> Methods.gradientInput(graph).withPrecision(p).withEngine(engine());
                    case "guided-backprop" -> Methods.guidedBackprop(graph).withPrecision(p).withEngine(engine());
                    case "deconvnet" -> Methods.deconvnet(graph).withPrecision(p).withEngine(engine());
                    case "cam" -> Methods.cam(graph);
                    case "taylor" -> Methods.taylor(graph).withPrecision(p);
                    case "activation-maximization" -> Methods.activationMaximization(graph).withPrecision(p);
                    default -> Methods.deepLift(graph).withPrecision(p).withBaseline(baselineTensor());
                };
            }
        }
    }

    /**
     * {@return LRP's explainer as the options set it, as dtd explain's rule options do: the DTD preset unless a preset
     * or a rule is given; {@code rule}, {@code conv-rule}, {@code dense-rule}, {@code first-rule} over it; the bias
     * policy, stabilizer, BatchNorm, max-pooling and sum-split treatments and the precision; compiled, so that a rule
     * that does not fit the model fails here}; null without a graph (the options are checked only)
     */
    private Explainer lrpExplainer(Graph graph, double[][] box) {
        boolean anyRule = options.containsKey("rule") || options.containsKey("conv-rule")
                || options.containsKey("dense-rule") || options.containsKey("first-rule");
        String preset = options.getOrDefault("preset", anyRule ? null : "dtd");
        double eps = number("epsilon", 0.25);
        if (preset != null && !Set.of("dtd", "dtd-w2", "epsilon-zplus", "epsilon-alphabeta").contains(preset)) {
            throw new ConfigurationException("dtd-spark: lrp preset '" + preset
                    + "' unknown; known: dtd, dtd-w2, epsilon-zplus, epsilon-alphabeta");
        }
        Map<String, io.github.dtd4j.spi.Rule> rules = new java.util.LinkedHashMap<>();
        for (String o : List.of("rule", "conv-rule", "dense-rule", "first-rule")) {
            if (options.containsKey(o)) {
                rules.put(o, rule(options.get(o), eps, box));
            }
        }
        io.github.dtd4j.BiasPolicy bias = options.containsKey("bias")
                ? choice("bias", io.github.dtd4j.BiasPolicy.class) : io.github.dtd4j.BiasPolicy.RULE_DEFAULT;
        double stabilizer = number("stabilizer", 1e-6);
        io.github.dtd4j.BatchNormMode batchNorm = options.containsKey("batchnorm")
                ? choice("batchnorm", io.github.dtd4j.BatchNormMode.class) : io.github.dtd4j.BatchNormMode.FOLD;
        io.github.dtd4j.MaxPoolMode maxPool = options.containsKey("maxpool") && options.get("maxpool").strip()
                .equalsIgnoreCase("winner") ? io.github.dtd4j.MaxPoolMode.WINNER_TAKES_ALL
                : options.containsKey("maxpool") ? choice("maxpool", io.github.dtd4j.MaxPoolMode.class)
                : io.github.dtd4j.MaxPoolMode.WINNER_TAKES_ALL;
        io.github.dtd4j.SumSplit split = options.containsKey("sum-split")
                ? choice("sum-split", io.github.dtd4j.SumSplit.class) : io.github.dtd4j.SumSplit.SIGNED;
        Precision p = precision();
        io.github.dtd4j.ExplanationEngine engine = engine();
        ZBoxRule first = preset == null || preset.equals("dtd-w2") || preset.equals("epsilon-zplus") ? null
                : zBox(box);
        if (graph == null) {
            return null;
        }
        Explainer e = Explainer.of(graph);
        if (preset != null) {
            e = e.preset(switch (preset) {
                case "dtd-w2" -> Presets.dtdWSquare();
                case "epsilon-zplus" -> Presets.epsilonZPlus(eps);
                case "epsilon-alphabeta" -> Presets.epsilonAlphaBeta(first, eps);
                default -> Presets.dtd(first);
            });
        }
        Map<String, io.github.dtd4j.Selector> where = Map.of("rule", io.github.dtd4j.Selector.all(), "conv-rule",
                io.github.dtd4j.Selector.conv(), "dense-rule", io.github.dtd4j.Selector.dense(), "first-rule",
                io.github.dtd4j.Selector.first());
        for (Map.Entry<String, io.github.dtd4j.spi.Rule> r : rules.entrySet()) {
            e = e.rule(where.get(r.getKey()), r.getValue());
        }
        // the fallback matters to FOLD only: BatchNorms it cannot fold are bypassed
        return e.batchNorm(batchNorm, io.github.dtd4j.BatchNormMode.BYPASS).biasPolicy(bias).stabilizer(stabilizer)
                .maxPool(maxPool).sumSplit(split).precision(p).engine(engine).compile();
    }

    /** {@return the {@code engine} option: nd4j (default), onnxruntime or auto} */
    private io.github.dtd4j.ExplanationEngine engine() {
        return !options.containsKey("engine") ? io.github.dtd4j.ExplanationEngine.ND4J
                : options.get("engine").strip().equalsIgnoreCase("onnxruntime")
                ? io.github.dtd4j.ExplanationEngine.ONNX_RUNTIME : choice("engine", io.github.dtd4j.ExplanationEngine.class);
    }

    /** {@return the {@code dtype} option: float32 (default) or float64} */
    private Precision precision() {
        return options.containsKey("dtype") ? choice("dtype", Precision.class) : Precision.FLOAT32;
    }

    /** {@return an enum constant as the command line spells it: any case, '-' for '_'} */
    private <E extends Enum<E>> E choice(String option, Class<E> type) {
        String v = options.get(option).strip().replace('-', '_').toUpperCase(Locale.ROOT);
        for (E c : type.getEnumConstants()) {
            if (c.name().equals(v)) {
                return c;
            }
        }
        throw new ConfigurationException("dtd-spark: " + name + " option " + option + ": unknown value '"
                + options.get(option) + "'; known: " + java.util.Arrays.stream(type.getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
    }

    private io.github.dtd4j.spi.Rule rule(String r, double eps, double[][] box) {
        return switch (r.strip().toLowerCase(Locale.ROOT)) {
            case "zplus" -> Rules.Z_PLUS;
            case "zbox" -> zBox(box);
            case "epsilon" -> Rules.epsilon(eps);
            case "gamma" -> Rules.gamma(number("gamma", 0.25));
            case "alphabeta" -> Rules.alphaBeta(number("alpha", 2), number("beta", 1));
            case "wsquare" -> Rules.W_SQUARE;
            case "flat" -> Rules.FLAT;
            case "lrp0" -> Rules.LRP_0;
            default -> throw new ConfigurationException("dtd-spark: lrp rule '" + r
                    + "' unknown; known: zplus, zbox, wsquare, epsilon, alphabeta, flat, gamma, lrp0");
        };
    }

    private ZBoxRule zBox(double[][] box) {
        boolean low = options.containsKey("low");
        if (low != options.containsKey("high")) {
            throw new ConfigurationException("dtd-spark: lrp's low and high go together");
        }
        ZBoxRule z;
        if (low) {
            double[] lo = numbers("low");
            double[] hi = numbers("high");
            if (lo.length != hi.length && lo.length != 1 && hi.length != 1) {
                throw new ConfigurationException("dtd-spark: low has " + lo.length + " values and high " + hi.length);
            }
            int n = Math.max(lo.length, hi.length);
            z = Rules.zBox(spread(lo, n), spread(hi, n));
        } else {
            z = box == null ? Rules.zBox(0, 1) : Rules.zBox(box[0], box[1]);
        }
        String bias = options.getOrDefault("zbox-bias", "cancel").strip().toLowerCase(Locale.ROOT);
        if (!bias.equals("cancel") && !bias.equals("as-neuron")) {
            throw new ConfigurationException("dtd-spark: zbox-bias: expected cancel or as-neuron, got '" + bias + "'");
        }
        return bias.equals("as-neuron") ? z.withPositiveBias() : z;
    }

    private double[] numbers(String option) {
        return java.util.Arrays.stream(options.get(option).split(",")).mapToDouble(v -> number(option, v)).toArray();
    }

    private static double[] spread(double[] v, int n) {
        if (v.length == n) {
            return v;
        }
        double[] out = new double[n];
        java.util.Arrays.fill(out, v[0]);
        return out;
    }

    private double number(String option, double otherwise) {
        String v = options.get(option);
        return v == null ? otherwise : number(option, v);
    }

    private double number(String option, String v) {
        try {
            double d = Double.parseDouble(v.strip());
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException("dtd-spark: " + name + " option " + option + ": expected a number, got '"
                + v + "'");
    }

    @Override
    public String toString() {
        return name + (options.isEmpty() ? "" : " " + options);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MethodSpec m && m.name.equals(name) && m.options.equals(options);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + options.hashCode();
    }
}
