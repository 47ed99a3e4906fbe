package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pure functions from graph to graph. None modifies its argument or the arrays it holds; each records what it
 * did in the result's {@link Graph#provenance()}. They chain:
 * {@code Rewrites.dropIdentities(Rewrites.foldBatchNorm(g))}.
 */
public final class Rewrites {
    private Rewrites() {
    }

    /**
     * {@return the graph with every parameter in {@code precision}; the same graph if it already is}
     *
     * @param graph     a graph
     * @param precision float32 or float64
     */
    public static Graph castTo(Graph graph, Precision precision) {
        boolean same = true;
        for (Node n : graph.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                same &= a.dataType() == precision.dataType();
            }
        }
        return same ? graph : copy(graph, precision);
    }

    /**
     * {@return a graph of the same structure whose parameters are new arrays in {@code precision}}: an explainer
     * works on such a copy, so that arrays the caller still holds can change without touching it
     *
     * @param graph     a graph
     * @param precision float32 or float64
     */
    public static Graph copy(Graph graph, Precision precision) {
        return rebuild(graph, n -> mapArrays(n.layer(), a -> a.castTo(precision.dataType()).dup()), Map.of(), Set.of())
                .withProvenance("cast", precision.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** {@return the layer with every array it holds replaced by {@code f(array)}} */
    static Layer mapArrays(Layer layer, UnaryOperator<INDArray> f) {
        if (layer instanceof Dense d) {
            return new Dense(f.apply(d.weight()), d.bias() == null ? null : f.apply(d.bias()));
        } else if (layer instanceof Conv2d c) {
            return c.withWeights(f.apply(c.weight()), c.bias() == null ? null : f.apply(c.bias()));
        } else if (layer instanceof BatchNorm b) {
            return new BatchNorm(f.apply(b.gamma()), f.apply(b.beta()), f.apply(b.mean()), f.apply(b.var()), b.eps());
        } else if (layer instanceof LayerNorm l) {
            return new LayerNorm(f.apply(l.gamma()), l.beta() == null ? null : f.apply(l.beta()), l.eps());
        } else if (layer instanceof ConstantMul m) {
            return new ConstantMul(f.apply(m.factor()));
        } else if (layer instanceof ConstantAdd a) {
            return new ConstantAdd(f.apply(a.constant()));
        } else if (layer instanceof ConstantConcat c) {
            return new ConstantConcat(c.axis(), f.apply(c.constant()), c.before());
        } else if (layer instanceof Resize r) {
            return new Resize(r.axes(), r.matrices().stream().map(f).toList());
        } else if (layer instanceof CustomLayer c) {
            return c.mapParameters(f);
        }
        return layer;
    }

    /**
     * Folds every BatchNorm that directly follows a Conv2d or Dense (read by nothing else) into it:
     * {@code w' = w·γ/√(var+eps)}, {@code b' = (b−μ)·γ/√(var+eps) + β}. The folded layer keeps the Conv2d/Dense
     * node's name; readers of the BatchNorm read it instead. BatchNorms that cannot be folded (after a ReLU, as in
     * DenseNet) stay. The rewrite is exact up to float rounding (the tests check it on random and real models);
     * {@code Explainer.verifyRewrites()} checks it on a given model when asked.
     *
     * @param graph a graph
     * @return the folded graph (the same graph if nothing could be folded)
     */
    public static Graph foldBatchNorm(Graph graph) {
        Map<String, Layer> replaced = new HashMap<>();
        Map<String, String> rename = new HashMap<>();
        Set<String> removed = new HashSet<>();
        List<String> folded = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (!(n.layer() instanceof BatchNorm bn)) {
                continue;
            }
            String src = n.inputs().get(0);
            Node prev = graph.node(src).orElse(null);
            if (prev == null || !prev.isLinear() || graph.consumers(src).size() != 1 || replaced.containsKey(src)) {
                continue;
            }
            INDArray scale = bn.scale();
            INDArray shift = bn.shift();
            Layer f;
            if (prev.layer() instanceof Conv2d c) {
                INDArray w = c.weight().mul(scale.castTo(c.weight().dataType()).reshape(scale.length(), 1, 1, 1));
                INDArray b = (c.bias() == null ? shift : c.bias().mul(scale).addi(shift)).castTo(c.weight().dataType());
                f = c.withWeights(w, b);
            } else {
                Dense d = (Dense) prev.layer();
                INDArray w = d.weight().mulRowVector(scale.castTo(d.weight().dataType()));
                INDArray b = (d.bias() == null ? shift : d.bias().mul(scale).addi(shift)).castTo(d.weight().dataType());
                f = new Dense(w, b);
            }
            replaced.put(src, f);
            rename.put(n.name(), src);
            removed.add(n.name());
            folded.add(n.name() + " into " + src);
        }
        if (folded.isEmpty()) {
            return graph;
        }
        Graph out = rebuild(graph, n -> replaced.getOrDefault(n.name(), n.layer()), rename, removed)
                .withProvenance("folded BatchNorm", String.join(", ", folded));
        return out;
    }

    /**
     * {@return the graph without Identity and Dropout nodes (their readers read their input instead)}
     *
     * @param graph a graph whose output is not an Identity/Dropout fed directly by the input
     */
    public static Graph dropIdentities(Graph graph) {
        Map<String, String> rename = new HashMap<>();
        Set<String> removed = new HashSet<>();
        for (Node n : graph.nodes()) {
            if (n.layer() instanceof Identity || n.layer() instanceof Dropout) {
                String src = n.inputs().get(0);
                if (n.name().equals(graph.outputName()) && src.equals(graph.inputName())) {
                    continue;
                }
                rename.put(n.name(), rename.getOrDefault(src, src));
                removed.add(n.name());
            }
        }
        if (removed.isEmpty()) {
            return graph;
        }
        return rebuild(graph, Node::layer, rename, removed).withProvenance("dropped", String.join(", ",
                new java.util.TreeSet<>(removed)));
    }

    private static Graph rebuild(Graph graph, java.util.function.Function<Node, Layer> layerOf,
                                 Map<String, String> rename, Set<String> removed) {
        GraphBuilder b = Graph.builder(graph.inputName(), graph.inputShape());
        graph.provenance().forEach(b::provenance);
        for (Node n : graph.nodes()) {
            if (removed.contains(n.name())) {
                continue;
            }
            List<String> ins = new ArrayList<>();
            for (String i : n.inputs()) {
                ins.add(resolve(rename, i));
            }
            b.add(n.name(), layerOf.apply(n), ins);
        }
        return b.output(resolve(rename, graph.outputName())).build();
    }

    private static String resolve(Map<String, String> rename, String name) {
        String r = name;
        while (rename.containsKey(r)) {
            r = rename.get(r);
        }
        return r;
    }
}
