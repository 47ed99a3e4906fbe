package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertSameValues;
import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.rules.ReferenceGraph.MaxPoolTreatment;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.NodeInfo;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rules for the nodes without weights, chosen node by node through selectors (kind, name, pattern, range,
 * predicate): which rule each node gets (precedence, ties, kinds a rule does not accept, defaults below them all), what
 * the coverage report and the ledger say, and — against the whole-graph loop reference {@link ReferenceGraph} —
 * that the heatmap is the one the per-node choices define, including mixes the global settings cannot express.
 */
class NodeSelectorTest {
    private static final double EPS = 1e-9;
    private static final Set<Class<? extends Layer>> SUM_KINDS = Set.of(Add.class, SumPool.class, AvgPool2d.class,
            AdaptiveAvgPool2d.class, GlobalAvgPool.class);

    /**
     * stem conv → relu → pool1 (max) → block (conv, relu, conv, + pool1 = b.add, signed) → b.relu → three heads:
     * pool2 (max) | adapt (adaptive average, 3×3) | avg (average, no padding counted, on the signed b.add) → gap;
     * concatenated, sum-pooled in pairs, dense to 3 classes. Every sum kind and two max-poolings.
     */
    private static Graph graph() {
        SplittableRandom rnd = new SplittableRandom(21);
        return Graph.builder(Shape.of(2, 8, 8))
                .add("stem", conv(rnd, 4, 2), "input")
                .add("stem.relu", new Relu(), "stem")
                .add("pool1", MaxPool2d.of(2, 2), "stem.relu")                             // [4,4,4]
                .add("b.conv1", conv(rnd, 4, 4), "pool1")
                .add("b.relu1", new Relu(), "b.conv1")
                .add("b.conv2", conv(rnd, 4, 4), "b.relu1")
                .add("b.add", new Add(), "b.conv2", "pool1")
                .add("b.relu", new Relu(), "b.add")
                .add("pool2", new MaxPool2d(3, 3, 2, 2, 1, 1, 1, 1), "b.relu")             // [4,2,2]
                .add("adapt", new AdaptiveAvgPool2d(3, 3), "b.relu")                       // [4,3,3]
                .add("avg", new AvgPool2d(3, 3, 1, 1, 1, 1, 1, 1, false), "b.add")         // [4,4,4]
                .add("gap", new GlobalAvgPool(), "avg")                                    // [4,1,1]
                .add("f1", new Flatten(), "pool2")
                .add("f2", new Flatten(), "adapt")
                .add("f3", new Flatten(), "gap")
                .add("cat", Concat.channels(), "f1", "f2", "f3")                           // [16+36+4]
                .add("pairs", new SumPool(2), "cat")                                       // [28]
                .add("fc", Dense.of(gaussian(rnd, 0.3, 28, 3), gaussian(rnd, 0.1, 3).mul(-1).add(-0.05)), "pairs")
                .build();
    }

    private static Conv2d conv(SplittableRandom rnd, int out, int in) {
        return Conv2d.of(gaussian(rnd, Math.sqrt(2.0 / (9 * in)), out, in, 3, 3), gaussian(rnd, 0.05, out))
                .withPadding(1);
    }

    private static final Graph G = graph();
    private static final INDArray X = ApiTestSupport.uniform(new SplittableRandom(22), 0, 1, 2, 2, 8, 8);

    /** z^B on the stem, z⁺ on the other linear layers: the rules ReferenceGraph implements. */
    private static Explainer base() {
        return Explainer.of(G).precision(Precision.FLOAT64).stabilizer(EPS).rule(Rules.Z_PLUS)
                .rule(Selector.first(), Rules.zBox(0, 1));
    }

    private static void assertMatchesReference(String what, Explainer ex, Predicate<String> positive,
                                               Function<String, MaxPoolTreatment> maxPool) {
        Explanation e = ex.explain(X);
        double[][] ref = ReferenceGraph.inputRelevance(G, X, e.targets(), "stem", 0, 1,
                (Node n) -> positive.test(n.name()), (Node n) -> maxPool.apply(n.name()), EPS);
        ReferenceGraph.assertAgrees(what, e.inputRelevance(), ref, 1e-9, true);
        // and the reference does tell the choices apart: the same sweep with another choice gives other numbers
        double[][] other = ReferenceGraph.inputRelevance(G, X, e.targets(), "stem", 0, 1,
                (Node n) -> !positive.test(n.name()), (Node n) -> maxPool.apply(n.name()), EPS);
        assertThat(maxDiff(ref, other)).as("%s: the sum choices matter on this input", what).isGreaterThan(1e-6);
    }

