package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The spot-check reference the full-size model tests rely on ({@link ReferenceSpots}) agrees with the library where
 * the whole-graph reference does, and fails when the reference is told a different rule or split than the explainer
 * ran: at a single inner layer, on networks with residual sums, concatenations and pooling.
 */
class ReferenceSpotsTest {
    private static final int NETS = 4;
    private static java.util.List<ResidualProperties.Net> nets;

    /**
     * {@return the first {@link #NETS} random networks whose reference heatmap is not zero for any element} (a
     * heatmap of zeros agrees with too much: with every unit below the head dead, all of f(x) goes to the stabilizer)
     */
    static synchronized java.util.List<ResidualProperties.Net> nets() {
        if (nets != null) {
            return nets;
        }
        nets = new java.util.ArrayList<>();
        for (long seed = 1; nets.size() < NETS; seed++) {
            ResidualProperties.Net n = ResidualProperties.build(seed, true);
            INDArray f = Explainer.of(n.graph()).preset(Presets.dtd(0, 1)).precision(Precision.FLOAT64).forward(n.x());
            int[] top = new int[(int) f.size(0)];
            for (int b = 0; b < top.length; b++) {
                top[b] = f.getRow(b).argMax().getInt(0);
            }
            boolean allNonZero = true;
            for (double[] r : ReferenceGraph.inputRelevance(n.graph(), n.x(), top, ReferenceGraph.Setup.dtd(n.graph(),
                    0, 1))) {
                allNonZero &= java.util.Arrays.stream(r).anyMatch(v -> v != 0);
            }
            if (allNonZero) {
                nets.add(n);
            }
        }
        return nets;
    }

    @Test
    void agreesOnRandomResidualNetworksInBothPrecisionsAndBothSplits() {
        int checked = 0;
        long seed = 0;
        for (ResidualProperties.Net n : nets()) {
            seed++;
            for (SumSplit split : SumSplit.values()) {
                Explainer ex = Explainer.of(n.graph()).preset(Presets.dtd(0, 1)).sumSplit(split).recordLayers(true);
                ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(n.graph(), 0, 1)
                        .withPositiveSplit(split == SumSplit.POSITIVE);
                Explainer f64 = ex.precision(Precision.FLOAT64);
                try (Explanation e = f64.explain(n.x())) {
                    ReferenceSpots.Report r = ReferenceSpots.assertAgrees(n + ", " + split, f64.compiledGraph(), n.x(), e, s,
                            6, seed, 1e-9);
                    checked += r.positions();
                    // the whole-graph reference agrees too: the two references describe the same thing
                    ReferenceGraph.assertAgrees(n + ", " + split, e.inputRelevance(), ReferenceGraph.inputRelevance(
                            f64.compiledGraph(), n.x(), e.targets(), s), 1e-9, true);
                }
                INDArray x32 = n.x().castTo(DataType.FLOAT);
                try (Explanation e = ex.explain(x32)) {
                    ReferenceSpots.assertAgrees(n + ", " + split + ", float32", ex.compiledGraph(), x32, e, s, 6, seed, 1e-4);
                }
            }
        }
        assertThat(checked).isGreaterThan(NETS * 2 * 6 * 5);
    }

    @Test
    void agreesForEveryRuleAndFailsForTheNextOne() {
        Graph net = SmokeTest.convNet();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 9, 9);
        int[] targets = {2, 0};
        for (int i = 0; i < SmokeTest.RULES.size(); i++) {
            int k = i;
            SmokeTest.Case c = SmokeTest.RULES.get(k);
            SmokeTest.Case other = SmokeTest.RULES.get((k + 1) % SmokeTest.RULES.size());
            Explainer ex = Explainer.of(net).precision(Precision.FLOAT64).rule(c.rule()).recordLayers(true);
            try (Explanation e = ex.explain(x, targets)) {
                ReferenceSpots.assertAgrees(c.name(), ex.compiledGraph(), x, e, ReferenceGraph.Setup.uniform(net, c.ref()), 8,
                        k, 1e-9);
                // the explanation of "fc" under the other rule: the value fc reads is where it shows
                assertThatThrownBy(() -> ReferenceSpots.assertAgrees(c.name(), ex.compiledGraph(), x, e,
                        ReferenceGraph.Setup.uniform(net, c.ref()).withRule("fc", other.ref()), 8, k, 1e-3))
                        .isInstanceOf(AssertionError.class).hasMessageContaining("(read by [fc])");
            }
        }
    }

    @Test
    void failsWhenOneInnerLayerOrTheSplitIsNotWhatTheExplainerRan() {
        long i = 0;
        int withAdd = 0;
        for (ResidualProperties.Net n : nets()) {
            long seed = ++i;
            Explainer ex = Explainer.of(n.graph()).preset(Presets.dtd(0, 1)).precision(Precision.FLOAT64)
                    .recordLayers(true);
            ReferenceGraph.Setup s = ReferenceGraph.Setup.dtd(n.graph(), 0, 1);
            Node inner = n.graph().nodes().stream().filter(Node::isLinear).filter(l -> !l.name().equals("stem"))
                    .findFirst().orElseThrow();
            try (Explanation e = ex.explain(n.x())) {
                assertThatThrownBy(() -> ReferenceSpots.assertAgrees(n.toString(), ex.compiledGraph(), n.x(), e,
                        s.withRule(inner.name(), new ReferenceLrp.Epsilon(0.5)), 6, seed, 1e-3))
                        .as(n + ": ε at " + inner.name()).isInstanceOf(AssertionError.class)
                        .hasMessageContaining(inner.name());
                boolean signedSums = n.graph().nodes().stream().anyMatch(l -> l.layer() instanceof Add);
                if (signedSums) {
                    withAdd++;
                    assertThatThrownBy(() -> ReferenceSpots.assertAgrees(n.toString(), ex.compiledGraph(), n.x(), e,
                            s.withPositiveSplit(true), 6, seed, 1e-3)).as(n + ": positive split")
                            .isInstanceOf(AssertionError.class);
                }
            }
        }
        assertThat(withAdd).as("networks with a residual Add").isPositive();
    }
}
