package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertSameValues;
import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static io.github.dtd4j.rules.ApiTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weight-copy contract: an explainer takes its own copy of the model's arrays when it is compiled, so changing
 * the caller's arrays afterwards changes none of its results, while a new explainer sees the change; the compiled
 * graph holds none of the caller's arrays; and the values handed out (ledger entries, single-layer results,
 * targets, per-node relevance) are copies that the caller may change without effect.
 */
class WeightCopyContractTest {

    /** conv → BatchNorm → relu, + a shortcut conv, → add → relu → flatten → dense; every parameter kind. */
    private static Graph graph(DataType type) {
        SplittableRandom rnd = new SplittableRandom(61);
        return Graph.builder(Shape.of(2, 4, 4))
                .add("c1", Conv2d.of(gaussian(rnd, 0.5, 3, 2, 3, 3).castTo(type), gaussian(rnd, 0.1, 3).castTo(type))
                        .withPadding(1), "input")
                .add("bn", castBatchNorm(ApiTestSupport.batchNorm(rnd, 3), type), "c1")
                .add("r1", new Relu(), "bn")
                .add("c2", Conv2d.of(gaussian(rnd, 0.5, 3, 2, 1, 1).castTo(type), null), "input")
                .add("add", new Add(), "r1", "c2")
                .add("r2", new Relu(), "add")
                .add("flat", new Flatten(), "r2")
                .add("fc", Dense.of(gaussian(rnd, 0.3, 48, 3).castTo(type), gaussian(rnd, 0.1, 3).castTo(type)), "flat")
                .build();
    }

    private static BatchNorm castBatchNorm(BatchNorm b, DataType type) {
        return new BatchNorm(b.gamma().castTo(type), b.beta().castTo(type), b.mean().castTo(type),
                b.var().castTo(type), b.eps());
    }

