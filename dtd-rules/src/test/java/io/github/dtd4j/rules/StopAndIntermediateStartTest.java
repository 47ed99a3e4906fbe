package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertClose;
import static io.github.dtd4j.rules.ApiTestSupport.assertSameValues;
import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static io.github.dtd4j.rules.ApiTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sweeps that end at a node ({@link Explainer#stopAt}) or start at one ({@link Start#relevance(String, INDArray)}),
 * against the full sweep recorded node by node ({@code recordLayers(true)}): stopping at n gives exactly the
 * relevance the full sweep has at n's output (on any graph: the nodes above n are the same); starting at n with that
 * relevance gives exactly the full input relevance where every path from the input to the output passes through n;
 * the ledgers agree node by node; bad stop nodes are configuration errors.
 */
class StopAndIntermediateStartTest {

    private static Conv2d conv(SplittableRandom rnd, int out, int in, int k) {
        return Conv2d.of(gaussian(rnd, Math.sqrt(2.0 / (in * k * k)), out, in, k, k), gaussian(rnd, 0.05, out).subi(
                0.05)).withPadding(k / 2);
    }

    /** c1 → r1 → mp → c2 → r2 → flat → d1 → r3 → d2. */
    private static Graph chain() {
        SplittableRandom rnd = new SplittableRandom(31);
        return Graph.sequential(Shape.of(2, 8, 8))
                .conv("c1", conv(rnd, 4, 2, 3)).then("r1", new Relu()).then("mp", MaxPool2d.of(2, 2))
                .conv("c2", conv(rnd, 4, 4, 3)).then("r2", new Relu()).then("flat", new Flatten())
                .dense("d1", gaussian(rnd, 0.2, 64, 10), gaussian(rnd, 0.05, 10)).then("r3", new Relu())
                .dense("d2", gaussian(rnd, 0.3, 10, 3), null)
                .build();
    }

    /** stem → block (conv1 → relu1 → conv2) + projection shortcut → add → relu → gap → flat → fc. */
    private static Graph residual() {
        SplittableRandom rnd = new SplittableRandom(32);
        return Graph.builder(Shape.of(2, 6, 6))
                .add("stem", conv(rnd, 3, 2, 3), "input")
                .add("stem.relu", new Relu(), "stem")
                .add("b.conv1", conv(rnd, 3, 3, 3), "stem.relu")
                .add("b.relu1", new Relu(), "b.conv1")
                .add("b.conv2", conv(rnd, 4, 3, 3), "b.relu1")
                .add("b.proj", conv(rnd, 4, 3, 1), "stem.relu")
                .add("b.add", new Add(), "b.conv2", "b.proj")
                .add("b.relu", new Relu(), "b.add")
                .add("gap", new GlobalAvgPool(), "b.relu")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(gaussian(rnd, 0.5, 4, 3), gaussian(rnd, 0.05, 3)), "flat")
                .build();
    }

    private static INDArray input(Graph g, long seed) {
        return ApiTestSupport.uniform(new SplittableRandom(seed), 0, 1, g.inputShape().withBatch(2));
    }

    private static Explainer explainer(Graph g) {
        return Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.epsilon(0.01))
                .rule(Selector.conv(), Rules.Z_PLUS).rule(Selector.first(), Rules.zBox(0, 1)).recordLayers(true);
    }

    /** The graphs of the tests: two built here, two random residual/dense-block networks. */
    private static List<Graph> graphs() {
        return List.of(chain(), residual(), ResidualProperties.build(41, true).graph(),
                ResidualProperties.build(43, true).graph());
    }

    /** {@return whether every path from the input to the output passes through {@code n}} */
    private static boolean everyPathPassesThrough(Graph g, String n) {
        Set<String> below = new HashSet<>(g.descendants(n));
        for (String d : below) {
            for (String in : g.node(d).orElseThrow().inputs()) {
                if (!in.equals(n) && !below.contains(in)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void assertSameEntry(String what, LedgerEntry got, LedgerEntry expected) {
        assertThat(got.propagation()).as(what).isEqualTo(expected.propagation());
        assertThat(got.in()).as("%s: in", what).containsExactly(expected.in());
        assertThat(got.out()).as("%s: out", what).containsExactly(expected.out());
        assertThat(got.bias()).as("%s: bias", what).containsExactly(expected.bias());
        assertThat(got.stabilizer()).as("%s: stabilizer", what).containsExactly(expected.stabilizer());
    }

    private static double[] perSample(INDArray a) {
        double[] v = values(a);
        int n = (int) a.size(0);
        double[] s = new double[n];
        for (int i = 0; i < v.length; i++) {
            s[i / (v.length / n)] += v[i];
        }
        return s;
    }

    @Test
    void stoppingAtANodeGivesTheRelevanceTheFullSweepHasThere() {
        for (Graph g : graphs()) {
            INDArray x = input(g, 33);
            Explainer ex = explainer(g);
            Explanation full = ex.explain(x);
            assertThat(full.end()).isEqualTo(g.inputName());
            for (Node node : g.nodes()) {
                String n = node.name();
                Explanation stop = ex.stopAt(n).explain(x);
                String what = "stop at " + n + " in\n" + g;
                assertThat(stop.end()).as(what).isEqualTo(n);
                assertSameValues(what, stop.inputRelevance(), full.layerRelevance(n).orElseThrow());
                assertThat(stop.layerRelevance(n)).as(what).isPresent();
                assertThat(stop.explainedScores()).as(what).containsExactly(full.explainedScores());
                assertThat(stop.targets()).as(what).containsExactly(full.targets());
                assertClose(what + ": ledger sum at the stop", stop.ledger().inputSums(),
                        perSample(full.layerRelevance(n).orElseThrow()), 1e-12, 1);
                // the ledger has the nodes above n, each as in the full sweep
                Set<String> above = stop.ledger().entries().stream().map(LedgerEntry::node).collect(Collectors.toSet());
                assertThat(above).as(what).isEqualTo(g.descendants(n));
                for (LedgerEntry entry : stop.ledger().entries()) {
                    assertSameEntry(what + ", entry " + entry.node(), entry,
                            full.ledger().entry(entry.node()).orElseThrow());
                }
                if (everyPathPassesThrough(g, n)) {
                    // nothing leaves by a shortcut: the stopped sweep balances like the full one
                    double[] imbalance = stop.ledger().imbalance();
                    double scale = Math.abs(full.explainedScores()[0]) + Math.abs(full.explainedScores()[1]);
                    assertClose(what + ": imbalance", imbalance, new double[imbalance.length], 1e-9, scale);
                }
            }
            // the input's name, or null, is the default
            assertSameValues("stopAt(input)", ex.stopAt(g.inputName()).explain(x).inputRelevance(),
                    full.inputRelevance());
            assertSameValues("stopAt(null)", ex.stopAt("b.relu").stopAt(null).explain(x).inputRelevance(),
                    full.inputRelevance());
        }
    }

    @Test
    void startingAtANodeWithItsRelevanceReproducesTheFullSweep() {
        int cuts = 0;
        for (Graph g : graphs()) {
            INDArray x = input(g, 34);
            Explainer ex = explainer(g);
            Explanation full = ex.explain(x);
            for (Node node : g.nodes()) {
                String n = node.name();
                if (!everyPathPassesThrough(g, n)) {
                    continue;
                }
                cuts++;
                INDArray rn = full.layerRelevance(n).orElseThrow();
                Explanation e = ex.explain(x, Start.relevance(n, rn));
                String what = "start at " + n + " in\n" + g;
                assertThat(e.end()).isEqualTo(g.inputName());
                assertSameValues(what, e.inputRelevance(), full.inputRelevance());
                // Σ R_n, summed at once here and sender by sender in the full sweep (where n fans out)
                assertClose(what + ": start", e.explainedScores(), full.ledger().entry(n).orElseThrow().in(), 1e-12,
                        1);
                assertThat(e.ledger().inputSums()).as(what).containsExactly(full.ledger().inputSums());
                assertThat(e.ledger().entries().stream().map(LedgerEntry::node).collect(Collectors.toSet()))
                        .as(what).isEqualTo(union(g.ancestors(n), n, g.inputName()));
                for (LedgerEntry entry : e.ledger().entries()) {
                    LedgerEntry expected = full.ledger().entry(entry.node()).orElseThrow();
                    if (entry.node().equals(n)) {
                        // what arrived at n: summed at once here, sender by sender in the full sweep
                        assertClose(what + ", entry " + n + ": in", entry.in(), expected.in(), 1e-12, 1);
                        assertThat(entry.out()).as("%s, entry %s: out", what, n).containsExactly(expected.out());
                    } else {
                        assertSameEntry(what + ", entry " + entry.node(), entry, expected);
                    }
                }
                // start at n and stop further down: the full sweep's relevance there
                for (String m : g.ancestors(n)) {
                    if (!m.equals(g.inputName()) && everyPathPassesThrough(g, m)) {
                        assertSameValues(what + ", stop at " + m, ex.stopAt(m).explain(x, Start.relevance(n, rn))
                                .inputRelevance(), full.layerRelevance(m).orElseThrow());
                    }
                }
            }
        }
        assertThat(cuts).isGreaterThan(15);
    }

    private static Set<String> union(Set<String> a, String n, String without) {
        Set<String> s = new HashSet<>(a);
        s.add(n);
        s.remove(without);
        return s;
    }

    @Test
    void badStopNodesAreConfigurationErrors() {
        Graph g = residual();
        INDArray x = input(g, 35);
        Explainer unknown = explainer(g).stopAt("no.such.node");
        assertThatThrownBy(unknown::compile).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'no.such.node'");
        assertThatThrownBy(() -> unknown.explain(x)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'no.such.node'");
        // the start does not depend on the stop node: above it, or on a parallel branch
        INDArray r = explainer(g).activations(x).get("b.conv2");
        assertThatThrownBy(() -> explainer(g).stopAt("fc").explain(x, Start.relevance("b.conv2", r)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'b.conv2'")
                .hasMessageContaining("'fc'");
        assertThatThrownBy(() -> explainer(g).stopAt("b.proj").explain(x, Start.relevance("b.conv2", r)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'b.conv2'")
                .hasMessageContaining("'b.proj'");
        // and stopping at the start node itself hands back the start relevance
        assertSameValues("stop at the start", explainer(g).stopAt("b.conv2").explain(x, Start.relevance("b.conv2",
                r)).inputRelevance(), r);
    }
}
