package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.internal.LinearLayers;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * An explainer compiled for one graph: the graph copied in the computation precision and rewritten (BatchNorm
 * folded), the rule of every node with its compile-time view, and the coverage report. Immutable once built;
 * shared by all threads that explain with it.
 */
final class Plan {
    /** A node compiled: what its rule sees, the rule, and for linear nodes the bias after the bias policy. */
    record Compiled(Context.Info info, Rule rule, INDArray bias) {
    }

    /**
     * The graph an explainer runs: the user's model copied in the precision, BatchNorm folded if so configured.
     *
     * @param graph      the rewritten copy
     * @param foldedInto for each layer, the BatchNorms folded into it
     */
    record Prepared(Graph graph, Map<String, List<String>> foldedInto) {
        static Prepared of(Graph original, Settings s) {
            checkFiniteParameters(original);
            // a frozen graph's arrays are used as they are (cast only if the precision differs): see Graph.frozen()
            Graph g = original.isFrozen() ? Rewrites.castTo(original, s.precision())
                    : Rewrites.copy(original, s.precision());
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
            return new Prepared(g, foldedInto);
        }
    }

    final Graph graph;
    final Settings settings;
    final Map<String, Compiled> nodes;
    final Coverage coverage;
    /**
     * ReLU and clip (ReLU6) nodes the engine may apply in place on their input's array: the input is read by nothing
     * else and its own rule never looks at its output; a clip, also, passes its relevance through unchanged (the
     * default), so that no rule reads the values it overwrote.
     */
    final Set<String> inPlace;
    /** Nodes whose output is never negative by construction ({@link #nonNegativeNodes}). */
    final Set<String> nonNegative;

    private Plan(Graph graph, Settings settings, Map<String, Compiled> nodes, Coverage coverage) {
        this.graph = graph;
        this.settings = settings;
        this.nodes = nodes;
        this.coverage = coverage;
        Set<String> inPlace = new HashSet<>();
        for (Node n : graph.nodes()) {
            boolean clip = n.layer() instanceof io.github.dtd4j.graph.Activation a
                    && a.function() == io.github.dtd4j.graph.Activation.Function.CLIP && nodes.get(n.name()) != null
                    && Propagations.passesThrough(nodes.get(n.name()).rule());
            if ((n.layer() instanceof Relu || clip) && !n.name().equals(graph.outputName())) {
                String src = n.inputs().get(0);
                Compiled c = nodes.get(src);
                if (c != null && !c.rule().usesOutput() && graph.consumers(src).size() == 1) {
                    inPlace.add(n.name());
                }
            }
        }
        this.inPlace = Set.copyOf(inPlace);
        this.nonNegative = nonNegativeNodes(graph);
        this.recordedValuesPerSample = outputValues(graph, this.inPlace);
    }

    /** {@return the values of every node's output per sample, but those of the nodes skipped} */
    static long outputValues(Graph graph, Set<String> skipped) {
        long values = 0;
        for (Node n : graph.nodes()) {
            if (!skipped.contains(n.name())) {
                values += n.outputShape().size();
            }
        }
        return values;
    }

    /** The values the forward pass records per sample: every node's output but those applied in place. */
    final long recordedValuesPerSample;

    /**
     * {@return the nodes whose output is never negative by construction, whatever the input}: ReLUs, clips with a
     * lower bound ≥ 0, sigmoids and hard sigmoids, and what pooling, sums, concatenation and routing make of
     * never-negative inputs. Rules use it to skip the passes over an input's negative part (z⁺, αβ, γ) without
     * looking at the array; the ONNX compiler, to add the stabilizer without testing signs.
     */
    static Set<String> nonNegativeNodes(Graph g) {
        Set<String> nonNegative = new HashSet<>();
        for (Node n : g.nodes()) {
            io.github.dtd4j.graph.Layer l = n.layer();
            boolean fromNonNegative = n.inputs().stream().allMatch(nonNegative::contains);
            boolean bounded = l instanceof Relu || l instanceof io.github.dtd4j.graph.Activation a && switch (a.function()) {
                case CLIP -> a.alpha() >= 0;
                case SIGMOID, HARD_SIGMOID -> true;
                default -> false;
            };
            boolean keeps = l instanceof io.github.dtd4j.graph.MaxPool2d || l instanceof io.github.dtd4j.graph.AvgPool2d
                    || l instanceof io.github.dtd4j.graph.GlobalAvgPool || l instanceof io.github.dtd4j.graph.Add
                    || l instanceof io.github.dtd4j.graph.Concat || l instanceof io.github.dtd4j.graph.Flatten
                    || l instanceof io.github.dtd4j.graph.Reshape || l instanceof io.github.dtd4j.graph.Identity
                    || l instanceof io.github.dtd4j.graph.Dropout || l instanceof io.github.dtd4j.graph.Permute
                    || l instanceof io.github.dtd4j.graph.Slice || l instanceof io.github.dtd4j.graph.SumPool
                    || l instanceof io.github.dtd4j.graph.AdaptiveAvgPool2d;
            if (bounded || fromNonNegative && keeps) {
                nonNegative.add(n.name());
            }
        }
        return Set.copyOf(nonNegative);
    }

