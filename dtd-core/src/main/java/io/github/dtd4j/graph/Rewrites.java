package io.github.dtd4j.graph;

import io.github.dtd4j.InvalidGraphException;
import io.github.dtd4j.internal.Forward;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pure functions from graph to graph. None modifies its argument or the arrays it holds; each records what it
 * did in the result's {@link Graph#provenance()}. They chain:
 * {@code Rewrites.dropIdentities(Rewrites.foldBatchNorm(g))}.
 */
public final class Rewrites {
    /** Relative tolerance for "the rewritten graph computes the same output". */
    public static final double FOLD_TOLERANCE = 1e-5;

    private Rewrites() {
    }

    /**
     * {@return the graph with every parameter in {@code dtype}; the same graph if it already is}
     *
     * @param graph a graph
     * @param dtype FLOAT or DOUBLE
     */
    public static Graph castTo(Graph graph, DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new InvalidGraphException("dtype must be FLOAT or DOUBLE, got " + dtype);
        }
        boolean same = true;
        for (Node n : graph.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                same &= a.dataType() == dtype;
            }
        }
        if (same) {
            return graph;
        }
        return rebuild(graph, n -> mapArrays(n.layer(), a -> a.castTo(dtype)), Map.of(), Set.of())
                .withProvenance("cast", dtype.toString());
    }

    /** {@return the layer with every array it holds replaced by {@code f(array)}} */
    static Layer mapArrays(Layer layer, UnaryOperator<INDArray> f) {
        if (layer instanceof Dense d) {
            return new Dense(f.apply(d.weight()), d.bias() == null ? null : f.apply(d.bias()));
        } else if (layer instanceof Conv2d c) {
            return c.withWeights(f.apply(c.weight()), c.bias() == null ? null : f.apply(c.bias()));
        } else if (layer instanceof BatchNorm b) {
            return new BatchNorm(f.apply(b.gamma()), f.apply(b.beta()), f.apply(b.mean()), f.apply(b.var()), b.eps());
        }
        return layer;
    }

    /**
     * Folds every BatchNorm that directly follows a Conv2d or Dense (read by nothing else) into it:
     * {@code w' = w·γ/√(var+eps)}, {@code b' = (b−μ)·γ/√(var+eps) + β}. The folded layer keeps the Conv2d/Dense
     * node's name; readers of the BatchNorm read it instead. BatchNorms that cannot be folded (after a ReLU, as in
     * DenseNet) stay. The result is checked: its output must equal the original's to {@link #FOLD_TOLERANCE}
     * relative on a random input.
     *
     * @param graph a graph
     * @return the folded graph (the same graph if nothing could be folded)
     * @throws InvalidGraphException if the check fails
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
            INDArray[] affine = Forward.batchNormAffine(bn);
            INDArray scale = affine[0];
            INDArray shift = affine[1];
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
        verifySameOutput(graph, out, "folding BatchNorm (" + String.join(", ", folded) + ")");
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

    /**
     * Checks that two graphs compute the same output on a seeded random input, to {@link #FOLD_TOLERANCE}
     * relative to the largest output.
     *
     * @param before the original
     * @param after  the rewritten graph
     * @param what   the rewrite, for the message
     * @throws InvalidGraphException if they differ
     */
    public static void verifySameOutput(Graph before, Graph after, String what) {
        DataType t = DataType.DOUBLE;
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(42);
        INDArray x = Nd4j.rand(rng, before.inputShape().withBatch(1)).castTo(t);
        INDArray a = Forward.output(castTo(before, t), x);
        INDArray b = Forward.output(castTo(after, t), x);
        double scale = Math.max(a.amaxNumber().doubleValue(), 1e-12);
        double diff = a.sub(b).amaxNumber().doubleValue();
        if (!(diff <= FOLD_TOLERANCE * scale)) {
            throw new InvalidGraphException(what + " changed the model's output by " + diff + " (max |output| "
                    + scale + "); refusing the rewrite");
        }
    }
}
