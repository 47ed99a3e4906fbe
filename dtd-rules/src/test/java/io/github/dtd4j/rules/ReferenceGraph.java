package io.github.dtd4j.rules;

import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.SumPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A whole-graph loop reference for DTD, assembled from {@link ReferenceLrp}'s per-layer formulas (written from
 * docs/conventions.md, independently of the engine): walking the nodes from the output down, each node's relevance — the
 * sum of what its readers sent it — is split by the formula for its kind. Each Dense/Conv2d node gets the rule a
 * {@link Setup} names for it (DTD: z^B on the first layers, z⁺ on the others); winner-take-all or proportional max
 * pooling, BatchNorm/LRN bypassed, the signed or positive split at sums; biases in the denominators as each rule
 * defines, or left out. Activations come from the library's forward pass, which
 * is checked against PyTorch and ONNX Runtime on its own. Used by tests of this module and, as a test-jar, of the
 * importers.
 */
public final class ReferenceGraph {
    private ReferenceGraph() {
    }

    /**
     * What the explainer was told, as the reference reads it: the rule of every Dense/Conv2d node, written out node by
     * node (the reference does not reuse the library's selectors), and the settings that act on the other nodes.
     *
     * @param rules               the rule of every Dense/Conv2d node, by node name
     * @param ignoreBias          BiasPolicy.IGNORE: biases left out of every denominator
     * @param positiveSplit       SumSplit.POSITIVE at Add, sum/average pooling and proportional max-pooling
     * @param proportionalMaxPool MaxPoolMode.PROPORTIONAL (else winner-take-all)
     * @param stabilizer          the stabilizer ε
     */
    public record Setup(Map<String, ReferenceLrp.RefRule> rules, boolean ignoreBias, boolean positiveSplit,
                        boolean proportionalMaxPool, double stabilizer, Map<String, Boolean> positiveByNode,
                        Map<String, Boolean> maxPoolAsSumByNode, java.util.Set<String> uniformProducts) {
        /** Copies the maps. */
        public Setup {
            rules = Map.copyOf(rules);
            positiveByNode = Map.copyOf(positiveByNode);
            maxPoolAsSumByNode = Map.copyOf(maxPoolAsSumByNode);
            uniformProducts = java.util.Set.copyOf(uniformProducts);
        }

        /** Node-by-node choices at sums and max-poolings, the default rule at products. */
        public Setup(Map<String, ReferenceLrp.RefRule> rules, boolean ignoreBias, boolean positiveSplit,
                     boolean proportionalMaxPool, double stabilizer, Map<String, Boolean> positiveByNode,
                     Map<String, Boolean> maxPoolAsSumByNode) {
            this(rules, ignoreBias, positiveSplit, proportionalMaxPool, stabilizer, positiveByNode, maxPoolAsSumByNode,
                    java.util.Set.of());
        }

        /** Global settings only. */
        public Setup(Map<String, ReferenceLrp.RefRule> rules, boolean ignoreBias, boolean positiveSplit,
                     boolean proportionalMaxPool, double stabilizer) {
            this(rules, ignoreBias, positiveSplit, proportionalMaxPool, stabilizer, Map.of(), Map.of());
        }

        /** {@return one rule on every Dense/Conv2d node, docs/conventions.md defaults elsewhere} @param g graph @param r rule */
        public static Setup uniform(Graph g, ReferenceLrp.RefRule r) {
            Map<String, ReferenceLrp.RefRule> m = new HashMap<>();
            for (Node n : g.nodes()) {
                if (n.isLinear()) {
                    m.put(n.name(), r);
                }
            }
            return new Setup(m, false, false, false, 1e-6);
        }

        /**
         * {@return the paper's DTD: {@code first} on the first linear layers met from the input, z⁺ on the others}
         *
         * @param g     graph
         * @param first rule of the first layers
         */
        public static Setup dtd(Graph g, ReferenceLrp.RefRule first) {
            Setup s = uniform(g, new ReferenceLrp.ZPlus());
            for (String n : firstLinear(g)) {
                s = s.withRule(n, first);
            }
            return s;
        }

        /** {@return DTD with a scalar z^B box on the first layers} @param g graph @param low bound @param high bound */
        public static Setup dtd(Graph g, double low, double high) {
            return dtd(g, zBox(low, high));
        }

        /** {@return a copy with another rule on one node} @param node name @param r rule */
        public Setup withRule(String node, ReferenceLrp.RefRule r) {
            Map<String, ReferenceLrp.RefRule> m = new HashMap<>(rules);
            m.put(node, r);
            return new Setup(m, ignoreBias, positiveSplit, proportionalMaxPool, stabilizer, positiveByNode,
                    maxPoolAsSumByNode, uniformProducts);
        }

        /** {@return a copy with another bias policy} @param ignore biases left out of the denominators */
        public Setup withIgnoreBias(boolean ignore) {
            return new Setup(rules, ignore, positiveSplit, proportionalMaxPool, stabilizer, positiveByNode,
                    maxPoolAsSumByNode, uniformProducts);
        }

        /** {@return a copy with another split at sums} @param positive the positive split */
        public Setup withPositiveSplit(boolean positive) {
            return new Setup(rules, ignoreBias, positive, proportionalMaxPool, stabilizer, positiveByNode,
                    maxPoolAsSumByNode, uniformProducts);
        }

        /** {@return a copy with another max-pooling treatment} @param proportional proportional (else winner) */
        public Setup withProportionalMaxPool(boolean proportional) {
            return new Setup(rules, ignoreBias, positiveSplit, proportional, stabilizer, positiveByNode,
                    maxPoolAsSumByNode, uniformProducts);
        }

        /** {@return a copy with another stabilizer} @param eps ε */
        public Setup withStabilizer(double eps) {
            return new Setup(rules, ignoreBias, positiveSplit, proportionalMaxPool, eps, positiveByNode,
                    maxPoolAsSumByNode, uniformProducts);
        }

        /** {@return whether the gated product {@code n} takes the uniform rule instead of the gate rule} */
        boolean uniformAt(Node n) {
            return uniformProducts.contains(n.name());
        }

        /** {@return a copy in which every gated product takes the uniform rule} @param g graph */
        public Setup withUniformGates(Graph g) {
            java.util.Set<String> u = new java.util.HashSet<>();
            for (Node n : g.nodes()) {
                if (n.layer() instanceof io.github.dtd4j.graph.Mul) {
                    u.add(n.name());
                }
            }
            return new Setup(rules, ignoreBias, positiveSplit, proportionalMaxPool, stabilizer, positiveByNode,
                    maxPoolAsSumByNode, u);
        }

        /** {@return whether the sum node {@code n} takes the positive split: the node's override, else the setting} */
        boolean positiveAt(Node n) {
            Boolean b = positiveByNode.get(n.name());
            return b != null ? b : positiveSplit;
        }

        /** {@return whether the max-pooling node {@code n} is explained as a sum: the override, else the setting} */
        boolean proportionalMaxPoolAt(Node n) {
            Boolean b = maxPoolAsSumByNode.get(n.name());
            return b != null ? b : proportionalMaxPool;
        }

        /**
         * {@return a copy with node-by-node choices at sums and max-poolings (what per-node selectors express)}
         *
         * @param g          graph
         * @param positive   for each sum node (Add, SumPool, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool): positive
         * @param maxPool    for each MaxPool2d node: its treatment
         */
        public Setup withPerNode(Graph g, java.util.function.Predicate<Node> positive,
                                 java.util.function.Function<Node, MaxPoolTreatment> maxPool) {
            Map<String, Boolean> pos = new HashMap<>();
            Map<String, Boolean> asSum = new HashMap<>();
            for (Node n : g.nodes()) {
                if (n.layer() instanceof MaxPool2d) {
                    MaxPoolTreatment t = maxPool.apply(n);
                    asSum.put(n.name(), t != MaxPoolTreatment.WINNER);
                    pos.put(n.name(), t == MaxPoolTreatment.SUM_POSITIVE);
                } else {
                    pos.put(n.name(), positive.test(n));
                }
            }
            return new Setup(rules, ignoreBias, positiveSplit, proportionalMaxPool, stabilizer, pos, asSum, uniformProducts);
        }

        ReferenceLrp.RefRule ruleOf(Node n) {
            ReferenceLrp.RefRule r = rules.get(n.name());
            if (r == null) {
                throw new IllegalArgumentException("the reference setup gives no rule for " + n.name());
            }
            return r;
        }
    }

