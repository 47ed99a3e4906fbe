package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Definitions 1–3 over random residual and dense-block networks (biases ≤ 0, the paper's condition): a stem
 * convolution, then 1–3 blocks drawn from a residual block whose last convolution's output is signed (identity or
 * projection shortcut), a dense block (concatenate a convolution's output) and a DenseNet transition (1×1
 * convolution, then average pooling of its signed output), then global average pooling and a dense head.
 *
 * <ul>
 *   <li>With the positive split at sums ({@link SumSplit#POSITIVE}), z⁺ above the first layer and z^B (or z⁺ on
 *       x ≥ 0) at it, DTD is conservative and positive: Σ_p R_p = f(x) up to the 1e-12 stabilizer's share
 *       (≤ 1e-7·f), nothing is absorbed by a bias, every layer's recorded relevance is ≥ 0, and every node passes
 *       on what it received.</li>
 *   <li>With the default signed split, the ledger still balances exactly (input + stabilizer = f(x)) and every Add
 *       hands its branches exactly what it received — but relevance can turn negative, which is why the positive
 *       split exists.</li>
 * </ul>
 */
class ResidualProperties {
    private static final long SEED = 0x2E51_D0A1L;
    private static final double STAB_SHARE = 1e-7;

    /** A random network with its input batch and box. */
    record Net(Graph graph, INDArray x, double low, double high, String description) {
        @Override
        public String toString() {
            return description;
        }
    }

    private static INDArray gaussian(SplittableRandom rnd, double scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            // Box–Muller, to stay on the seeded generator
            double u = 1 - rnd.nextDouble();
            v[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
            if (rnd.nextInt(20) == 0) {
                v[i] = 0;
            }
        }
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    /** Biases ≤ 0, some exactly 0. */
    private static INDArray biases(SplittableRandom rnd, long n) {
        double[] b = new double[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextInt(3) == 0 ? 0 : -0.3 * rnd.nextDouble();
        }
        return Nd4j.create(b, new long[]{n}, DataType.DOUBLE);
    }

    private static Conv2d conv(SplittableRandom rnd, long in, long out, int k) {
        return Conv2d.of(gaussian(rnd, Math.sqrt(2.0 / (in * k * k)), out, in, k, k), biases(rnd, out))
                .withPadding(k / 2);
    }

    static Net build(long seed, boolean box) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int c0 = 1 + rnd.nextInt(3);
        int side = 4 + 2 * rnd.nextInt(3);
        long c = 2 + rnd.nextInt(4);
        GraphBuilder b = Graph.builder(Shape.of(c0, side, side));
        StringBuilder d = new StringBuilder("in " + c0 + "x" + side + "x" + side + ", stem conv3x3->" + c);
        b.add("stem", conv(rnd, c0, c, 3), "input").add("stem.relu", new Relu(), "stem");
        String cur = "stem.relu";
        long h = side;
        int blocks = 1 + rnd.nextInt(3);
        for (int k = 0; k < blocks; k++) {
            String p = "b" + k;
            int kind = rnd.nextInt(h >= 2 && h % 2 == 0 ? 3 : 2);
            if (kind == 0) {
                boolean projection = rnd.nextBoolean();
                long out = projection ? c + 1 + rnd.nextInt(2) : c;
                b.add(p + ".conv1", conv(rnd, c, c, 3), cur).add(p + ".relu1", new Relu(), p + ".conv1")
                        .add(p + ".conv2", conv(rnd, c, out, 3), p + ".relu1");
                String shortcut = cur;
                if (projection) {
                    b.add(p + ".proj", conv(rnd, c, out, 1), cur);
                    shortcut = p + ".proj";
                }
                b.add(p + ".add", new Add(), p + ".conv2", shortcut).add(p + ".relu", new Relu(), p + ".add");
                d.append(", residual").append(projection ? " (projection ->" + out + ")" : "");
                c = out;
                cur = p + ".relu";
            } else if (kind == 1) {
                long grow = 1 + rnd.nextInt(3);
                b.add(p + ".conv", conv(rnd, c, grow, 3), cur).add(p + ".relu", new Relu(), p + ".conv")
                        .add(p + ".cat", Concat.channels(), cur, p + ".relu");
                d.append(", dense +").append(grow);
                c += grow;
                cur = p + ".cat";
            } else {
                long out = 1 + rnd.nextInt((int) c + 1);
                // the average pooling splits the 1x1 convolution's signed output (DenseNet's transition)
                b.add(p + ".conv", conv(rnd, c, out, 1), cur).add(p + ".pool", AvgPool2d.of(2, 2), p + ".conv")
                        .add(p + ".relu", new Relu(), p + ".pool");
                d.append(", transition ->").append(out);
                c = out;
                h /= 2;
                cur = p + ".relu";
            }
        }
        int classes = 1 + rnd.nextInt(4);
        b.add("gap", new GlobalAvgPool(), cur).add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(gaussian(rnd, Math.sqrt(2.0 / c), c, classes), biases(rnd, classes)), "flat");
        d.append(", gap, fc ->").append(classes);
        int batch = 1 + rnd.nextInt(3);
        double[] xs = new double[(int) (batch * c0 * side * side)];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = box ? rnd.nextDouble() : rnd.nextInt(4) == 0 ? 0 : 2 * rnd.nextDouble();
        }
        d.append(", batch ").append(batch);
        return new Net(b.output("fc").build(), Nd4j.create(xs, new long[]{batch, c0, side, side}, DataType.DOUBLE),
                0, 1, d.toString());
    }

    private static Explainer base(Net n) {
        return Explainer.of(n.graph()).precision(Precision.FLOAT64).stabilizer(1e-12).recordLayers(true);
    }

    @Test
    void zPlusWithPositiveSplitIsConsistentOnNonNegativeInputs() {
        consistent(false, n -> base(n).rule(Rules.Z_PLUS).sumSplit(SumSplit.POSITIVE));
    }

    @Test
    void zBoxFirstZPlusAboveWithPositiveSplitIsConsistent() {
        consistent(true, n -> base(n).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.zBox(n.low(), n.high()))
                .sumSplit(SumSplit.POSITIVE));
    }

    @Test
    void biasesIgnoredChangesNothingWhenBiasesAreNonPositive() {
        // z+ drops negative biases from its denominators anyway: BiasPolicy.IGNORE gives the same heatmap
        qt().withFixedSeed(SEED + 1).withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            Net n = build(seed, false);
            Explainer ex = base(n).rule(Rules.Z_PLUS).sumSplit(SumSplit.POSITIVE);
            try (Explanation a = ex.explain(n.x()); Explanation b = ex.biasPolicy(BiasPolicy.IGNORE).explain(n.x())) {
                assertThat(a.heatmap().sub(b.heatmap()).amaxNumber().doubleValue()).as(n.description())
                        .isLessThanOrEqualTo(1e-12 * Math.max(1, a.heatmap().amaxNumber().doubleValue()));
            }
        });
    }

    @Test
    void signedSplitBalancesTheLedgerAndEveryAdd() {
        AtomicInteger negative = new AtomicInteger();
        qt().withFixedSeed(SEED + 2).withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            Net n = build(seed, false);
            try (Explanation e = base(n).rule(Rules.Z_PLUS).explain(n.x())) {
                for (int el = 0; el < n.x().size(0); el++) {
                    final int i = el;
                    double f = e.explainedScores()[i];
                    double tol = 1e-9 * Math.max(1, Math.abs(f));
                    assertThat(e.ledger().inputSums()[i] + e.ledger().absorbedByStabilizer()[i]
                            + e.ledger().absorbedByBias()[i]).as(n + ": input + absorbed = f, element " + i)
                            .isCloseTo(f, org.assertj.core.api.Assertions.within(tol));
                    for (LedgerEntry le : e.ledger().entries()) {
                        if (le.kind().equals("Add")) {
                            double shares = le.branches().values().stream().mapToDouble(v -> v[i]).sum();
                            assertThat(shares + le.stabilizer()[i]).as(n + ": " + le.node() + " shares")
                                    .isCloseTo(le.in()[i], org.assertj.core.api.Assertions.within(tol));
                        }
                    }
                    if (e.inputRelevance().slice(i).minNumber().doubleValue() < -1e-9 * Math.max(1, Math.abs(f))) {
                        negative.incrementAndGet();
                    }
                }
            }
        });
        // not a requirement, a reminder of why POSITIVE exists: the signed split does produce negative relevance
        assertThat(negative.get()).as("signed split produced some negative relevance").isPositive();
    }

    private static void consistent(boolean box, Function<Net, Explainer> explainer) {
        AtomicInteger checked = new AtomicInteger();
        qt().withFixedSeed(SEED).withExamples(150).forAll(longs().all()).checkAssert(seed -> {
            Net n = build(seed, box);
            try (Explanation e = explainer.apply(n).explain(n.x())) {
                for (int i = 0; i < n.x().size(0); i++) {
                    double f = e.explainedScores()[i];
                    if (f < 0) {
                        continue; // Definition 2 is about f(x) >= 0
                    }
                    checked.incrementAndGet();
                    double tol = 1e-9 * Math.max(1e-3, f);
                    double stab = e.ledger().absorbedByStabilizer()[i];
                    assertThat(e.ledger().absorbedByBias()[i]).as(n + ": bias share").isZero();
                    assertThat(Math.abs(stab)).as(n + ": stabilizer share").isLessThanOrEqualTo(STAB_SHARE * f + 1e-12);
                    assertThat(e.ledger().inputSums()[i] + stab).as(n + ": conservative, element " + i)
                            .isCloseTo(f, org.assertj.core.api.Assertions.within(tol));
                    assertThat(e.inputRelevance().slice(i).minNumber().doubleValue()).as(n + ": positive at the input")
                            .isGreaterThanOrEqualTo(-1e-12 * Math.max(1, f));
                    for (Map.Entry<String, INDArray> layer : e.layerRelevances().entrySet()) {
                        assertThat(layer.getValue().slice(i).minNumber().doubleValue())
                                .as(n + ": positive at " + layer.getKey()).isGreaterThanOrEqualTo(-1e-12 * Math.max(1, f));
                    }
                    for (LedgerEntry le : e.ledger().entries()) {
                        assertThat(le.in()[i] - le.out()[i] - le.stabilizer()[i]).as(n + ": " + le.node()
                                + " passes on what it received").isCloseTo(0, org.assertj.core.api.Assertions.within(tol));
                    }
                }
            }
        });
        assertThat(checked.get()).as("elements with f(x) >= 0 checked").isGreaterThan(100);
    }

    /**
     * The engine against a whole-graph loop reference built from {@link ReferenceLrp}'s per-layer formulas: walking
     * the nodes from the output down, each node's relevance (the sum of what its readers sent it) is split by the
     * formula for its kind, and the input relevance must equal the library's heatmap to 1e-9 relative — for the
     * signed and the positive split, with z⁺ everywhere or z^B first. This checks the graph traversal itself: fan-out
     * (a node read by a block and by its shortcut, or by a Concat) must sum its readers' relevance exactly once.
     */
    @Test
    void engineEqualsAWholeGraphLoopReference() {
        qt().withFixedSeed(SEED + 3).withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            Net n = build(seed, true);
            for (SumSplit split : SumSplit.values()) {
                for (boolean zBoxFirst : new boolean[]{false, true}) {
                    Explainer ex = base(n).rule(Rules.Z_PLUS).sumSplit(split);
                    if (zBoxFirst) {
                        ex = ex.rule(Selector.first(), Rules.zBox(n.low(), n.high()));
                    }
                    try (Explanation e = ex.explain(n.x())) {
                        double[][] ref = ReferenceGraph.inputRelevance(n.graph(), n.x(), e.targets(), zBoxFirst ? "stem" : null,
                                n.low(), n.high(), split == SumSplit.POSITIVE, 1e-12);
                        ReferenceGraph.assertAgrees(n + ", " + split + " split, zBoxFirst=" + zBoxFirst,
                                e.inputRelevance(), ref, 1e-9, false);
                    }
                }
            }
        });
    }
}