    /**
     * Compiles an explainer's rules for a prepared graph.
     *
     * @param p the prepared graph
     * @param s settings
     * @return the plan
     * @throws ConfigurationException listing every node without a rule, or for unknown node names in selectors,
     *                                rules assigned by name to nodes they do not accept, rules that do not fit
     */
    static Plan compile(Prepared p, Settings s) {
        Graph g = p.graph();
        BatchNormMode bnMode = s.batchNorm() == BatchNormMode.FOLD ? s.batchNormFallback() : s.batchNorm();
        boolean bnAffine = bnMode == BatchNormMode.AFFINE;
        String bnReason = s.batchNorm() == BatchNormMode.FOLD ? "cannot fold (not directly after a Conv2d/Dense read "
                + "only by it); fallback " + bnMode.name().toLowerCase(Locale.ROOT) : "";
        Map<String, Context.Info> infos = infos(g, bnAffine);
        checkSelectors(g, infos, s.assignments());
        Set<String> first = firstLinear(g, infos);
        Map<Selector.Range, Set<String>> ranges = ranges(g, s.assignments());
        if (s.stopAt() != null && !s.stopAt().equals(g.inputName()) && g.node(s.stopAt()).isEmpty()) {
            throw new ConfigurationException("stopAt names unknown node '" + s.stopAt() + "'");
        }
        Map<String, Compiled> nodes = new LinkedHashMap<>();
        List<Coverage.Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Node n : g.nodes()) {
            Context.Info info = infos.get(n.name());
            Preset.Assignment a = choose(info, first, ranges, s.assignments());
            Rule rule;
            String reason;
            if (a != null) {
                rule = a.rule();
                reason = "selected by " + a.selector();
            } else {
                rule = info.isLinear() ? null : Propagations.defaultFor(n.layer(), s.sumSplit(), s.maxPool(), s.biasPolicy());
                reason = rule == null ? "no selector matches" : "default";
            }
            if (n.layer() instanceof BatchNorm && !bnReason.isEmpty()) {
                reason += "; " + bnReason;
            }
            if (rule == null) {
                missing.add("'" + n.name() + "' (" + n.kind() + ")");
                rows.add(new Coverage.Row(n.name(), n.kind(), "MISSING", reason));
                continue;
            }
            check(rule, info);
            INDArray bias = null;
            if (info.isLinear()) {
                LinearLayer view = info.linear();
                bias = s.biasPolicy() == BiasPolicy.IGNORE ? Nd4j.zeros(view.bias().dataType(), view.bias().length())
                        : view.bias();
            }
            nodes.put(n.name(), new Compiled(info, rule, bias));
            rows.add(new Coverage.Row(n.name(), n.kind(), describe(rule), reason));
            for (String bn : p.foldedInto().getOrDefault(n.name(), List.of())) {
                rows.add(new Coverage.Row(bn, "BatchNorm", "folded", "folded into '" + n.name() + "'"));
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigurationException("no rule for " + missing.size() + " node(s): " + String.join(", ", missing)
                    + ". Assign one with rule(...) (for every layer), rule(Selector, ...) or a preset.");
        }
        return new Plan(g, s, nodes, new Coverage(rows));
    }

    /** Runs a rule's compile-time check; a plain Java exception from it is reported with the node. */
    private static void check(Rule rule, Context.Info info) {
        try {
            rule.check(info);
        } catch (io.github.dtd4j.errors.Dtd4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigurationException("rule " + rule.name() + " failed its check on node '" + info.name()
                    + "' (" + info.kind() + "): " + e, e);
        }
    }

    /** {@return checks the output is explainable: a vector of class scores per element} @param g the graph */
    static void checkExplainableOutput(Graph g) {
        if (g.outputShape().rank() != 1) {
            throw new ConfigurationException("the output node '" + g.outputName() + "' (" + g.node(g.outputName())
                    .orElseThrow().kind() + ") produces " + g.outputShape().toBatchString()
                    + "; an explainable output is [N,K] (add a Flatten)");
        }
    }

    /** {@return the name shown in the coverage report and the ledger} @param rule a rule */
    static String describe(Rule rule) {
        return rule instanceof LinearRule ? "rule " + rule.name() : rule.name();
    }

    private static Map<String, Context.Info> infos(Graph g, boolean bnAffine) {
        Map<String, Context.Info> infos = new LinkedHashMap<>();
        int position = 0;
        for (Node n : g.nodes()) {
            List<Shape> shapes = new ArrayList<>();
            for (String i : n.inputs()) {
                shapes.add(g.shapeOf(i));
            }
            boolean linear = n.isLinear() || (bnAffine && n.layer() instanceof BatchNorm);
            LinearLayer view = linear ? LinearLayers.of(n, shapes.get(0)) : null;
            infos.put(n.name(), new Context.Info(n.name(), n.layer(), n.inputs(), shapes, n.outputShape(), position++,
                    view));
        }
        return infos;
    }

