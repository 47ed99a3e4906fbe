package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * End-to-end heatmaps of small networks against the whole-graph loop reference ({@link ReferenceGraph}, written from
 * docs/conventions.md's formulas). The ledger balances for any rule, right or wrong, so it is only an extra check here; each
 * network is also shown to tell the rules apart (the reference for another rule disagrees with the library), so a
 * rule swapped or mis-applied would fail.
 */
class SmokeTest {
    /** The paper's detection-pooling network: dense, ReLU, sum pooling, twice. */
    @Test
    void paperNetworkMatchesTheReference() {
        Nd4j.getRandom().setSeed(11);
        INDArray w1 = Nd4j.randn(DataType.DOUBLE, 20, 8);
        INDArray b1 = Nd4j.rand(DataType.DOUBLE, 8).muli(-0.3);
        // inputs filling the z^B box, positive second-layer weights and small negative biases: every element's
        // output is positive, so no heatmap is trivially zero (with -rand(8) biases and inputs in [-0.5, 0.5) the
        // first element's output was 0, and the old ledger-only test compared 0 with 0)
        Graph net = Graph.sequential(20).dense("d1", w1, b1).relu().sumPool(4)
                .dense("d2", Nd4j.rand(DataType.DOUBLE, 2, 8), Nd4j.rand(DataType.DOUBLE, 8).muli(-0.1)).relu()
                .sumPool(8).build();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 20).muli(2).subi(0.5);
        Explainer ex = Explainer.of(net).precision(Precision.FLOAT64).stabilizer(1e-12).preset(Presets.dtd(-0.5, 1.5));
        try (Explanation e = ex.explain(x)) {
            ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(net, -0.5, 1.5).withStabilizer(1e-12);
            assertThat(ReferenceGraph.firstLinear(net)).containsExactly("d1");
            ReferenceGraph.assertAgrees("dtd", e.inputRelevance(), ReferenceGraph.inputRelevance(net, x, e.targets(), s),
                    1e-9, true);
            assertDiffers("z+ on d1 instead of z^B", e.inputRelevance(), ReferenceGraph.inputRelevance(net, x,
                    e.targets(), s.withRule("d1", new ReferenceLrp.ZPlus())));
            // extra: the ledger balances and z^B's relevance is non-negative
            double[] f = e.explainedScores();
            double[] r = e.ledger().inputSums();
            for (int i = 0; i < 3; i++) {
                assertThat(f[i]).isPositive();
                assertThat(r[i] + e.ledger().absorbedByBias()[i] + e.ledger().absorbedByStabilizer()[i])
                        .isCloseTo(f[i], within(1e-9 * Math.abs(f[i])));
            }
            assertThat(e.inputRelevance().minNumber().doubleValue()).isGreaterThanOrEqualTo(-1e-12);
        }
    }

    static Graph convNet() {
        Nd4j.getRandom().setSeed(3);
        return Graph.sequential(Shape.of(2, 9, 9))
                .conv("c1", Conv2d.of(Nd4j.randn(DataType.DOUBLE, 4, 2, 3, 3), Nd4j.rand(DataType.DOUBLE, 4).negi())
                        .withPadding(1).withStride(2))
                .relu().maxPool(2, 2).flatten()
                .dense("fc", Nd4j.randn(DataType.DOUBLE, 16, 3), Nd4j.randn(DataType.DOUBLE, 3)).build();
    }

    record Case(String name, Rule rule, ReferenceLrp.RefRule ref) {
    }

    static final List<Case> RULES = List.of(
            new Case("z+", Rules.Z_PLUS, new ReferenceLrp.ZPlus()),
            new Case("w²", Rules.W_SQUARE, new ReferenceLrp.WSquare()),
            new Case("flat", Rules.FLAT, new ReferenceLrp.Flat()),
            new Case("LRP-0", Rules.LRP_0, new ReferenceLrp.Epsilon(0)),
            new Case("ε 0.1", Rules.epsilon(0.1), new ReferenceLrp.Epsilon(0.1)),
            new Case("α2β1", Rules.ALPHA2_BETA1, new ReferenceLrp.AlphaBeta(2, 1)),
            new Case("α1β0", Rules.ALPHA1_BETA0, new ReferenceLrp.AlphaBeta(1, 0)),
            new Case("γ 0.25", Rules.gamma(0.25), new ReferenceLrp.Gamma(0.25)),
            new Case("z^B [-1,50]", Rules.zBox(-1, 50), ReferenceGraph.zBox(-1, 50)));

    /** Every rule on both layers, explaining a class that is not always the top one. */
    @Test
    void convNetworkEveryRuleMatchesTheReference() {
        Graph net = convNet();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 9, 9);
        int[] targets = {2, 0};
        for (int k = 0; k < RULES.size(); k++) {
            Case c = RULES.get(k);
            try (Explanation e = Explainer.of(net).precision(Precision.FLOAT64).rule(c.rule()).explain(x, targets)) {
                assertThat(e.targets()).containsExactly(targets);
                ReferenceGraph.assertAgrees(c.name(), e.inputRelevance(), ReferenceGraph.inputRelevance(net, x,
                        targets, ReferenceGraph.Setup.uniform(net, c.ref())), 1e-9, true);
                Case other = RULES.get((k + 1) % RULES.size());
                assertDiffers(c.name() + " vs the reference for " + other.name(), e.inputRelevance(),
                        ReferenceGraph.inputRelevance(net, x, targets, ReferenceGraph.Setup.uniform(net, other.ref())));
                // extra: the ledger balances
                assertThat(Math.abs(e.ledger().imbalance()[0])).isLessThan(1e-9 * Math.abs(e.explainedScores()[0]));
            }
        }
    }

    /** The settings that act outside the rules: biases left out, proportional max pooling, the stabilizer. */
    @Test
    void convNetworkSettingsMatchTheReference() {
        Graph net = convNet();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 9, 9);
        int[] targets = {1, 1};
        Explainer base = Explainer.of(net).precision(Precision.FLOAT64).rule(Rules.epsilon(0.1));
        ReferenceGraph.Setup ref = ReferenceGraph.Setup.uniform(net, new ReferenceLrp.Epsilon(0.1));
        List<Object[]> cases = List.of(
                new Object[]{"bias ignored", base.biasPolicy(BiasPolicy.IGNORE), ref.withIgnoreBias(true)},
                new Object[]{"proportional max pooling", base.maxPool(MaxPoolMode.PROPORTIONAL),
                        ref.withProportionalMaxPool(true)},
                new Object[]{"z+ with stabilizer 0.5", base.rule(Rules.Z_PLUS).stabilizer(0.5),
                        ReferenceGraph.Setup.uniform(net, new ReferenceLrp.ZPlus()).withStabilizer(0.5)});
        try (Explanation plain = base.explain(x, targets)) {
            for (Object[] c : cases) {
                try (Explanation e = ((Explainer) c[1]).explain(x, targets)) {
                    ReferenceGraph.assertAgrees((String) c[0], e.inputRelevance(), ReferenceGraph.inputRelevance(net,
                            x, targets, (ReferenceGraph.Setup) c[2]), 1e-9, true);
                    assertDiffers((String) c[0] + " vs the default", e.inputRelevance(), ReferenceLrp.readBatch(
                            plain.inputRelevance()));
                }
            }
        }
    }

    /** Asserts the library's heatmap is not within 1e-3 (relative) of another heatmap. */
    static void assertDiffers(String what, INDArray library, double[][] other) {
        assertThatThrownBy(() -> ReferenceGraph.assertAgrees(what, library, other, 1e-3, false)).as(what)
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void forwardGivesTheLogitsExplainComputes() {
        Nd4j.getRandom().setSeed(9);
        Graph net = Graph.sequential(Shape.of(2, 9, 9))
                .conv("c1", Conv2d.of(Nd4j.randn(DataType.FLOAT, 4, 2, 3, 3), Nd4j.zeros(DataType.FLOAT, 4)).withPadding(1))
                .relu().maxPool(3, 3).flatten()
                .dense("fc", Nd4j.randn(DataType.FLOAT, 36, 3), null).build();
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 2, 9, 9);
        Explainer ex = Explainer.of(net).rule(Rules.Z_PLUS);
        INDArray logits = ex.forward(x);
        assertThat(logits.shape()).containsExactly(3, 3);
        try (Explanation e = ex.explain(x)) {
            assertThat(logits).isEqualTo(e.logits());
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ex.forward(Nd4j.rand(DataType.FLOAT, 1, 2, 8, 9)))
                .isInstanceOf(io.github.dtd4j.errors.InvalidInputException.class);
    }
}
