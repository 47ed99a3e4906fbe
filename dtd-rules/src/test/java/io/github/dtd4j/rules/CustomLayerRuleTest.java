package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.CustomLayer;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.NodeInfo;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer kind defined outside dtd4j ({@link CustomLayer}) with a rule of its own, given through
 * {@code Selector.kind(Scale.class)}: forward pass, coverage, the context the rule sees, the heatmap against values
 * computed by hand, and every way a custom layer or rule can go wrong, each reported as our exception naming the node.
 */
class CustomLayerRuleTest {

    /** {@code y = c·x}, with its vector-Jacobian product {@code c·s}. */
    record Scale(double c) implements CustomLayer {
        @Override
        public Shape outputShape(String node, List<Shape> inputs) {
            return inputs.get(0);
        }

        @Override
        public INDArray forward(List<INDArray> inputs) {
            return inputs.get(0).mul(c);
        }

        @Override
        public List<INDArray> vjp(List<INDArray> inputs, INDArray s) {
            return List.of(s.mul(c));
        }
    }

    /** How {@link Broken} misbehaves. */
    enum Fault { WRONG_SHAPE, NULL, THROWS, SAME_ARRAY, NONE }

    /** A custom layer whose forward pass misbehaves as told; it offers no vector-Jacobian product. */
    record Broken(Fault fault) implements CustomLayer {
        @Override
        public Shape outputShape(String node, List<Shape> inputs) {
            return inputs.get(0);
        }

        @Override
        public INDArray forward(List<INDArray> inputs) {
            INDArray x = inputs.get(0);
            return switch (fault) {
                case WRONG_SHAPE -> Nd4j.zeros(x.dataType(), x.size(0), x.size(1) + 1);
                case NULL -> null;
                case THROWS -> throw new IllegalArgumentException("broken forward");
                case SAME_ARRAY -> x;
                case NONE -> x.dup();
            };
        }
    }

    /** {@code R_in = R / c}: the rule of the test, reading its layer's parameter. */
    record ScaleBack() implements Rule {
        @Override
        public String name() {
            return "scale-back";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof Scale;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return List.of(ctx.relevance().div(((Scale) ctx.layer()).c()));
        }
    }