    /** {@return whether an assignment's rule can serve a node} */
    private static boolean accepts(Rule rule, Context.Info info) {
        return rule.accepts(info.layer()) || (rule instanceof LinearRule && info.isLinear());
    }

    private static Preset.Assignment choose(Context.Info info, Set<String> first,
                                            Map<Selector.Range, Set<String>> ranges,
                                            List<Preset.Assignment> assignments) {
        Preset.Assignment best = null;
        for (Preset.Assignment a : assignments) {
            if (!matches(a.selector(), info, first, ranges) || !accepts(a.rule(), info)) {
                continue;
            }
            if (best == null || a.selector().specificity() >= best.selector().specificity()) {
                best = a;
            }
        }
        return best;
    }

    private static boolean matches(Selector sel, Context.Info info, Set<String> first,
                                   Map<Selector.Range, Set<String>> ranges) {
        if (sel instanceof Selector.All) {
            return true;
        } else if (sel instanceof Selector.Kind k) {
            return k.matches(info.layer());
        } else if (sel instanceof Selector.First) {
            return first.contains(info.name());
        } else if (sel instanceof Selector.Name n) {
            return n.names().contains(info.name());
        } else if (sel instanceof Selector.NamePattern p) {
            return p.pattern().matcher(info.name()).matches();
        } else if (sel instanceof Selector.Range r) {
            return ranges.get(r).contains(info.name());
        }
        Selector.Where w = (Selector.Where) sel;
        try {
            return w.predicate().test(info);
        } catch (io.github.dtd4j.errors.Dtd4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigurationException("selector '" + w + "' failed on node '" + info.name() + "' ("
                    + info.kind() + "): " + e, e);
        }
    }

    private static void checkSelectors(Graph g, Map<String, Context.Info> infos, List<Preset.Assignment> assignments) {
        Set<String> unknown = new TreeSet<>();
        for (Preset.Assignment a : assignments) {
            if (a.selector() instanceof Selector.Name n) {
                for (String name : new TreeSet<>(n.names())) {
                    Context.Info info = infos.get(name);
                    if (info == null) {
                        unknown.add("'" + name + "'");
                    } else if (!accepts(a.rule(), info)) {
                        throw new ConfigurationException("rule " + a.rule().name() + " is assigned by name to '" + name
                                + "' (" + info.kind() + "), a kind it does not apply to");
                    }
                }
            } else if (a.selector() instanceof Selector.Range r) {
                for (String end : List.of(r.from(), r.to())) {
                    if (!infos.containsKey(end) && !end.equals(g.inputName())) {
                        unknown.add("'" + end + "'");
                    }
                }
            }
        }
        if (!unknown.isEmpty()) {
            List<String> known = new ArrayList<>(infos.keySet());
            throw new ConfigurationException("rule selector names unknown node(s) " + unknown + "; nodes are "
                    + (known.size() > 20 ? known.subList(0, 20) + "..." : known));
        }
    }

    /** {@return for each range selector, the nodes that depend on its start and that its end depends on} */
    private static Map<Selector.Range, Set<String>> ranges(Graph g, List<Preset.Assignment> assignments) {
        Map<Selector.Range, Set<String>> out = new LinkedHashMap<>();
        for (Preset.Assignment a : assignments) {
            if (a.selector() instanceof Selector.Range r && !out.containsKey(r)) {
                Set<String> below = new HashSet<>(g.ancestors(r.to()));
                below.add(r.to());
                Set<String> above = new HashSet<>(g.descendants(r.from()));
                above.add(r.from());
                above.retainAll(below);
                if (above.isEmpty() || !above.contains(r.from())) {
                    throw new ConfigurationException("range selector " + r + ": '" + r.to() + "' does not depend on '"
                            + r.from() + "'");
                }
                out.put(r, above);
            }
        }
        return out;
    }

    /** Linear nodes with no other linear node between them and the input. */
    private static Set<String> firstLinear(Graph g, Map<String, Context.Info> infos) {
        Set<String> plain = new HashSet<>();
        plain.add(g.inputName());
        Set<String> first = new HashSet<>();
        for (Node n : g.nodes()) {
            boolean fromInput = n.inputs().stream().anyMatch(plain::contains);
            if (fromInput && infos.get(n.name()).isLinear()) {
                first.add(n.name());
            } else if (fromInput) {
                plain.add(n.name());
            }
        }
        return first;
    }

    private static void checkFiniteParameters(Graph g) {
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                // one reduction first (a NaN or infinity makes the sum non-finite); the element-wise conditions,
                // several times slower on a VGG's 100 M weights, only when it is not finite (or finite values overflow)
                if (!Double.isFinite(a.sumNumber().doubleValue())
                        && (BooleanIndexing.or(a, Conditions.isNan()) || BooleanIndexing.or(a, Conditions.isInfinite()))) {
                    throw new ConfigurationException("layer '" + n.name() + "' (" + n.kind() + "): a parameter "
                            + Shape.format(a.shape()) + " holds " + Engine.firstNonFinite(a));
                }
            }
        }
    }
}
