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
 * sum of what its readers sent it — is split by the formula for its kind. z^B (scalar box) on one named layer, z⁺
 * on every other Dense/Conv2d, winner-take-all max pooling, BatchNorm/LRN bypassed, the signed or positive split at
 * sums; biases in the denominators as each rule defines. The split at each sum and the treatment of each
 * max-pooling can also be chosen node by node (what per-node selectors express); SumPool splits like the other sums.
 * Activations come from the library's forward pass, which is checked against PyTorch and ONNX Runtime on its own. Used by tests of this module and, as a test-jar, of the
 * importers.
 */
public final class ReferenceGraph {
    private ReferenceGraph() {
    }

    /**
     * {@return the input relevance {@code [N][Π inputShape]}}
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
        return inputRelevance(g, x, targets, zBoxLayer, low, high, n -> positive, n -> MaxPoolTreatment.WINNER, eps);
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
     * @param g             the graph as explained (BatchNorm folded or left to bypass), float64
     * @param x             input batch, float64
     * @param targets       explained class per batch element
     * @param zBoxLayer     the node that gets z^B (null: z⁺ everywhere)
     * @param low           z^B lower bound
     * @param high          z^B upper bound
     * @param positiveSplit for each sum node (Add, SumPool, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool): the
     *                      positive split (else signed)
     * @param maxPool       for each MaxPool2d node: its treatment
     * @param eps           stabilizer
     */
    public static double[][] inputRelevance(Graph g, INDArray x, int[] targets, String zBoxLayer, double low,
                                            double high, java.util.function.Predicate<Node> positiveSplit,
                                            java.util.function.Function<Node, MaxPoolTreatment> maxPool, double eps) {
        Map<String, INDArray> acts = io.github.dtd4j.rules.Forwards.run(g, x);
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
            double[][] xs = ReferenceLrp.readBatch(in0);
            List<double[][]> sent = send(node, node.layer(), acts, in0, xs, r, zBoxLayer, low, high,
                    positiveSplit.test(node), node.layer() instanceof MaxPool2d ? maxPool.apply(node)
                            : MaxPoolTreatment.WINNER, eps);
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

    private static List<double[][]> send(Node node, Layer l, Map<String, INDArray> acts, INDArray in0, double[][] x,
                                         double[][] r, String zBoxLayer, double low, double high, boolean positive,
                                         MaxPoolTreatment maxPool, double eps) {
        if (l instanceof Conv2d c) {
            ReferenceLrp.RefRule rule = node.name().equals(zBoxLayer)
                    ? new ReferenceLrp.ZBox(new double[]{low}, new double[]{high}, false) : new ReferenceLrp.ZPlus();
            return one(ReferenceLrp.propagate(ReferenceLrp.conv(c, dim(in0, 1), dim(in0, 2), dim(in0, 3)), x, r, rule,
                    eps, false).relevance());
        } else if (l instanceof Dense d) {
            ReferenceLrp.RefRule rule = node.name().equals(zBoxLayer)
                    ? new ReferenceLrp.ZBox(new double[]{low}, new double[]{high}, false) : new ReferenceLrp.ZPlus();
            return one(ReferenceLrp.propagate(ReferenceLrp.dense(d), x, r, rule, eps, false).relevance());
        } else if (l instanceof Add) {
            List<double[][]> xs = new ArrayList<>();
            for (String in : node.inputs()) {
                xs.add(ReferenceLrp.readBatch(acts.get(in)));
            }
            return ReferenceLrp.add(xs, r, eps, positive).relevance();
        } else if (l instanceof Concat cat) {
            List<int[]> shapes = new ArrayList<>();
            for (String in : node.inputs()) {
                long[] s = acts.get(in).shape();
                shapes.add(Arrays.stream(s, 1, s.length).mapToInt(v -> (int) v).toArray());
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
            return ReferenceLrp.proportional(ReferenceLrp.sumGroups(x[0].length, p.groupSize()), x, r, eps, positive)
                    .relevance();
        } else if (l instanceof MaxPool2d p && maxPool != MaxPoolTreatment.WINNER) {
            return ReferenceLrp.proportional(ReferenceLrp.window(dim(in0, 1), dim(in0, 2), dim(in0, 3), p.kernelH(),
                    p.kernelW(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight(),
                    ReferenceLrp.Weighting.SUM), x, r, eps, maxPool == MaxPoolTreatment.SUM_POSITIVE).relevance();
        } else if (l instanceof MaxPool2d p) {
            return ReferenceLrp.maxPoolWinner(x, r, dim(in0, 1), dim(in0, 2), dim(in0, 3), p.kernelH(), p.kernelW(),
                    p.strideH(), p.strideW(), p.padTop(), p.padLeft(), p.padBottom(), p.padRight()).relevance();
        } else if (l instanceof Relu || l instanceof Flatten || l instanceof Reshape || l instanceof Dropout
                || l instanceof Identity || l instanceof BatchNorm || l instanceof LocalResponseNorm) {
            return one(r);
        }
        throw new IllegalStateException("no reference for " + l.kind());
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
