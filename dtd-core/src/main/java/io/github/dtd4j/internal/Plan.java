package io.github.dtd4j.internal;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.ConfigurationException;
import io.github.dtd4j.Coverage;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Preset;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An explainer compiled for one graph: the graph rewritten (BatchNorm folded) and cast to the computation dtype,
 * a propagation for every node, the rule and linear view of every rule-taking node, and the coverage report.
 * Immutable once built; shared by all threads that explain with it.
 */
public final class Plan {
    /** The settings an explainer compiles. */
    public record Settings(List<Preset.Assignment> assignments, BiasPolicy biasPolicy, double stabilizer,
                           MaxPoolMode maxPool, SumSplit sumSplit, BatchNormMode batchNorm,
                           BatchNormMode batchNormFallback, DataType dtype, boolean recordLayers) {
        /** Copies the list. */
        public Settings {
            assignments = List.copyOf(assignments);
        }
    }

    /** A rule-taking node, compiled. */
    record Linear(Rule rule, LinearLayer layer) {
    }

    final Graph graph;
    final Settings settings;
    final Map<String, Step> steps;
    final Map<String, Linear> linear;
    final Coverage coverage;
    /**
     * ReLU nodes the engine may apply in place on their input's array: the input is read by nothing else and its
     * own propagation never looks at its output (z⁺, z^B, w², flat, αβ, pass-through).
     */
    final Set<String> reluInPlace;

    private Plan(Graph graph, Settings settings, Map<String, Step> steps, Map<String, Linear> linear, Coverage coverage) {
        this.graph = graph;
        this.settings = settings;
        this.steps = steps;
        this.linear = linear;
        this.coverage = coverage;
        Set<String> inPlace = new HashSet<>();
        for (Node n : graph.nodes()) {
            if (n.layer() instanceof io.github.dtd4j.graph.Relu && !n.name().equals(graph.outputName())) {
                String src = n.inputs().get(0);
                Step st = steps.get(src);
                if (st != null && !st.readsOutput() && graph.consumers(src).size() == 1) {
                    inPlace.add(n.name());
                }
            }
        }
        this.reluInPlace = Set.copyOf(inPlace);
    }

    /** {@return the graph the plan runs (rewritten and cast)} */
    public Graph graph() {
        return graph;
    }

    /** {@return the coverage report} */
    public Coverage coverage() {
        return coverage;
    }

    /** {@return the settings} */
    public Settings settings() {
        return settings;
    }