    private static double maxDiff(double[][] a, double[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- heatmaps of per-node choices

    @Test
    void positiveSplitAtTheResidualSumOnlyWhilePoolsStaySigned() {
        Explainer ex = base().rule(Selector.kind(Add.class), Propagations.proportionalPositive());
        assertMatchesReference("Add positive, pools signed", ex, "b.add"::equals, n -> MaxPoolTreatment.WINNER);
        assertThat(ex.coverage().propagationOf("b.add")).isEqualTo("proportional, positive parts");
        assertThat(ex.coverage().propagationOf("avg")).isEqualTo("proportional");
        assertThat(ex.coverage().propagationOf("pairs")).isEqualTo("proportional");
    }

    @Test
    void signedResidualSumUnderAGlobalPositiveSplit() {
        Explainer ex = base().sumSplit(SumSplit.POSITIVE)
                .rule(Selector.where("the residual sum", n -> n.layer() instanceof Add), Propagations.proportional());
        assertMatchesReference("pools positive, Add signed", ex, n -> !n.equals("b.add"),
                n -> MaxPoolTreatment.WINNER);
    }

    @Test
    void eachMaxPoolingAndEachPoolingItsOwnTreatment() {
        Explainer ex = base()
                .rule(Selector.name("pool1"), Propagations.maxPoolAsSum())
                .rule(Selector.namePattern("pool[2-9]"), Propagations.maxPoolAsSumPositive())
                .rule(Selector.kind(AvgPool2d.class, GlobalAvgPool.class), Propagations.proportionalPositive())
                .rule(Selector.range("cat", "pairs"), Propagations.proportionalPositive());
        Map<String, MaxPoolTreatment> pools = Map.of("pool1", MaxPoolTreatment.SUM_SIGNED, "pool2",
                MaxPoolTreatment.SUM_POSITIVE);
        assertMatchesReference("mixed pools", ex, Set.of("avg", "gap", "pairs")::contains, pools::get);
        Coverage c = ex.coverage();
        assertThat(c.propagationOf("pool1")).isEqualTo("proportional (as sum)");
        assertThat(c.propagationOf("pool2")).isEqualTo("proportional (as sum), positive parts");
        assertThat(c.propagationOf("adapt")).isEqualTo("proportional");
        assertThat(c.propagationOf("cat")).isEqualTo("split (exact)");
    }

    @Test
    void winnerTakesAllForOneMaxPoolingUnderTheProportionalMode() {
        Explainer ex = base().maxPool(MaxPoolMode.PROPORTIONAL)
                .rule(Selector.range("b.relu", "pool2"), Propagations.winnerTakesAll());
        assertMatchesReference("pool1 as sum, pool2 winner", ex, n -> false,
                n -> n.equals("pool1") ? MaxPoolTreatment.SUM_SIGNED : MaxPoolTreatment.WINNER);
    }

    // ---------------------------------------------------------------- global settings are presets of rules

    private static void assertSameHeatmaps(String what, Explainer a, Explainer b) {
        Explanation ea = a.explain(X);
        Explanation eb = b.explain(X);
        assertSameValues(what, ea.inputRelevance(), eb.inputRelevance());
        for (Node n : G.nodes()) {
            assertThat(a.coverage().propagationOf(n.name())).as("%s: %s", what, n.name())
                    .isEqualTo(b.coverage().propagationOf(n.name()));
        }
    }

    @SuppressWarnings("unchecked")
    private static Selector sumKinds() {
        return Selector.kind(SUM_KINDS.toArray(Class[]::new));
    }

    @Test
    void globalSumSplitEqualsAssigningTheRuleToEverySumKind() {
        assertSameHeatmaps("sumSplit(POSITIVE)", base().sumSplit(SumSplit.POSITIVE),
                base().rule(sumKinds(), Propagations.proportionalPositive()));
        assertSameHeatmaps("sumSplit(SIGNED)", base().sumSplit(SumSplit.SIGNED),
                base().rule(sumKinds(), Propagations.proportional()));
        // and it is the reference's positive split
        assertMatchesReference("sumSplit(POSITIVE)", base().sumSplit(SumSplit.POSITIVE), n -> true,
                n -> MaxPoolTreatment.WINNER);
    }

    @Test
    void globalMaxPoolModeEqualsAssigningTheRuleToEveryMaxPooling() {
        assertSameHeatmaps("maxPool(PROPORTIONAL)", base().maxPool(MaxPoolMode.PROPORTIONAL),
                base().rule(Selector.kind(MaxPool2d.class), Propagations.maxPoolAsSum()));
        assertSameHeatmaps("maxPool(WINNER_TAKES_ALL)", base().maxPool(MaxPoolMode.WINNER_TAKES_ALL),
                base().rule(Selector.kind(MaxPool2d.class), Propagations.winnerTakesAll()));
        // with the positive split the proportional max-pooling takes positive parts too
        assertSameHeatmaps("maxPool(PROPORTIONAL) + sumSplit(POSITIVE)",
                base().maxPool(MaxPoolMode.PROPORTIONAL).sumSplit(SumSplit.POSITIVE),
                base().rule(Selector.kind(MaxPool2d.class), Propagations.maxPoolAsSumPositive())
                        .rule(sumKinds(), Propagations.proportionalPositive()));
        // the gradient routes a max-pooling's relevance to the same winner
        assertSameValues("gradient at max-pooling", base().explain(X).inputRelevance(),
                base().rule(Selector.kind(MaxPool2d.class), Propagations.gradient()).explain(X).inputRelevance());
    }

    // ---------------------------------------------------------------- precedence

    /** A rule that does what another does, under its own name (to see which assignment won). */
    record Tagged(String name, Rule inner) implements Rule {
        @Override
        public boolean accepts(Layer layer) {
            return inner.accepts(layer);
        }

        @Override
        public void check(NodeInfo node) {
            inner.check(node);
        }

        @Override
        public boolean usesOutput() {
            return inner.usesOutput();
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return inner.propagate(ctx);
        }
    }

    private static Rule tag(String name) {
        return new Tagged(name, Propagations.proportional());
    }

    private static Coverage.Row row(Explainer e, String node) {
        return e.coverage().rows().stream().filter(r -> r.node().equals(node)).findFirst().orElseThrow();
    }

    private static void assertChosen(Explainer e, String node, String rule, String reason) {
        Coverage.Row r = row(e, node);
        assertThat(r.propagation()).as("%s: rule", node).isEqualTo(rule);
        assertThat(r.reason()).as("%s: reason", node).isEqualTo(reason);
    }

    @Test
    void eachLevelBeatsTheNextWhateverTheOrder() {
        Selector all = Selector.all();
        Selector kind = Selector.kind(Add.class);
        Selector pattern = Selector.namePattern("b\\..*");
        Selector name = Selector.name("b.add");
        List<Selector> levels = List.of(all, kind, pattern, name);
        List<String> reasons = List.of("selected by all", "selected by kind Add", "selected by name pattern /b\\..*/",
                "selected by name [b.add]");
        for (int top = 0; top < levels.size(); top++) {
            // levels 0..top are assigned, most specific first, then least specific first: the top one wins
            Explainer down = base();
            for (int k = top; k >= 0; k--) {
                down = down.rule(levels.get(k), tag("level " + k));
            }
            Explainer up = base();
            for (int k = 0; k <= top; k++) {
                up = up.rule(levels.get(k), tag("level " + k));
            }
            assertChosen(down, "b.add", "level " + top, reasons.get(top));
            assertChosen(up, "b.add", "level " + top, reasons.get(top));
        }
        // the defaults come below all(): without any assignment to it, the Add has its default
        assertChosen(base(), "b.add", "proportional", "default");
        assertChosen(base().sumSplit(SumSplit.POSITIVE), "b.add", "proportional, positive parts", "default");
        assertChosen(base().sumSplit(SumSplit.POSITIVE).rule(Selector.all(), tag("all")), "b.add", "all",
                "selected by all");
    }

    @Test
    void patternRangeAndPredicateAreEquallySpecificAndTheLastAddedWins() {
        Selector pattern = Selector.namePattern("b\\.add");
        Selector range = Selector.range("b.conv2", "b.relu");
        Selector where = Selector.where("sums of two", n -> n.inputNames().size() == 2);
        List<Selector> three = List.of(pattern, range, where);
        for (int last = 0; last < 3; last++) {
            Explainer e = base().rule(Selector.kind(Add.class), tag("kind"));
            for (int k = 1; k <= 3; k++) {
                Selector s = three.get((last + k) % 3);
                e = e.rule(s, tag(s.toString()));
            }
            Selector winner = three.get(last);
            assertChosen(e, "b.add", winner.toString(), "selected by " + winner);
        }
        assertThat(where.toString()).isEqualTo("where sums of two");
        assertThat(range.toString()).isEqualTo("range b.conv2..b.relu");
        // ties at the kind level and at the name level
        assertChosen(base().rule(Selector.kind(Add.class), tag("a")).rule(Selector.kind(Add.class, SumPool.class),
                tag("b")), "b.add", "b", "selected by kind Add|SumPool");
        assertChosen(base().rule(Selector.name("b.add", "avg"), tag("a")).rule(Selector.name("b.add"), tag("b")),
                "b.add", "b", "selected by name [b.add]");
        assertChosen(base().rule(Selector.name("b.add", "avg"), tag("a")).rule(Selector.name("b.add"), tag("b")),
                "avg", "a", "selected by name [avg, b.add]");
    }

    @Test
    void firstBeatsPatternsAndLosesToNames() {
        Explainer e = base().rule(Selector.namePattern("stem|b\\.conv1"), Rules.W_SQUARE);
        // base() assigned first() before the pattern: first() still wins at the stem, the pattern at b.conv1
        assertChosen(e, "stem", "rule zB[0.0,1.0]", "selected by first");
        assertChosen(e, "b.conv1", "rule w^2", "selected by name pattern /stem|b\\.conv1/");
        assertChosen(e.rule(Selector.name("stem"), Rules.FLAT), "stem", "rule flat", "selected by name [stem]");
        assertChosen(base().rule(Selector.range("input", "stem"), Rules.FLAT), "stem", "rule zB[0.0,1.0]",
                "selected by first");
    }

    @Test
    void aSelectorAppliesOnlyWhereTheRuleAcceptsTheKind() {
        // winner-take-all accepts max-pooling only: the Add matched by the same selector keeps its default
        Explainer e = base().rule(Selector.kind(Add.class, MaxPool2d.class), Propagations.winnerTakesAll())
                .rule(Selector.namePattern(".*"), Propagations.maxPoolAsSum());
        assertChosen(e, "pool1", "proportional (as sum)", "selected by name pattern /.*/");
        assertChosen(e, "b.add", "proportional", "default");
        assertChosen(e, "b.relu", "pass-through", "default");
        assertChosen(e, "stem", "rule zB[0.0,1.0]", "selected by first");
        // a more specific selector whose rule does not accept the node does not hide a less specific one that does
        Explainer f = base().rule(Selector.kind(MaxPool2d.class), Propagations.maxPoolAsSum())
                .rule(Selector.namePattern("pool1|b\\.add"), Propagations.proportionalPositive());
        assertChosen(f, "pool1", "proportional (as sum)", "selected by kind MaxPool2d");
        assertChosen(f, "b.add", "proportional, positive parts", "selected by name pattern /pool1|b\\.add/");
        // by name, a rule that does not accept the node is a mistake, reported with the node and its kind
        assertThatThrownBy(() -> base().rule(Selector.name("b.add"), Propagations.winnerTakesAll()).compile())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'b.add' (Add)")
                .hasMessageContaining("winner-take-all");
        // a predicate that fails is reported with the selector and the node
        assertThatThrownBy(() -> base().rule(Selector.where("broken", n -> {
            throw new IllegalStateException("no");
        }), Propagations.proportional()).compile()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("where broken");
        // a range whose end does not depend on its start
        assertThatThrownBy(() -> base().rule(Selector.range("pool2", "adapt"), Propagations.proportional())
                .compile()).isInstanceOf(ConfigurationException.class).hasMessageContaining("pool2");
    }

    @Test
    void theLedgerRecordsTheRuleThatRan() {
        Explainer e = base().rule(Selector.kind(Add.class), tag("kind"))
                .rule(Selector.where("global pooling", n -> n.layer() instanceof GlobalAvgPool), tag("where"))
                .rule(Selector.name("pairs"), tag("name"));
        Explanation ex = e.explain(X);
        assertThat(ex.ledger().entry("b.add").orElseThrow().propagation()).isEqualTo("kind");
        assertThat(ex.ledger().entry("gap").orElseThrow().propagation()).isEqualTo("where");
        assertThat(ex.ledger().entry("pairs").orElseThrow().propagation()).isEqualTo("name");
        assertThat(ex.ledger().entry("avg").orElseThrow().propagation()).isEqualTo("proportional");
        // tagged rules compute what they wrap: the heatmap is the default one
        assertSameValues("tags change nothing", ex.inputRelevance(), base().explain(X).inputRelevance());
        assertThat(X.dataType()).isEqualTo(DataType.DOUBLE);
    }
}