    /** {@return the scalar z^B rule (bias cancelled)} @param low bound @param high bound */
    public static ReferenceLrp.RefRule zBox(double low, double high) {
        return new ReferenceLrp.ZBox(new double[]{low}, new double[]{high}, false);
    }

    /**
     * {@return the Dense/Conv2d nodes with no other Dense/Conv2d between them and the input}, found by walking each
     * node's ancestors (independently of the library's {@code Selector.first()})
     *
     * @param g graph
     */
    public static List<String> firstLinear(Graph g) {
        // a linear node that some path from the input reaches without passing another linear node (docs/conventions.md)
        Map<String, Boolean> plainPath = new HashMap<>();
        plainPath.put(g.inputName(), true);
        List<String> first = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean reached = false;
            for (String in : n.inputs()) {
                reached |= plainPath.getOrDefault(in, false);
            }
            plainPath.put(n.name(), reached && !n.isLinear());
            if (n.isLinear() && reached) {
                first.add(n.name());
            }
        }
        return first;
    }

    /**
     * {@return for each batch element, the top class of the next element (the last takes the first's)}: targets that
     * are often not an element's own top class, so that a target mixed up between elements, or the top class used
     * instead of the one asked for, changes the heatmap
     *
     * @param logits {@code [N,K]}
     */
    public static int[] nextElementsTopClass(INDArray logits) {
        int n = (int) logits.size(0);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = logits.getRow((i + 1) % n).argMax().getInt(0);
        }
        return targets;
    }

    /**
     * {@return the input relevance {@code [N][Π inputShape]}}: DTD with z^B on one layer, z⁺ on the others
     *
     * @param g         the graph as explained (BatchNorm folded or left to bypass), float64
     * @param x         input batch, float64
     * @param targets   explained class per batch element
     * @param zBoxLayer the node that gets z^B (null: z⁺ everywhere)
     * @param low       z^B lower bound
     * @param high      z^B upper bound
     * @param positive  positive split at sums (else signed)
     * @param eps       stabilizer
     */
    public static double[][] inputRelevance(Graph g, INDArray x, int[] targets, String zBoxLayer, double low,
                                            double high, boolean positive, double eps) {
        Setup s = Setup.uniform(g, new ReferenceLrp.ZPlus()).withPositiveSplit(positive).withStabilizer(eps);
        if (zBoxLayer != null) {
            s = s.withRule(zBoxLayer, zBox(low, high));
        }
        return inputRelevance(g, x, targets, s);
    }

    /** How a max-pooling node is explained. */
    public enum MaxPoolTreatment {
        /** each window's relevance to its first maximum */
        WINNER,
        /** as a sum-pooling over the same windows, signed proportional split */
        SUM_SIGNED,
        /** as a sum-pooling over the same windows, positive parts */
        SUM_POSITIVE
    }

    /**
     * {@return the input relevance {@code [N][Π inputShape]}, with the split chosen node by node}: what the
     * explainer's per-node selectors express (docs/conventions.md#selectors) and the global settings could not
     *
     * @param g             the graph as explained, float64
     * @param x             input batch, float64
     * @param targets       explained class per batch element
     * @param zBoxLayer     the node that gets z^B (null: z⁺ everywhere)
     * @param low           z^B lower bound
     * @param high          z^B upper bound
     * @param positiveSplit for each sum node: the positive split (else signed)
     * @param maxPool       for each MaxPool2d node: its treatment
     * @param eps           stabilizer
     */
    public static double[][] inputRelevance(Graph g, INDArray x, int[] targets, String zBoxLayer, double low,
                                            double high, java.util.function.Predicate<Node> positiveSplit,
                                            java.util.function.Function<Node, MaxPoolTreatment> maxPool, double eps) {
        Setup s = Setup.uniform(g, new ReferenceLrp.ZPlus()).withStabilizer(eps).withPerNode(g, positiveSplit, maxPool);
        if (zBoxLayer != null) {
            s = s.withRule(zBoxLayer, zBox(low, high));
        }
        return inputRelevance(g, x, targets, s);
    }

    /**
     * {@return the input relevance {@code [N][Π inputShape]}}
     *
     * @param g       the graph as explained (BatchNorm folded or left to bypass), float64
     * @param x       input batch, float64
     * @param targets explained class per batch element
     * @param s       rules and settings
     */
    public static double[][] inputRelevance(Graph g, INDArray x, int[] targets, Setup s) {
        Map<String, INDArray> acts = Forwards.run(g, x);
        Map<String, double[][]> rel = new HashMap<>();
        int batch = (int) x.size(0);
        double[][] start = ReferenceLrp.readBatch(acts.get(g.outputName()));
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < start[b].length; k++) {
                start[b][k] = k == targets[b] ? start[b][k] : 0;
            }
        }
        rel.put(g.outputName(), start);
        List<Node> nodes = new ArrayList<>(g.nodes());
        Collections.reverse(nodes);
        for (Node node : nodes) {
            double[][] r = rel.get(node.name());
            if (r == null) {
                continue; // read by nothing that carries relevance
            }
            INDArray in0 = acts.get(node.inputs().get(0));
            List<double[][]> sent = send(node, acts, ReferenceLrp.readBatch(in0), r, s);
            for (int k = 0; k < node.inputs().size(); k++) {
                double[][] add = sent.get(k);
                double[][] acc = rel.computeIfAbsent(node.inputs().get(k), key -> new double[batch][add[0].length]);
                for (int b = 0; b < batch; b++) {
                    for (int p = 0; p < add[b].length; p++) {
                        acc[b][p] += add[b][p];
                    }
                }
            }
        }
        return rel.get(g.inputName());
    }

    private static int dim(INDArray a, int axis) {
        return (int) a.size(axis);
    }

    /**
     * {@return what one node sends to each of its inputs} (one array per input slot, {@code [N][Π inShape]})
     *
     * @param node the node
     * @param acts every node's forward output
     * @param x    the node's first input, per batch element
     * @param r    the relevance at the node's output
     * @param s    rules and settings
     */
    static List<double[][]> send(Node node, Map<String, INDArray> acts, double[][] x, double[][] r, Setup s) {
        Layer l = node.layer();
        INDArray in0 = acts.get(node.inputs().get(0));
        double eps = s.stabilizer();
        boolean positive = s.positiveAt(node);
        if (l instanceof Conv2d c) {
            return one(ReferenceLrp.propagate(ReferenceLrp.conv(c, dim(in0, 1), dim(in0, 2), dim(in0, 3)), x, r,
                    s.ruleOf(node), eps, s.ignoreBias()).relevance());
        } else if (l instanceof Dense d && in0.rank() > 2) {
            // along the last axis, position by position: each position of each sample is one row of the reference
            int in = (int) d.inFeatures();
            int out = (int) d.outFeatures();
            int positions = x[0].length / in;
            double[][] rows = new double[x.length * positions][in];
            double[][] rr = new double[x.length * positions][out];
            for (int b = 0; b < x.length; b++) {
                for (int t = 0; t < positions; t++) {
                    System.arraycopy(x[b], t * in, rows[b * positions + t], 0, in);
                    System.arraycopy(r[b], t * out, rr[b * positions + t], 0, out);
                }
            }
            double[][] got = ReferenceLrp.propagate(ReferenceLrp.dense(d), rows, rr, s.ruleOf(node), eps,
                    s.ignoreBias()).relevance();
            double[][] back = new double[x.length][x[0].length];
            for (int b = 0; b < x.length; b++) {
                for (int t = 0; t < positions; t++) {
                    System.arraycopy(got[b * positions + t], 0, back[b], t * in, in);
                }
            }
            return one(back);
        } else if (l instanceof Dense d) {
            return one(ReferenceLrp.propagate(ReferenceLrp.dense(d), x, r, s.ruleOf(node), eps, s.ignoreBias())
                    .relevance());
        } else if (l instanceof Add) {
            List<double[][]> xs = new ArrayList<>();
            for (String in : node.inputs()) {
                xs.add(ReferenceLrp.readBatch(acts.get(in)));
            }
            return ReferenceLrp.add(xs, r, eps, positive).relevance();
        } else if (l instanceof Concat cat) {
            List<int[]> shapes = new ArrayList<>();
            for (String in : node.inputs()) {
                long[] sh = acts.get(in).shape();
                shapes.add(Arrays.stream(sh, 1, sh.length).mapToInt(v -> (int) v).toArray());
            }
            return ReferenceLrp.concat(shapes, cat.axis(), r).relevance();
        } else if (l instanceof AvgPool2d p) {
            return ReferenceLrp.proportional(ReferenceLrp.window(dim(in0, 1), dim(in0, 2), dim(in0, 3), p.kernelH(),
                    p.kernelW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight(),
                    p.countIncludePad() ? ReferenceLrp.Weighting.AVG_INCLUDE_PAD : ReferenceLrp.Weighting.AVG_EXCLUDE_PAD),
                    x, r, eps, positive).relevance();
        } else if (l instanceof AdaptiveAvgPool2d p) {
            return ReferenceLrp.proportional(ReferenceLrp.adaptive(dim(in0, 1), dim(in0, 2), dim(in0, 3), p.outH(),
                    p.outW()), x, r, eps, positive).relevance();
        } else if (l instanceof GlobalAvgPool) {
            return ReferenceLrp.proportional(ReferenceLrp.global(dim(in0, 1), dim(in0, 2), dim(in0, 3)), x, r, eps,
                    positive).relevance();
        } else if (l instanceof SumPool p) {
            return ReferenceLrp.proportional(ReferenceLrp.sumGroups(dim(in0, 1), p.groupSize()), x, r, eps, positive)
                    .relevance();
        } else if (l instanceof MaxPool2d p && s.proportionalMaxPoolAt(node)) {
            // as sum pooling over the taps inside the image (paper §5.2)
            return ReferenceLrp.proportional(ReferenceLrp.window(dim(in0, 1), dim(in0, 2), dim(in0, 3), p.kernelH(),
                    p.kernelW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight(),
                    ReferenceLrp.Weighting.SUM), x, r, eps, positive).relevance();
        } else if (l instanceof MaxPool2d p) {
            return ReferenceLrp.maxPoolWinner(x, r, dim(in0, 1), dim(in0, 2), dim(in0, 3), p.kernelH(), p.kernelW(),
                    p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight()).relevance();
        } else if (l instanceof Relu || l instanceof Flatten || l instanceof Reshape || l instanceof Dropout
                || l instanceof Identity || l instanceof BatchNorm || l instanceof LocalResponseNorm
                || l instanceof io.github.dtd4j.graph.Activation || l instanceof io.github.dtd4j.graph.LayerNorm
                || l instanceof io.github.dtd4j.graph.ConstantMul) {
            return one(r);
        } else if (l instanceof io.github.dtd4j.graph.Permute p) {
            return one(ReferenceModern.permute(perSample(in0), p.axes(), r));
        } else if (l instanceof io.github.dtd4j.graph.Slice sl) {
            return one(ReferenceModern.slice(perSample(in0), sl.axes(), sl.starts(), sl.ends(), sl.steps(), r));
        } else if (l instanceof io.github.dtd4j.graph.Mul m) {
            int[] a = perSample(in0);
            int[] b = perSample(acts.get(node.inputs().get(1)));
            int[] out = perSample(acts.get(node.name()));
            return m.gate() >= 0 && !s.uniformAt(node) ? ReferenceModern.gate(a, b, out, m.gate(), r)
                    : ReferenceModern.uniform(a, b, out, r);
        } else if (l instanceof io.github.dtd4j.graph.MatMul) {
            INDArray in1 = acts.get(node.inputs().get(1));
            return ReferenceModern.matMul(perSample(in0), perSample(in1), x, ReferenceLrp.readBatch(in1),
                    ReferenceLrp.readBatch(acts.get(node.name())), r, eps);
        } else if (l instanceof io.github.dtd4j.graph.Softmax) {
            int[] sh = perSample(in0);
            return one(ReferenceModern.softmax(sh[sh.length - 1], x, ReferenceLrp.readBatch(acts.get(node.name())),
                    r));
        } else if (l instanceof io.github.dtd4j.graph.ConstantAdd) {
            // biases ignored: the constant is left out of the denominator, y replaced by x
            return one(ReferenceModern.constantAdd(x, s.ignoreBias() ? x : ReferenceLrp.readBatch(acts.get(node.name())),
                    r, eps));
        } else if (l instanceof io.github.dtd4j.graph.ConstantConcat c) {
            return one(ReferenceModern.constantConcat(perSample(in0), c.axis(), (int) c.constant().size(c.axis()),
                    c.before(), r));
        } else if (l instanceof io.github.dtd4j.graph.Resize rs) {
            double[][][] m = new double[rs.axes().length][][];
            for (int k = 0; k < m.length; k++) {
                m[k] = rs.matrices().get(k).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
            }
            return ReferenceLrp.proportional(ReferenceLrp.separable(perSample(in0), rs.axes(), m), x, r, eps, positive)
                    .relevance();
        }
        throw new IllegalStateException("no reference for " + l.kind());
    }

    private static int[] perSample(INDArray a) {
        long[] sh = a.shape();
        return Arrays.stream(sh, 1, sh.length).mapToInt(v -> (int) v).toArray();
    }

    private static List<double[][]> one(double[][] r) {
        return Collections.singletonList(r);
    }

    /**
     * Asserts that the library's input relevance equals the reference's, element by element, to {@code rel} times
     * the largest |R| of each batch element.
     *
     * @param what            context for failure messages
     * @param inputRelevance  the library's, shaped like the input
     * @param reference       {@link #inputRelevance}'s result
     * @param rel             relative tolerance
     * @param requireNonZero  also assert that every element's reference heatmap is not all zero
     */
    public static void assertAgrees(String what, INDArray inputRelevance, double[][] reference, double rel,
                                    boolean requireNonZero) {
        double[][] got = ReferenceLrp.readBatch(inputRelevance);
        for (int b = 0; b < reference.length; b++) {
            double scale = Arrays.stream(reference[b]).map(Math::abs).max().orElse(0);
            if (requireNonZero) {
                org.assertj.core.api.Assertions.assertThat(scale).as("%s, element %d: a heatmap that is not all zero",
                        what, b).isPositive();
            }
            int worst = 0;
            for (int p = 1; p < reference[b].length; p++) {
                double d = Math.abs(got[b][p] - reference[b][p]);
                if (Double.isNaN(d)) {
                    worst = p; // fails the assertion below
                    break;
                }
                if (d > Math.abs(got[b][worst] - reference[b][worst])) {
                    worst = p;
                }
            }
            org.assertj.core.api.Assertions.assertThat(Math.abs(got[b][worst] - reference[b][worst])).as("%s, element "
                    + "%d, largest difference at pixel %d: library %s, reference %s (max |R| %s)", what, b, worst,
                    got[b][worst], reference[b][worst], scale)
                    .isLessThanOrEqualTo(rel * Math.max(requireNonZero ? 0 : 1e-12, scale));
        }
    }
}