    /**
     * Compiles an explainer's settings for a graph.
     *
     * @param original the user's graph (not modified)
     * @param s        settings
     * @return the plan
     * @throws ConfigurationException listing every layer without a rule, unknown node names in selectors, or
     *                                rules that do not fit their layers
     */
    public static Plan compile(Graph original, Settings s) {
        checkNames(original, s.assignments());
        checkFiniteParameters(original);
        Graph g = Rewrites.castTo(original, s.dtype());
        // folded BatchNorms leave the graph; the coverage report still lists them, after the layer they went into
        Map<String, List<String>> foldedInto = new LinkedHashMap<>();
        if (s.batchNorm() == BatchNormMode.FOLD) {
            Graph unfolded = g;
            g = Rewrites.foldBatchNorm(g);
            for (Node n : unfolded.nodes()) {
                if (n.layer() instanceof BatchNorm && g.node(n.name()).isEmpty()) {
                    foldedInto.computeIfAbsent(n.inputs().get(0), k -> new ArrayList<>()).add(n.name());
                }
            }
        }
        BatchNormMode bnMode = s.batchNorm() == BatchNormMode.FOLD ? s.batchNormFallback() : s.batchNorm();
        String bnReason = s.batchNorm() == BatchNormMode.FOLD ? "cannot fold (not directly after a Conv2d/Dense read "
                + "only by it); fallback " + bnMode.name().toLowerCase(java.util.Locale.ROOT) : "";
        Set<String> first = firstLinear(g, bnMode == BatchNormMode.AFFINE);
        Map<String, Step> steps = new LinkedHashMap<>();
        Map<String, Linear> linear = new LinkedHashMap<>();
        List<Coverage.Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        double eps = s.stabilizer();
        for (Node n : g.nodes()) {
            Layer l = n.layer();
            boolean takesRule = n.isLinear() || (l instanceof BatchNorm && bnMode == BatchNormMode.AFFINE);
            String reason = "";
            Step step;
            if (takesRule) {
                Preset.Assignment a = choose(n, first.contains(n.name()), s.assignments());
                if (a == null) {
                    missing.add("'" + n.name() + "' (" + n.kind() + ")");
                    rows.add(new Coverage.Row(n.name(), n.kind(), "MISSING", "no selector matches"));
                    continue;
                }
                LinearLayer view = LinearLayers.of(n, g.shapeOf(n.inputs().get(0)));
                a.rule().check(view);
                INDArray bias = s.biasPolicy() == BiasPolicy.IGNORE ? Nd4j.zeros(view.bias().dataType(),
                        view.bias().length()) : view.bias();
                step = Steps.rule(a.rule(), view, bias, eps);
                linear.put(n.name(), new Linear(a.rule(), view));
                reason = "selected by " + a.selector() + (l instanceof BatchNorm && !bnReason.isEmpty() ? "; "
                        + bnReason : "");
            } else if (l instanceof BatchNorm) {
                step = Steps.passThrough("bypass");
                reason = bnReason;
            } else {
                step = fixedStep(l, s.maxPool(), s.sumSplit(), eps);
            }
            steps.put(n.name(), step);
            rows.add(new Coverage.Row(n.name(), n.kind(), step.describe(), reason));
            for (String bn : foldedInto.getOrDefault(n.name(), List.of())) {
                rows.add(new Coverage.Row(bn, "BatchNorm", "folded", "folded into '" + n.name() + "'"));
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigurationException("no rule for " + missing.size() + " layer(s): " + String.join(", ", missing)
                    + ". Assign one with rule(...) (for every layer), rule(Selector, ...) or a preset.");
        }
        if (g.outputShape().rank() != 1) {
            throw new ConfigurationException("the output node '" + g.outputName() + "' (" + g.node(g.outputName())
                    .orElseThrow().kind() + ") produces " + g.outputShape().toBatchString()
                    + "; an explainable output is [N,K] (add a Flatten)");
        }
        return new Plan(g, s, steps, linear, new Coverage(rows));
    }

    /**
     * {@return the fixed propagation of a layer that takes no rule}
     *
     * @param l       the layer (not Dense/Conv2d)
     * @param maxPool the max-pooling treatment
     * @param split   how sums split relevance
     * @param eps     the stabilizer
     */
    static Step fixedStep(Layer l, MaxPoolMode maxPool, SumSplit split, double eps) {
        boolean pos = split == SumSplit.POSITIVE;
        if (l instanceof MaxPool2d p) {
            return maxPool == MaxPoolMode.PROPORTIONAL ? Steps.maxPoolProportional(p, eps, pos) : Steps.maxPoolWinner(p);
        } else if (l instanceof AvgPool2d p) {
            return Steps.avgPool(p, eps, pos);
        } else if (l instanceof AdaptiveAvgPool2d p) {
            return Steps.adaptiveAvgPool(p, eps, pos);
        } else if (l instanceof GlobalAvgPool p) {
            return Steps.globalAvgPool(p, eps, pos);
        } else if (l instanceof SumPool p) {
            return Steps.sumPool(p, eps, pos);
        } else if (l instanceof Add) {
            return Steps.add(eps, pos);
        } else if (l instanceof Concat c) {
            return Steps.concat(c);
        } else if (l instanceof BatchNorm || l instanceof io.github.dtd4j.graph.LocalResponseNorm) {
            return Steps.passThrough("bypass");
        }
        return Steps.passThrough("pass-through");
    }

    private static void checkFiniteParameters(Graph g) {
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                if (org.nd4j.linalg.indexing.BooleanIndexing.or(a, org.nd4j.linalg.indexing.conditions.Conditions.isNan())
                        || org.nd4j.linalg.indexing.BooleanIndexing.or(a,
                        org.nd4j.linalg.indexing.conditions.Conditions.isInfinite())) {
                    throw new ConfigurationException("layer '" + n.name() + "' (" + n.kind() + "): a parameter "
                            + io.github.dtd4j.graph.Shape.format(a.shape()) + " holds " + Engine.firstNonFinite(a));
                }
            }
        }
    }

    private static void checkNames(Graph g, List<Preset.Assignment> assignments) {
        List<String> unknown = new ArrayList<>();
        for (Preset.Assignment a : assignments) {
            if (a.selector() instanceof Selector.Name n) {
                for (String name : new java.util.TreeSet<>(n.names())) {
                    Node node = g.node(name).orElse(null);
                    if (node == null) {
                        unknown.add("'" + name + "'");
                    } else if (!node.isLinear() && !(node.layer() instanceof BatchNorm)) {
                        throw new ConfigurationException("rule selector names '" + name + "' (" + node.kind()
                                + "), which takes no rule; rules apply to Dense, Conv2d and (affine) BatchNorm nodes");
                    }
                }
            }
        }
        if (!unknown.isEmpty()) {
            List<String> known = new ArrayList<>();
            for (Node n : g.nodes()) {
                if (n.isLinear() || n.layer() instanceof BatchNorm) {
                    known.add(n.name());
                }
            }
            throw new ConfigurationException("rule selector names unknown node(s) " + unknown + "; rule-taking nodes are "
                    + (known.size() > 20 ? known.subList(0, 20) + "..." : known));
        }
    }

    /** Linear nodes with no other linear node between them and the input. */
    private static Set<String> firstLinear(Graph g, boolean bnIsLinear) {
        Set<String> plain = new HashSet<>();
        plain.add(g.inputName());
        Set<String> first = new HashSet<>();
        for (Node n : g.nodes()) {
            boolean fromInput = n.inputs().stream().anyMatch(plain::contains);
            boolean lin = n.isLinear() || (bnIsLinear && n.layer() instanceof BatchNorm);
            if (fromInput && lin) {
                first.add(n.name());
            } else if (fromInput) {
                plain.add(n.name());
            }
        }
        return first;
    }

    private static Preset.Assignment choose(Node n, boolean isFirst, List<Preset.Assignment> assignments) {
        Preset.Assignment best = null;
        for (Preset.Assignment a : assignments) {
            boolean match;
            Selector sel = a.selector();
            if (sel instanceof Selector.All) {
                match = true;
            } else if (sel instanceof Selector.Type t) {
                match = t.kind().isInstance(n.layer());
            } else if (sel instanceof Selector.First) {
                match = isFirst;
            } else {
                match = ((Selector.Name) sel).names().contains(n.name());
            }
            if (match && (best == null || sel.specificity() >= best.selector().specificity())) {
                best = a;
            }
        }
        return best;
    }
}
