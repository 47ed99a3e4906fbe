package io.github.dtd4j.spark;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A method and its options, named as {@code dtd explain} names them ({@code lrp} with {@code preset=epsilon-plus},
 * {@code integrated-gradients} with {@code ig-steps=64}, ...): a value that travels to the executors, where each JVM
 * makes the {@link Attribution} from it once. Unknown methods and options that the method does not read are refused
 * on the driver, before any task runs.
 */
public final class MethodSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The options each method reads (the rest are refused). */
    private static final Map<String, Set<String>> OPTIONS = Map.ofEntries(
            Map.entry("lrp", Set.of("preset", "rule", "epsilon", "gamma", "alpha", "beta", "low", "high")),
            Map.entry("gradient", Set.of()),
            Map.entry("sensitivity", Set.of()),
            Map.entry("gradient-input", Set.of()),
            Map.entry("integrated-gradients", Set.of("ig-steps", "internal-batch-size")),
            Map.entry("smoothgrad", Set.of("samples", "noise", "smoothgrad-seed")),
            Map.entry("guided-backprop", Set.of()),
            Map.entry("deconvnet", Set.of()),
            Map.entry("cam", Set.of()),
            Map.entry("grad-cam", Set.of("layer")),
            Map.entry("grad-cam-pp", Set.of("layer")),
            Map.entry("guided-grad-cam", Set.of("layer")),
            Map.entry("occlusion", Set.of("window", "stride")),
            Map.entry("taylor", Set.of()),
            Map.entry("deeplift", Set.of()),
            Map.entry("activation-maximization", Set.of()),
            Map.entry("crp", Set.of("layer", "channels", "preset", "rule", "epsilon", "gamma", "alpha", "beta", "low",
                    "high")));

    private final String name;
    private final TreeMap<String, String> options;

    private MethodSpec(String name, Map<String, String> options) {
        this.name = name;
        this.options = new TreeMap<>(options);
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
                if (graph == null) {
                    return null;
                }
                IntegratedGradients ig = Methods.integratedGradients(graph).withSteps(steps);
                return ig.withInternalBatchSize(rows);
            }
            case "smoothgrad" -> {
                int samples = (int) number("samples", 5);
                double noise = number("noise", 0.15);
                long seed = (long) number("smoothgrad-seed", 0);
                if (graph == null) {
                    return null;
                }
                SmoothGrad sg = Methods.smoothGrad(graph).withSamples(samples).withNoise(noise);
                return sg.withSeed(seed);
            }
            case "occlusion" -> {
                Integer window = options.containsKey("window") ? (int) number("window", 0) : null;
                Integer stride = options.containsKey("stride") ? (int) number("stride", 0) : null;
                if (graph == null) {
                    return null;
                }
                Occlusion o = Methods.occlusion(graph);
                o = window == null ? o : o.withWindow(window);
                return stride == null ? o : o.withStride(stride);
            }
            case "grad-cam", "grad-cam-pp", "guided-grad-cam" -> {
                if (graph == null) {
                    return null;
                }
                GradCam g = name.equals("grad-cam") ? Methods.gradCam(graph) : name.equals("grad-cam-pp")
                        ? Methods.gradCamPlusPlus(graph) : Methods.guidedGradCam(graph);
                return options.containsKey("layer") ? g.withLayer(options.get("layer")) : g;
            }
            default -> {
                if (graph == null) {
                    return null;
                }
                return switch (name) {
                    case "gradient" -> Methods.gradient(graph);
                    case "sensitivity" -> Methods.sensitivity(graph);
                    case "gradient-input" -> Methods.gradientInput(graph);
                    case "guided-backprop" -> Methods.guidedBackprop(graph);
                    case "deconvnet" -> Methods.deconvnet(graph);
                    case "cam" -> Methods.cam(graph);
                    case "taylor" -> Methods.taylor(graph);
                    case "activation-maximization" -> Methods.activationMaximization(graph);
                    default -> Methods.deepLift(graph);
                };
            }
        }
    }

    /** {@return LRP's explainer as the options set it, compiled; null without a graph (options checked only)} */
    private Explainer lrpExplainer(Graph graph, double[][] box) {
        String preset = options.getOrDefault("preset", "dtd");
        double eps = number("epsilon", 0.25);
        ZBoxRule first = zBox(box);
        if (!Set.of("dtd", "dtd-w2", "epsilon-plus", "epsilon-alphabeta").contains(preset)) {
            throw new ConfigurationException("dtd-spark: lrp preset '" + preset
                    + "' unknown; known: dtd, dtd-w2, epsilon-plus, epsilon-alphabeta");
        }
        if (options.containsKey("rule") && options.containsKey("preset")) {
            throw new ConfigurationException("dtd-spark: lrp takes a preset or a rule, not both");
        }
        io.github.dtd4j.spi.Rule rule = options.containsKey("rule") ? rule(options.get("rule"), eps) : null;
        if (graph == null) {
            return null;
        }
        Explainer e = Explainer.of(graph);
        // compiled now: a rule that does not fit the model (a z^B box of 3 channels on a grey model) fails on the
        // driver, not in every row
        if (rule != null) {
            // the rule on every Dense and Conv2d, z^B on the first one met from the input
            return e.rule(rule).rule(io.github.dtd4j.Selector.first(), first).compile();
        }
        Explainer configured = switch (preset) {
            case "dtd-w2" -> e.preset(Presets.dtdWSquare());
            case "epsilon-plus" -> e.preset(Presets.epsilonZPlus(eps));
            case "epsilon-alphabeta" -> e.preset(Presets.epsilonAlphaBeta(first, eps));
            default -> e.preset(Presets.dtd(first));
        };
        return configured.compile();
    }

    private io.github.dtd4j.spi.Rule rule(String r, double eps) {
        return switch (r.strip().toLowerCase(Locale.ROOT)) {
            case "zplus" -> Rules.Z_PLUS;
            case "epsilon" -> Rules.epsilon(eps);
            case "gamma" -> Rules.gamma(number("gamma", 0.25));
            case "alphabeta" -> Rules.alphaBeta(number("alpha", 2), number("beta", 1));
            case "wsquare" -> Rules.W_SQUARE;
            case "flat" -> Rules.FLAT;
            case "lrp0" -> Rules.LRP_0;
            default -> throw new ConfigurationException("dtd-spark: lrp rule '" + r
                    + "' unknown; known: zplus, epsilon, gamma, alphabeta, wsquare, flat, lrp0");
        };
    }

    private ZBoxRule zBox(double[][] box) {
        boolean low = options.containsKey("low");
        if (low != options.containsKey("high")) {
            throw new ConfigurationException("dtd-spark: lrp's low and high go together");
        }
        if (low) {
            return Rules.zBox(number("low", 0), number("high", 1));
        }
        return box == null ? Rules.zBox(0, 1) : Rules.zBox(box[0], box[1]);
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