    /** {@return every parameter array of the graph, in node order} */
    private static List<INDArray> parameters(Graph g) {
        List<INDArray> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            out.addAll(Graph.parameters(n.layer()));
        }
        return out;
    }

    /** Changes every parameter in place (variances stay positive). */
    private static void perturb(Graph g) {
        for (INDArray a : parameters(g)) {
            a.muli(1.5).addi(0.25);
        }
    }

    private static Explainer explainer(Graph g, Precision p, BatchNormMode mode) {
        return Explainer.of(g).precision(p).batchNorm(mode).rule(Rules.epsilon(0.1)).rule(Selector.conv(),
                Rules.Z_PLUS);
    }

    private static INDArray input() {
        return ApiTestSupport.uniform(new SplittableRandom(62), 0, 1, 2, 2, 4, 4);
    }

    /** The graph with its arrays duplicated (an independent model with the current values). */
    private static Graph duplicate(Graph g) {
        return io.github.dtd4j.graph.Rewrites.copy(g, Precision.of(parameters(g).get(0).dataType()));
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void aCompiledExplainerKeepsItsCopyAndANewOneSeesTheChange(Precision precision) {
        for (BatchNormMode mode : BatchNormMode.values()) {
            Graph g = graph(precision.dataType());
            INDArray x = input();
            Explainer compiled = explainer(g, precision, mode).compile();
            Explainer unused = explainer(g, precision, mode);
            Explanation before = compiled.explain(x, 1);
            INDArray logitsBefore = compiled.forward(x);
            Graph original = duplicate(g);

            perturb(g);

            String what = precision + ", " + mode;
            assertSameValues(what + ": heatmap after the change", compiled.explain(x, 1).inputRelevance(),
                    before.inputRelevance());
            assertSameValues(what + ": logits after the change", compiled.forward(x), logitsBefore);
            assertSameValues(what + ": activations after the change", compiled.activations(x).get("fc"),
                    logitsBefore);
            // the copy is the model as it was: an explainer of an untouched duplicate agrees to the bit
            assertSameValues(what + ": the copy is the old model", explainer(original, precision, mode)
                    .explain(x, 1).inputRelevance(), before.inputRelevance());

            // a new explainer, and one compiled only now, see the changed model
            Explanation fresh = explainer(g, precision, mode).explain(x, 1);
            assertThat(ApiTestSupport.maxAbs(values(fresh.logits().sub(logitsBefore)))).as(what).isGreaterThan(1e-3);
            assertSameValues(what + ": a new explainer", fresh.inputRelevance(), explainer(duplicate(g), precision,
                    mode).explain(x, 1).inputRelevance());
            assertSameValues(what + ": an explainer first used after the change", unused.explain(x, 1)
                    .inputRelevance(), fresh.inputRelevance());
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void theCompiledGraphHoldsNoneOfTheCallersArrays(Precision precision) {
        for (BatchNormMode mode : BatchNormMode.values()) {
            Graph g = graph(precision.dataType());
            Graph compiled = explainer(g, precision, mode).compiledGraph();
            Map<INDArray, Boolean> callers = new IdentityHashMap<>();
            parameters(g).forEach(a -> callers.put(a, true));
            List<INDArray> copies = parameters(compiled);
            assertThat(copies).isNotEmpty();
            List<double[]> valuesBefore = new ArrayList<>();
            for (INDArray a : copies) {
                assertThat(callers.containsKey(a)).as("%s, %s: a caller's array in the compiled graph", precision,
                        mode).isFalse();
                valuesBefore.add(values(a));
            }
            perturb(g);
            for (int i = 0; i < copies.size(); i++) {
                assertThat(values(copies.get(i))).as("%s, %s: compiled parameter %d after the caller's change",
                        precision, mode, i).containsExactly(valuesBefore.get(i));
            }
        }
    }

    @Test
    void ledgerEntriesAreValues() {
        double[] in = {1, 2};
        double[] out = {0.5, 1.5};
        double[] bias = {0.25, 0.25};
        double[] stab = {0.25, 0.25};
        double[] branch = {0.1, 0.2};
        Map<String, double[]> branches = new java.util.HashMap<>(Map.of("a", branch));
        LedgerEntry e = new LedgerEntry("n", "Add", "proportional", in, out, bias, stab, branches, 7);
        // the caller's arrays and map, changed after construction, change nothing
        in[0] = 99;
        out[0] = 99;
        bias[0] = 99;
        stab[0] = 99;
        branch[0] = 99;
        branches.put("b", new double[]{5, 5});
        assertThat(e.in()).containsExactly(1, 2);
        assertThat(e.out()).containsExactly(0.5, 1.5);
        assertThat(e.bias()).containsExactly(0.25, 0.25);
        assertThat(e.stabilizer()).containsExactly(0.25, 0.25);
        assertThat(e.branches()).containsOnlyKeys("a");
        assertThat(e.branches().get("a")).containsExactly(0.1, 0.2);
        // nor do changes to what it hands out
        e.in()[1] = 99;
        e.out()[1] = 99;
        e.bias()[1] = 99;
        e.stabilizer()[1] = 99;
        e.branches().get("a")[1] = 99;
        assertThat(e.in()).containsExactly(1, 2);
        assertThat(e.out()).containsExactly(0.5, 1.5);
        assertThat(e.bias()).containsExactly(0.25, 0.25);
        assertThat(e.stabilizer()).containsExactly(0.25, 0.25);
        assertThat(e.branches().get("a")).containsExactly(0.1, 0.2);
        assertThat(e.imbalance(0)).isEqualTo(0.0);
    }

    @Test
    void explanationsHandOutCopies() {
        Graph g = graph(DataType.DOUBLE);
        Explanation e = explainer(g, Precision.FLOAT64, BatchNormMode.FOLD).recordLayers(true).explain(input());
        Ledger ledger = e.ledger();
        LedgerEntry add = ledger.entry("add").orElseThrow();
        double[] addIn = add.in();
        Map<String, double[]> addBranches = add.branches();
        double[] start = ledger.start();
        int[] targets = e.targets();
        add.in()[0] = 99;
        add.branches().get("r1")[0] = 99;
        ledger.start()[0] = 99;
        ledger.inputSums()[0] = 99;
        e.targets()[0] = 99;
        e.explainedScores()[0] = 99;
        assertThat(ledger.entry("add").orElseThrow().in()).containsExactly(addIn);
        assertThat(ledger.entry("add").orElseThrow().branches().get("r1")).containsExactly(addBranches.get("r1"));
        assertThat(ledger.start()).containsExactly(start);
        assertThat(e.explainedScores()).containsExactly(start);
        assertThat(e.targets()).containsExactly(targets);
        // per-node relevance arrays are the caller's, each its own: writing one (a pass-through node's, whose
        // relevance the engine hands on unchanged) changes no other
        INDArray inputRelevance = e.inputRelevance().dup();
        INDArray r2 = e.layerRelevance("r2").orElseThrow().dup();
        INDArray add2 = e.layerRelevance("add").orElseThrow().dup();
        e.layerRelevance("flat").orElseThrow().assign(123);
        e.layerRelevance("r2").orElseThrow().addi(1);
        assertSameValues("add after writing r2", e.layerRelevance("add").orElseThrow(), add2);
        assertSameValues("r2 after writing flat", e.layerRelevance("r2").orElseThrow(), r2.add(1));
        e.layerRelevance("r1").orElseThrow().assign(7);
        e.layerRelevance("c2").orElseThrow().assign(7);
        assertSameValues("input relevance after writing r1, c2", e.inputRelevance(), inputRelevance);
        // and a later explanation is not affected by what was written into an earlier one
        Explanation again = explainer(g, Precision.FLOAT64, BatchNormMode.FOLD).explain(input());
        assertSameValues("a later explanation", again.inputRelevance(), inputRelevance);
    }

    @Test
    void singleLayerResultsAreValues() {
        SplittableRandom rnd = new SplittableRandom(63);
        Dense d = Dense.of(gaussian(rnd, 0.5, 4, 3), gaussian(rnd, 0.5, 3));
        INDArray x = ApiTestSupport.uniform(rnd, 0, 1, 2, 4);
        INDArray r = ApiTestSupport.uniform(rnd, 0, 1, 2, 3);
        INDArray xCopy = x.dup();
        INDArray rCopy = r.dup();
        LayerPropagation.Result res = LayerPropagation.apply(d, x, r, Rules.epsilon(0.1));
        // the input and relevance given to the layer are not written
        assertSameValues("x", x, xCopy);
        assertSameValues("r", r, rCopy);
        double[] bias = res.bias();
        double[] stab = res.stabilizer();
        res.bias()[0] = 99;
        res.stabilizer()[0] = 99;
        assertThat(res.bias()).containsExactly(bias);
        assertThat(res.stabilizer()).containsExactly(stab);
        double[] b = {1, 2};
        double[] s = {3, 4};
        double[] br = {5, 6};
        Map<String, double[]> branches = new java.util.HashMap<>(Map.of("in0", br));
        List<INDArray> rels = new ArrayList<>(List.of(x));
        LayerPropagation.Result made = new LayerPropagation.Result(rels, r, b, s, branches);
        b[0] = 99;
        s[0] = 99;
        br[0] = 99;
        branches.clear();
        rels.clear();
        assertThat(made.bias()).containsExactly(1, 2);
        assertThat(made.stabilizer()).containsExactly(3, 4);
        assertThat(made.branches().get("in0")).containsExactly(5, 6);
        assertThat(made.inputRelevances()).hasSize(1);
        made.branches().get("in0")[0] = 99;
        assertThat(made.branches().get("in0")).containsExactly(5, 6);
        // classes given to a start are copied in and out
        int[] classes = {1, 2};
        Start.Classes c = (Start.Classes) Start.classes(classes);
        classes[0] = 0;
        c.classes()[1] = 0;
        assertThat(c.classes()).containsExactly(1, 2);
        // so are the bounds of z^B
        double[] lo = {0};
        ZBoxRule z = Rules.zBox(lo, new double[]{1});
        lo[0] = -5;
        z.low()[0] = -7;
        assertThat(z.low()).containsExactly(0);
    }
    /**
     * A frozen graph's arrays are the explainer's own (no copy: the compiled graph holds them, BatchNorm's fold aside),
     * its explanations equal an unfrozen graph's, and a float64 explainer of it still casts; freezing keeps the graph
     * otherwise the same.
     */
    @ParameterizedTest
    @EnumSource(BatchNormMode.class)
    void aFrozenGraphIsUsedWithoutACopy(BatchNormMode mode) {
        Graph g = graph(DataType.FLOAT);
        Graph f = g.frozen();
        assertThat(f.isFrozen()).isTrue();
        assertThat(g.isFrozen()).isFalse();
        assertThat(f.frozen()).isSameAs(f);
        assertThat(f.withProvenance("note", "x").isFrozen()).isTrue();
        assertThat(f.nodes()).isEqualTo(g.nodes());
        Explainer shared = explainer(f, Precision.FLOAT32, mode).compile();
        Map<INDArray, Boolean> caller = new IdentityHashMap<>();
        parameters(f).forEach(a -> caller.put(a, true));
        // the dense layer is never folded: its arrays are the caller's own, not copies
        Node fc = shared.compiledGraph().node("fc").orElseThrow();
        assertThat(Graph.parameters(fc.layer())).allMatch(caller::containsKey);
        Explainer copied = explainer(g, Precision.FLOAT32, mode);
        assertThat(Graph.parameters(copied.compiledGraph().node("fc").orElseThrow().layer()))
                .noneMatch(caller::containsKey);
        try (Explanation a = shared.explain(input()); Explanation b = copied.explain(input())) {
            assertSameValues("frozen against copied", a.inputRelevance(), b.inputRelevance());
        }
        Explainer wide = explainer(f, Precision.FLOAT64, mode);
        assertThat(parameters(wide.compiledGraph())).noneMatch(caller::containsKey);
    }
}
