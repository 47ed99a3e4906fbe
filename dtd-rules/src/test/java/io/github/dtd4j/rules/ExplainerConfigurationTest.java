package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Preset;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** How an {@link Explainer} is configured: selectors, strictness, BatchNorm/MaxPool modes, immutability, records. */
class ExplainerConfigurationTest {
    private final Random rng = new Random(99);

    private INDArray randn(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c');
    }

    private INDArray positive(double lo, double hi, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rng.nextDouble();
        }
        return Nd4j.create(v, shape, 'c');
    }

    private BatchNorm bn(long c) {
        return new BatchNorm(positive(0.5, 1.5, c), randn(c), randn(c), positive(0.5, 1.5, c), 1e-5);
    }

    /** c1 -> relu -> c2 -> relu -> maxpool -> flatten -> fc: three linear layers. */
    private Graph three() {
        return Graph.sequential(Shape.of(2, 6, 6))
                .conv("c1", Conv2d.of(randn(3, 2, 3, 3), randn(3)).withPadding(1))
                .relu()
                .conv("c2", Conv2d.of(randn(3, 3, 3, 3), null).withPadding(1))
                .relu()
                .maxPool(2, 2)
                .flatten()
                .dense("fc", randn(27, 4), randn(4))
                .build();
    }

    private static String prop(Explainer e, String node) {
        return e.coverage().propagationOf(node);
    }

    private static Coverage.Row row(Explainer e, String node) {
        return e.coverage().rows().stream().filter(r -> r.node().equals(node)).findFirst().orElseThrow();
    }

    // ---------------------------------------------------------------- selector precedence

    @Test
    void moreSpecificSelectorsWin() {
        Explainer e = Explainer.of(three()).rule(Rules.Z_PLUS);
        assertThat(List.of(prop(e, "c1"), prop(e, "c2"), prop(e, "fc"))).containsOnly("rule z+");

        e = e.rule(Selector.conv(), Rules.W_SQUARE);
        assertThat(List.of(prop(e, "c1"), prop(e, "c2"), prop(e, "fc"))).containsExactly("rule w^2", "rule w^2",
                "rule z+");

        e = e.rule(Selector.first(), Rules.FLAT);
        assertThat(List.of(prop(e, "c1"), prop(e, "c2"), prop(e, "fc"))).containsExactly("rule flat", "rule w^2",
                "rule z+");

        e = e.rule(Selector.name("c1", "fc"), Rules.LRP_0);
        assertThat(List.of(prop(e, "c1"), prop(e, "c2"), prop(e, "fc"))).containsExactly("rule lrp0", "rule w^2",
                "rule lrp0");
        assertThat(row(e, "c1").reason()).contains("name");
        assertThat(row(e, "c2").reason()).contains("kind Conv2d");
    }

    @Test
    void precedenceDoesNotDependOnOrderAdded() {
        Explainer e = Explainer.of(three())
                .rule(Selector.name("c2"), Rules.LRP_0)
                .rule(Selector.first(), Rules.FLAT)
                .rule(Selector.dense(), Rules.W_SQUARE)
                .rule(Selector.conv(), Rules.ALPHA2_BETA1)
                .rule(Rules.Z_PLUS);
        assertThat(prop(e, "c1")).isEqualTo("rule flat");
        assertThat(prop(e, "c2")).isEqualTo("rule lrp0");
        assertThat(prop(e, "fc")).isEqualTo("rule w^2");
        assertThat(row(e, "c1").reason()).contains("first");
        assertThat(row(e, "fc").reason()).contains("kind Dense");
    }

    @Test
    void tiesGoToTheLastAdded() {
        Graph g = three();
        assertThat(prop(Explainer.of(g).rule(Rules.Z_PLUS).rule(Rules.W_SQUARE), "fc")).isEqualTo("rule w^2");
        assertThat(prop(Explainer.of(g).rule(Rules.W_SQUARE).rule(Rules.Z_PLUS), "fc")).isEqualTo("rule z+");
        Explainer types = Explainer.of(g).rule(Selector.conv(), Rules.FLAT).rule(Selector.kind(Conv2d.class),
                Rules.Z_PLUS).rule(Selector.dense(), Rules.LRP_0);
        assertThat(prop(types, "c2")).isEqualTo("rule z+");
        Explainer names = Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.name("c2"), Rules.FLAT)
                .rule(Selector.name("c1", "c2"), Rules.W_SQUARE);
        assertThat(prop(names, "c2")).isEqualTo("rule w^2");
        Explainer firsts = Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.W_SQUARE)
                .rule(Selector.first(), Rules.FLAT);
        assertThat(prop(firsts, "c1")).isEqualTo("rule flat");
        // a preset is a list of assignments like any other: a later, equally specific one overrides it
        Explainer preset = Explainer.of(g).preset(Presets.dtd(-3, 3)).rule(Selector.first(), Rules.W_SQUARE);
        assertThat(prop(preset, "c1")).isEqualTo("rule w^2");
        assertThat(prop(Explainer.of(g).preset(Presets.dtd(-3, 3)), "c1")).startsWith("rule zB");
    }

    // ---------------------------------------------------------------- Selector.first()

    @Test
    void firstWithTwoConvsReadingTheInput() {
        Graph g = Graph.builder(Shape.of(2, 5, 5))
                .add("a", Conv2d.of(randn(3, 2, 3, 3), null).withPadding(1), "input")
                .add("b", Conv2d.of(randn(3, 2, 1, 1), null), "input")
                .add("sum", new Add(), "a", "b")
                .add("r", new Relu(), "sum")
                .add("c", Conv2d.of(randn(3, 3, 1, 1), null), "r")
                .add("flat", new Flatten(), "c")
                .add("fc", new Dense(randn(75, 2), null), "flat")
                .build();
        Explainer e = Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.W_SQUARE);
        assertThat(prop(e, "a")).isEqualTo("rule w^2");
        assertThat(prop(e, "b")).isEqualTo("rule w^2");
        assertThat(prop(e, "c")).isEqualTo("rule z+");
        assertThat(prop(e, "fc")).isEqualTo("rule z+");
    }

    @Test
    void firstOnAResNetLikeBlock() {
        Graph g = Graph.builder(Shape.of(3, 8, 8))
                .add("stem", Conv2d.of(randn(4, 3, 3, 3), randn(4)).withPadding(1), "input")
                .add("stem.bn", bn(4), "stem")
                .add("stem.relu", new Relu(), "stem.bn")
                .add("pool", MaxPool2d.of(2, 2), "stem.relu")
                .add("b1", Conv2d.of(randn(4, 4, 3, 3), null).withPadding(1), "pool")
                .add("b1.relu", new Relu(), "b1")
                .add("b2", Conv2d.of(randn(4, 4, 3, 3), null).withPadding(1), "b1.relu")
                .add("down", Conv2d.of(randn(4, 4, 1, 1), null), "pool")
                .add("sum", new Add(), "b2", "down", "pool")
                .add("relu", new Relu(), "sum")
                .add("gap", new GlobalAvgPool(), "relu")
                .add("flat", new Flatten(), "gap")
                .add("fc", new Dense(randn(4, 3), randn(3)), "flat")
                .build();
        Explainer e = Explainer.of(g).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.FLAT);
        for (String n : List.of("b1", "b2", "down", "fc")) {
            assertThat(prop(e, n)).as(n).isEqualTo("rule z+");
        }
        assertThat(prop(e, "stem")).isEqualTo("rule flat");
        // the stem's BatchNorm was folded into it
        assertThat(e.compiledGraph().node("stem.bn")).isEmpty();
        // with the BatchNorm as an affine layer, the stem is still the first
        Explainer affine = e.batchNorm(BatchNormMode.AFFINE);
        assertThat(prop(affine, "stem")).isEqualTo("rule flat");
        assertThat(prop(affine, "stem.bn")).isEqualTo("rule z+");
    }

    @Test
    void firstLooksThroughPoolingAndSeesAffineBatchNorm() {
        Graph g = Graph.builder(Shape.of(2, 6, 6))
                .add("pool", MaxPool2d.of(2, 2), "input")
                .add("bn", bn(2), "pool")
                .add("conv", Conv2d.of(randn(3, 2, 3, 3), null), "bn")
                .add("flat", new Flatten(), "conv")
                .add("fc", new Dense(randn(3, 2), null), "flat")
                .build();
        // bypassed BatchNorm: the conv is the first linear layer
        Explainer bypass = Explainer.of(g).batchNorm(BatchNormMode.BYPASS).rule(Rules.Z_PLUS)
                .rule(Selector.first(), Rules.W_SQUARE);
        assertThat(prop(bypass, "conv")).isEqualTo("rule w^2");
        assertThat(prop(bypass, "bn")).isEqualTo("bypass");
        // affine BatchNorm: it is a linear layer of its own, and the first one
        Explainer affine = bypass.batchNorm(BatchNormMode.AFFINE);
        assertThat(prop(affine, "bn")).isEqualTo("rule w^2");
        assertThat(prop(affine, "conv")).isEqualTo("rule z+");
    }

    // ---------------------------------------------------------------- strictness

    @Test
    void missingRulesAreAllListedByNameAndKind() {
        Explainer e = Explainer.of(three()).rule(Selector.name("c2"), Rules.Z_PLUS);
        assertThatThrownBy(e::coverage)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'c1' (Conv2d)")
                .hasMessageContaining("'fc' (Dense)")
                .hasMessageNotContaining("'c2'")
                .hasMessageContaining("2 node(s)");
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 2, 6, 6);
        assertThatThrownBy(() -> e.explain(x)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'c1' (Conv2d)");
        assertThatThrownBy(() -> Explainer.of(three()).coverage()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("3 node(s)");
        // only the selector's kind is covered
        assertThatThrownBy(() -> Explainer.of(three()).rule(Selector.conv(), Rules.Z_PLUS).coverage())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'fc' (Dense)")
                .hasMessageNotContaining("Conv2d");
    }

    @Test
    void unknownNodeNameIsAConfigurationError() {
        Explainer e = Explainer.of(three()).rule(Rules.Z_PLUS).rule(Selector.name("c1", "conv9"), Rules.FLAT);
        assertThatThrownBy(e::coverage)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'conv9'")
                .hasMessageNotContaining("'c1'")
                .hasMessageContaining("c2");
        assertThatThrownBy(() -> Selector.name()).isInstanceOf(ConfigurationException.class);
    }

    // ---------------------------------------------------------------- BatchNorm modes

    /** conv -> bn1 -> relu -> bn2 -> conv2 -> relu -> flatten -> fc: bn1 can be folded, bn2 cannot. */
    private Graph withBatchNorms() {
        return Graph.builder(Shape.of(2, 5, 5))
                .add("c1", Conv2d.of(randn(3, 2, 3, 3), randn(3)).withPadding(1), "input")
                .add("bn1", bn(3), "c1")
                .add("relu1", new Relu(), "bn1")
                .add("bn2", bn(3), "relu1")
                .add("c2", Conv2d.of(randn(3, 3, 3, 3), null).withPadding(1), "bn2")
                .add("relu2", new Relu(), "c2")
                .add("flat", new Flatten(), "relu2")
                .add("fc", new Dense(randn(75, 3), null), "flat")
                .build();
    }

    @Test
    void foldModeFoldsWhatItCanAndBypassesTheRestSayingWhy() {
        Graph g = withBatchNorms();
        Explainer e = Explainer.of(g).rule(Rules.Z_PLUS);
        assertThat(e.compiledGraph().node("bn1")).isEmpty();
        assertThat(e.compiledGraph().node("bn2")).isPresent();
        assertThat(prop(e, "bn1")).contains("fold");
        assertThat(row(e, "bn1").reason()).contains("'c1'");
        assertThat(prop(e, "bn2")).isEqualTo("bypass");
        assertThat(row(e, "bn2").reason()).contains("cannot fold").contains("bypass");
        // the folded model computes what the model computes
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 5, 5);
        Explanation folded = e.precision(Precision.FLOAT64).explain(x);
        Explanation bypassed = Explainer.of(g).rule(Rules.Z_PLUS).batchNorm(BatchNormMode.BYPASS)
                .precision(Precision.FLOAT64).explain(x);
        assertThat(folded.logits().sub(bypassed.logits()).amaxNumber().doubleValue())
                .isLessThan(1e-9 * Math.max(1, bypassed.logits().amaxNumber().doubleValue()));
    }

    @Test
    void foldWithAffineFallback() {
        Explainer e = Explainer.of(withBatchNorms()).rule(Rules.Z_PLUS)
                .batchNorm(BatchNormMode.FOLD, BatchNormMode.AFFINE);
        assertThat(prop(e, "bn1")).contains("fold");
        assertThat(prop(e, "bn2")).isEqualTo("rule z+");
        assertThat(row(e, "bn2").reason()).contains("cannot fold").contains("affine");
        assertThatThrownBy(() -> Explainer.of(withBatchNorms()).batchNorm(BatchNormMode.FOLD, BatchNormMode.FOLD))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void bypassModeKeepsEveryBatchNorm() {
        Explainer e = Explainer.of(withBatchNorms()).rule(Rules.Z_PLUS).batchNorm(BatchNormMode.BYPASS);
        assertThat(e.compiledGraph().node("bn1")).isPresent();
        assertThat(prop(e, "bn1")).isEqualTo("bypass");
        assertThat(prop(e, "bn2")).isEqualTo("bypass");
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 2, 5, 5);
        Explanation ex = e.precision(Precision.FLOAT64).recordLayers(true).explain(x);
        // bypass: the relevance at a BatchNorm's input is the relevance at its output
        assertThat(ex.ledger().entry("bn1").orElseThrow().propagation()).isEqualTo("bypass");
        assertThat(ex.layerRelevance("c1").orElseThrow()).isEqualTo(ex.layerRelevance("bn1").orElseThrow());
    }

    @Test
    void affineModeGivesRuleTakingBatchNorms() {
        Explainer e = Explainer.of(withBatchNorms()).batchNorm(BatchNormMode.AFFINE).rule(Rules.Z_PLUS)
                .rule(Selector.kind(BatchNorm.class), Rules.epsilon(0.1));
        assertThat(e.compiledGraph().node("bn1")).isPresent();
        assertThat(prop(e, "bn1")).isEqualTo("rule epsilon(0.1)");
        assertThat(prop(e, "bn2")).isEqualTo("rule epsilon(0.1)");
        assertThat(row(e, "bn1").reason()).doesNotEndWith("; ").doesNotEndWith(";");
        assertThat(prop(e, "c1")).isEqualTo("rule z+");
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 5, 5);
        Explanation ex = e.precision(Precision.FLOAT64).explain(x);
        assertThat(ex.ledger().entry("bn2").orElseThrow().propagation()).isEqualTo("rule epsilon(0.1)");
        for (double imb : ex.ledger().imbalance()) {
            assertThat(imb).isCloseTo(0, within(1e-9));
        }
        // strict: in affine mode a BatchNorm without a rule is missing like any linear layer
        assertThatThrownBy(() -> Explainer.of(withBatchNorms()).batchNorm(BatchNormMode.AFFINE)
                .rule(Selector.conv(), Rules.Z_PLUS).rule(Selector.dense(), Rules.Z_PLUS).coverage())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'bn1' (BatchNorm)")
                .hasMessageContaining("'bn2' (BatchNorm)");
    }

    // ---------------------------------------------------------------- MaxPool mode

    @Test
    void maxPoolModeShowsInCoverage() {
        Explainer e = Explainer.of(three()).rule(Rules.Z_PLUS);
        String pool = three().nodes().stream().filter(n -> n.layer() instanceof MaxPool2d).findFirst().orElseThrow()
                .name();
        assertThat(prop(e, pool)).isEqualTo("winner-take-all");
        assertThat(prop(e.maxPool(MaxPoolMode.PROPORTIONAL), pool)).isEqualTo("proportional (as sum)");
        assertThat(prop(e.maxPool(MaxPoolMode.WINNER_TAKES_ALL), pool)).isEqualTo("winner-take-all");
        assertThat(prop(e, "relu_1")).isEqualTo("pass-through");
        assertThat(e.coverage().toString()).contains("c1").contains("winner-take-all").contains("rule z+");
        assertThatThrownBy(() -> e.coverage().propagationOf("nope")).isInstanceOf(ConfigurationException.class);
    }

    // ---------------------------------------------------------------- immutability

    @Test
    void everySetterReturnsANewExplainerAndLeavesTheOldOne() {
        Graph g = three();
        Explainer e0 = Explainer.of(g);
        Explainer e1 = e0.rule(Rules.Z_PLUS);
        assertThat(e1).isNotSameAs(e0);
        assertThat(e0.assignments()).isEmpty();
        assertThat(e1.assignments()).hasSize(1);
        assertThatThrownBy(e0::coverage).isInstanceOf(ConfigurationException.class);
        assertThat(prop(e1, "c1")).isEqualTo("rule z+");

        Explainer e2 = e1.rule(Selector.first(), Rules.W_SQUARE);
        assertThat(e1.assignments()).hasSize(1);
        assertThat(prop(e1, "c1")).isEqualTo("rule z+");
        assertThat(prop(e2, "c1")).isEqualTo("rule w^2");

        Explainer e3 = e1.precision(Precision.FLOAT64);
        assertThat(e1.precision()).isEqualTo(Precision.FLOAT32);
        assertThat(e3.precision()).isEqualTo(Precision.FLOAT64);
        Conv2d c1f = (Conv2d) e1.compiledGraph().node("c1").orElseThrow().layer();
        Conv2d c1d = (Conv2d) e3.compiledGraph().node("c1").orElseThrow().layer();
        assertThat(c1f.weight().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(c1d.weight().dataType()).isEqualTo(DataType.DOUBLE);

        // e1 has compiled (coverage above); a copy made afterwards compiles its own settings
        Explainer e4 = e1.maxPool(MaxPoolMode.PROPORTIONAL);
        assertThat(prop(e4, "maxpool2d_1")).isEqualTo("proportional (as sum)");
        assertThat(prop(e1, "maxpool2d_1")).isEqualTo("winner-take-all");

        Explainer e5 = e1.recordLayers(true);
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 2, 6, 6);
        assertThat(e1.explain(x).layerRelevances()).isEmpty();
        assertThat(e5.explain(x).layerRelevances()).isNotEmpty();

        Explainer e6 = e1.preset(Presets.dtdWSquare());
        assertThat(e1.assignments()).hasSize(1);
        assertThat(e6.assignments()).hasSize(3);
        assertThat(e1.stabilizer(1e-3)).isNotSameAs(e1);
        assertThat(e1.model()).isSameAs(g);
        assertThat(e6.model()).isSameAs(g);
    }

    @Test
    void assignmentsListCannotBeModified() {
        Explainer e = Explainer.of(three()).rule(Rules.Z_PLUS);
        assertThatThrownBy(() -> e.assignments().add(Preset.Assignment.of(Selector.all(), Rules.FLAT)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void explainingNeverTouchesTheModelOrTheInput() {
        Graph g = withBatchNorms();
        List<INDArray> before = new ArrayList<>();
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                before.add(a.dup());
            }
        }
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 5, 5);
        INDArray x0 = x.dup();
        for (BatchNormMode m : BatchNormMode.values()) {
            Explainer.of(g).rule(Rules.Z_PLUS).batchNorm(m).precision(Precision.FLOAT64).explain(x);
            Explainer.of(g).rule(Rules.ALPHA2_BETA1).batchNorm(m).explain(x);
        }
        assertThat(x).isEqualTo(x0);
        Iterator<INDArray> it = before.iterator();
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                assertThat(a).as(n.name()).isEqualTo(it.next());
            }
        }
        assertThat(g.node("bn1")).isPresent();
    }

    // ---------------------------------------------------------------- recordLayers

    @Test
    void recordLayersGivesRelevanceAtEveryNode() {
        Graph g = three();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 6, 6);
        Explanation e = Explainer.of(g).rule(Rules.Z_PLUS).precision(Precision.FLOAT64).recordLayers(true).explain(x, 1);
        Map<String, INDArray> layers = e.layerRelevances();
        List<String> expectedNames = new ArrayList<>(g.nodes().stream().map(Node::name).toList());
        expectedNames.add("input");
        assertThat(layers.keySet()).containsExactlyInAnyOrderElementsOf(expectedNames);
        for (Node n : g.nodes()) {
            assertThat(layers.get(n.name()).shape()).as(n.name()).isEqualTo(n.outputShape().withBatch(2));
        }
        assertThat(layers.get("input")).isEqualTo(e.inputRelevance());
        // at the output: the logit of class 1, zero elsewhere
        INDArray rOut = layers.get("fc");
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 4; k++) {
                assertThat(rOut.getDouble(i, k)).isEqualTo(k == 1 ? e.logits().getDouble(i, 1) : 0.0);
            }
        }
        // pass-through nodes: the relevance at their input equals the relevance at their output (reshaped)
        assertThat(layers.get("c2")).isEqualTo(layers.get("relu_2"));
        assertThat(layers.get("maxpool2d_1").reshape(2, 27)).isEqualTo(layers.get("flatten_1"));
        // each recorded relevance sums to what the ledger says arrived there
        for (LedgerEntry entry : e.ledger().entries()) {
            INDArray rl = layers.get(entry.node());
            double[] sums = rl.reshape(new long[]{2, rl.length() / 2}).sum(1).toDoubleVector();
            for (int i = 0; i < 2; i++) {
                assertThat(sums[i]).as(entry.node()).isCloseTo(entry.in()[i], within(1e-9));
            }
        }
        assertThat(e.layerRelevance("nope")).isEmpty();

        Explanation plain = Explainer.of(g).rule(Rules.Z_PLUS).explain(x);
        assertThat(plain.layerRelevances()).isEmpty();
        assertThat(plain.layerRelevance("fc")).isEmpty();
    }

    @Test
    void ledgerBalancesOnAStridedStemWhoseWindowsStopShort() {
        // 10x10 input, 3x3 kernel, stride 2, padding 1: the last padded row/column is read by no window,
        // but the last real ones are; a transposed pass that loses them shows up as imbalance
        Graph g = Graph.sequential(Shape.of(2, 10, 10))
                .conv("stem", Conv2d.of(randn(3, 2, 3, 3), null).withStride(2).withPadding(1))
                .relu()
                .flatten()
                .dense("fc", randn(75, 2), null)
                .build();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 10, 10);
        for (var rule : List.of(Rules.W_SQUARE, Rules.FLAT, Rules.LRP_0, Rules.zBox(0, 1))) {
            Explanation e = Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.Z_PLUS).rule(Selector.first(), rule)
                    .explain(x);
            double[] imb = e.ledger().imbalance();
            for (int i = 0; i < 2; i++) {
                assertThat(imb[i]).as(rule.name()).isCloseTo(0, within(1e-9 * Math.max(1, e.explainedScores()[i])));
            }
            // the last row and column of the image do receive relevance
            assertThat(e.inputRelevance().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(9),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).amaxNumber().doubleValue()).as(rule.name())
                    .isGreaterThan(0);
        }
    }

    // ---------------------------------------------------------------- ledger JSON

    @Test
    void ledgerJsonIsWellFormed() throws Exception {
        // node names with characters JSON must escape
        String odd = "branch \"a\"\\1\tx";
        Graph g = Graph.builder(Shape.of(2, 4, 4))
                .add(odd, Conv2d.of(randn(2, 2, 3, 3), randn(2)).withPadding(1), "input")
                .add("b", Conv2d.of(randn(3, 2, 1, 1), null), "input")
                .add("cat", Concat.channels(), odd, "b")
                .add("c", Conv2d.of(randn(5, 5, 1, 1), null), "cat")
                .add("sum", new Add(), "c", "cat")
                .add("flat", new Flatten(), "sum")
                .add("fc", new Dense(randn(80, 3), randn(3)), "flat")
                .build();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 2, 4, 4);
        Explanation e = Explainer.of(g).rule(Rules.epsilon(0.1)).explain(x);
        String json = e.ledger().toJson();
        JsonNode root = new ObjectMapper().readTree(json);
        for (String k : List.of("start", "input", "bias", "stabilizer", "imbalance")) {
            assertThat(root.get(k).isArray()).as(k).isTrue();
            assertThat(root.get(k).size()).as(k).isEqualTo(2);
        }
        assertThat(root.get("start").get(0).asDouble()).isCloseTo(e.explainedScores()[0], within(1e-9));
        JsonNode nodes = root.get("nodes");
        assertThat(nodes.size()).isEqualTo(g.nodes().size());
        List<String> names = new ArrayList<>();
        nodes.forEach(n -> names.add(n.get("node").asText()));
        assertThat(names).contains(odd, "cat", "sum", "fc");
        JsonNode cat = null;
        JsonNode sum = null;
        for (JsonNode n : nodes) {
            if (n.get("node").asText().equals("cat")) {
                cat = n;
            } else if (n.get("node").asText().equals("sum")) {
                sum = n;
            }
        }
        assertThat(cat.get("kind").asText()).isEqualTo("Concat");
        assertThat(cat.get("branches").has(odd)).isTrue();
        assertThat(cat.get("branches").has("b")).isTrue();
        assertThat(sum.get("branches").has("c")).isTrue();
        for (JsonNode n : nodes) {
            for (String k : List.of("in", "out", "bias", "stabilizer")) {
                assertThat(n.get(k).size()).isEqualTo(2);
            }
        }
    }
}