    /** A rule for Scale nodes whose propagation is a function of the context (to make it misbehave). */
    record Misbehaving(String name, Function<NodeContext, List<INDArray>> body) implements Rule {
        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof Scale;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return body.apply(ctx);
        }
    }

    private static final double[][] X = {{1, 2}, {0.5, 1}};
    private static final double[][] W = {{1, -1}, {2, 1}};

    private static INDArray x() {
        return Nd4j.create(X).castTo(DataType.DOUBLE);
    }

    /** input [N,2] → scale (×3) → fc (2→2, no bias). */
    private static Graph scaled(Layer middle) {
        return Graph.builder(Shape.of(2))
                .add("scale", middle, "input")
                .add("fc", io.github.dtd4j.graph.Dense.of(Nd4j.create(W).castTo(DataType.DOUBLE), null), "scale")
                .build();
    }

    private static Explainer explainer(Layer middle) {
        return Explainer.of(scaled(middle)).precision(Precision.FLOAT64).stabilizer(0).rule(Rules.LRP_0);
    }

    @Test
    void forwardPassRunsTheCustomLayer() {
        // fc(3x) by hand: x=(1,2) -> (3,6) -> (3+12, -3+6); x=(.5,1) -> (1.5,3) -> (1.5+6, -1.5+3)
        INDArray y = Explainer.of(scaled(new Scale(3))).precision(Precision.FLOAT64).forward(x());
        assertClose("logits", y, Nd4j.create(new double[][]{{15, 3}, {7.5, 1.5}}), 1e-15, 1);
        assertThat(Explainer.of(scaled(new Scale(3))).precision(Precision.FLOAT64).activations(x()).get("scale")
                .toDoubleMatrix()).isDeepEqualTo(new double[][]{{3, 6}, {1.5, 3}});
    }

    @Test
    void heatmapEqualsTheHandComputedValue() {
        Explainer ex = explainer(new Scale(3)).rule(Selector.kind(Scale.class), new ScaleBack());
        // LRP-0 at fc for class 0 (no bias, no stabilizer): R_i = a_i w_i0 → (3·1, 6·2) and (1.5·1, 3·2);
        // then R / 3 at the scale node
        Explanation e = ex.explain(x(), 0);
        assertClose("heatmap", e.inputRelevance(), Nd4j.create(new double[][]{{1, 4}, {0.5, 2}}), 1e-15, 1);
        assertThat(e.ledger().entry("scale").orElseThrow().propagation()).isEqualTo("scale-back");
        assertThat(e.ledger().entry("scale").orElseThrow().kind()).isEqualTo("Scale");

        // the library's proportional split accepts custom layers: R_i = x_i·vjp(R / y)_i = R_i here
        Explanation p = explainer(new Scale(3)).rule(Selector.kind(Scale.class), Propagations.proportional())
                .explain(x(), 0);
        assertClose("proportional", p.inputRelevance(), Nd4j.create(new double[][]{{3, 12}, {1.5, 6}}), 1e-15, 1);
        // and the gradient rule uses the layer's vjp: ∂f_0/∂x = 3·(1, 2) for both elements
        Explanation gr = explainer(new Scale(3)).rule(Propagations.gradient())
                .explain(x(), io.github.dtd4j.Start.relevance(Nd4j.create(new double[][]{{1, 0}, {1, 0}})));
        assertClose("gradient", gr.inputRelevance(), Nd4j.create(new double[][]{{3, 6}, {3, 6}}), 1e-15, 1);
    }

    @Test
    void coverageNamesTheRuleAndTheSelector() {
        Coverage c = explainer(new Scale(3)).rule(Selector.kind(Scale.class), new ScaleBack()).coverage();
        Coverage.Row row = c.rows().stream().filter(r -> r.node().equals("scale")).findFirst().orElseThrow();
        assertThat(row.kind()).isEqualTo("Scale");
        assertThat(row.propagation()).isEqualTo("scale-back");
        assertThat(row.reason()).isEqualTo("selected by kind Scale");
        assertThat(c.propagationOf("fc")).isEqualTo("rule lrp0");
    }

    @Test
    void theRuleSeesItsNodeThroughTheContext() {
        List<String> failures = new ArrayList<>();
        List<Boolean> ran = new ArrayList<>();
        Rule probe = new Misbehaving("probe", ctx -> {
            ran.add(true);
            INDArray in = ctx.inputs().get(0);
            check(failures, "name", ctx.name(), "scale");
            check(failures, "kind", ctx.kind(), "Scale");
            check(failures, "inputNames", ctx.inputNames(), List.of("input"));
            check(failures, "inputShapes", ctx.inputShapes(), List.of(Shape.of(2)));
            check(failures, "outputShape", ctx.outputShape(), Shape.of(2));
            check(failures, "position", ctx.position(), 0);
            check(failures, "isLinear", ctx.isLinear(), false);
            check(failures, "stabilizer", ctx.stabilizer(), 0.25);
            check(failures, "input", in.toDoubleMatrix(), X);
            check(failures, "output", ctx.output().toDoubleMatrix(), new double[][]{{3, 6}, {1.5, 3}});
            INDArray ones = Nd4j.ones(DataType.DOUBLE, 2, 2);
            check(failures, "forward", ctx.forward(List.of(ones)).toDoubleMatrix(), new double[][]{{3, 3}, {3, 3}});
            check(failures, "vjp", ctx.vjp(ones).get(0).toDoubleMatrix(), new double[][]{{3, 3}, {3, 3}});
            check(failures, "vjp at", ctx.vjp(List.of(ones), ones).get(0).toDoubleMatrix(),
                    new double[][]{{3, 3}, {3, 3}});
            // s / (d + 0.25·sign(d)), sign(0) = +1
            INDArray d = Nd4j.create(new double[][]{{0.75, -0.75}, {0, 1.75}});
            check(failures, "divide", ctx.divide(ones, d).toDoubleMatrix(), new double[][]{{1, -1}, {4, 0.5}});
            expectThrows(failures, "vjp of a wrong shape", InvalidInputException.class,
                    () -> ctx.vjp(Nd4j.ones(DataType.DOUBLE, 2, 3)));
            expectThrows(failures, "forward of no inputs", InvalidInputException.class, () -> ctx.forward(List.of()));
            expectThrows(failures, "linear view", ConfigurationException.class, ctx::linear);
            expectThrows(failures, "linear context", ConfigurationException.class, ctx::linearContext);
            return List.of(ctx.relevance());
        });
        Explanation e = explainer(new Scale(3)).stabilizer(0.25).rule(Selector.kind(Scale.class), probe).explain(x());
        assertThat(ran).isNotEmpty();
        assertThat(failures).isEmpty();
        // the divide above booked its stabilizer share per element: Σ 0.25·sign(d)·s = 0.25·(1·1 + (−1)·(−1)) for
        // the first row, 0.25·(4 + 0.5) for the second
        double[] stab = e.ledger().entry("scale").orElseThrow().stabilizer();
        assertThat(stab).containsExactly(0.25 * 2, 0.25 * 4.5);
    }

    private static void check(List<String> failures, String what, Object got, Object expected) {
        if (!java.util.Objects.deepEquals(got, expected)) {
            failures.add(what + ": got " + java.util.Arrays.deepToString(new Object[]{got}) + ", expected "
                    + java.util.Arrays.deepToString(new Object[]{expected}));
        }
    }

    private static void expectThrows(List<String> failures, String what, Class<? extends Throwable> type,
                                     Runnable r) {
        try {
            r.run();
            failures.add(what + ": nothing thrown");
        } catch (Throwable t) {
            if (!type.isInstance(t)) {
                failures.add(what + ": " + t);
            }
        }
    }

    @Test
    void aCustomNodeWithoutARuleIsListedWithTheLinearNodesMissingOne() {
        assertThatThrownBy(() -> Explainer.of(scaled(new Scale(3))).compile())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("2 node(s)")
                .hasMessageContaining("'scale' (Scale)")
                .hasMessageContaining("'fc' (Dense)");
        assertThatThrownBy(() -> explainer(new Scale(3)).explain(x()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("1 node(s)")
                .hasMessageContaining("'scale' (Scale)")
                .hasMessageNotContaining("'fc'");
        // a rule for another kind does not cover it
        assertThatThrownBy(() -> explainer(new Scale(3)).rule(Selector.kind(Scale.class), Rules.Z_PLUS).coverage())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'scale' (Scale)");
        // nor is a rule that does not accept it given to it by name
        assertThatThrownBy(() -> explainer(new Scale(3)).rule(Selector.name("scale"), Propagations.exactSplit())
                .compile()).isInstanceOf(ConfigurationException.class).hasMessageContaining("'scale' (Scale)");
    }

    private static void assertRuleFault(String what, Function<NodeContext, List<INDArray>> body, String... fragments) {
        Explainer ex = explainer(new Scale(3)).rule(Selector.kind(Scale.class), new Misbehaving("bad rule", body));
        var thrown = assertThatThrownBy(() -> ex.explain(x())).as(what).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'scale' (Scale)").hasMessageContaining("bad rule");
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
    }

    @Test
    void aRuleThatMisbehavesIsReportedWithTheNodeAndKind() {
        assertRuleFault("null list", ctx -> null, "null");
        assertRuleFault("null array", ctx -> java.util.Collections.singletonList(null), "null for input 0");
        assertRuleFault("wrong shape", ctx -> List.of(Nd4j.zeros(DataType.DOUBLE, 2, 3)), "[2,3]", "[2,2]");
        assertRuleFault("wrong batch", ctx -> List.of(Nd4j.zeros(DataType.DOUBLE, 1, 2)), "[1,2]", "[2,2]");
        assertRuleFault("two arrays for one input", ctx -> List.of(ctx.relevance(), ctx.relevance()), "2 arrays");
        assertRuleFault("IllegalArgumentException", ctx -> {
            throw new IllegalArgumentException("wrong argument");
        }, "wrong argument");
        assertRuleFault("IllegalStateException", ctx -> {
            throw new IllegalStateException("wrong state");
        }, "wrong state");
        assertRuleFault("NullPointerException", ctx -> {
            throw new NullPointerException("null here");
        }, "null here");
        // an ND4J failure inside a rule: an element-wise product of mismatched shapes
        assertRuleFault("ND4J exception", ctx -> List.of(ctx.relevance().mul(Nd4j.ones(DataType.DOUBLE, 3, 5))));
    }

    /** A rule whose compile-time or input check fails with a plain Java exception. */
    record FailingCheck(boolean atCompile) implements Rule {
        @Override
        public String name() {
            return "failing check";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof Scale;
        }

        @Override
        public void check(NodeInfo node) {
            if (atCompile) {
                throw new IllegalArgumentException("check failed");
            }
        }

        @Override
        public void checkInput(NodeInfo node, List<INDArray> inputs) {
            throw new IllegalStateException("input check failed");
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return List.of(ctx.relevance());
        }
    }

    @Test
    void aRuleWhoseChecksFailWithAJavaExceptionIsReportedWithTheNode() {
        assertThatThrownBy(() -> explainer(new Scale(3)).rule(Selector.kind(Scale.class), new FailingCheck(true))
                .compile()).isInstanceOf(ConfigurationException.class).hasMessageContaining("'scale' (Scale)")
                .hasMessageContaining("check failed");
        assertThatThrownBy(() -> explainer(new Scale(3)).rule(Selector.kind(Scale.class), new FailingCheck(false))
                .explain(x())).isInstanceOf(io.github.dtd4j.errors.Dtd4jException.class)
                .hasMessageContaining("'scale' (Scale)").hasMessageContaining("input check failed");
    }

    @Test
    void aCustomForwardThatMisbehavesIsAnInvalidGraph() {
        for (Fault f : new Fault[]{Fault.WRONG_SHAPE, Fault.NULL, Fault.THROWS, Fault.SAME_ARRAY}) {
            Explainer ex = Explainer.of(scaled(new Broken(f))).precision(Precision.FLOAT64).rule(Rules.LRP_0)
                    .rule(Selector.kind(Broken.class), Propagations.pass());
            assertThatThrownBy(() -> ex.forward(x())).as(f.name()).isInstanceOf(InvalidGraphException.class)
                    .hasMessageContaining("Broken");
            assertThatThrownBy(() -> ex.explain(x())).as(f.name()).isInstanceOf(InvalidGraphException.class)
                    .hasMessageContaining("Broken");
        }
        assertThatThrownBy(() -> Explainer.of(scaled(new Broken(Fault.WRONG_SHAPE))).activations(x()))
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("[2,3]").hasMessageContaining("[2,2]");
        // without a vector-Jacobian product, rules that need one say so
        Explainer gradient = Explainer.of(scaled(new Broken(Fault.NONE))).precision(Precision.FLOAT64)
                .rule(Propagations.gradient());
        assertThatThrownBy(() -> gradient.explain(x())).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("Broken").hasMessageContaining("vector-Jacobian");
    }
}
