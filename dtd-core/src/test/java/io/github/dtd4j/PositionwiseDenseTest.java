package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Dense layer over positions whose rule is position-wise ({@link LinearRule#positionwise}) is given only the
 * positions that carry relevance: the rule sees {@code [N, k, F]}, and the relevance equals LRP-0 written as a loop
 * over every position (the others receive exact zeros); a rule that is not position-wise sees the whole input.
 */
class PositionwiseDenseTest {
    private static final int POSITIONS = 6;
    private static final double EPS = 1e-6;

    /** LRP-0, {@code R_i = x_i Σ_j w_ij R_j / stab(z_j)}, recording the input shapes it is handed. */
    record Lrp0(boolean positionwise, List<long[]> seen) implements LinearRule {
        @Override
        public String name() {
            return "lrp0-test";
        }

        @Override
        public INDArray propagate(RuleContext ctx) {
            seen.add(ctx.input().shape());
            LinearLayer l = ctx.layer();
            INDArray s = ctx.divide(ctx.relevance(), l.forward(ctx.input(), l.weight()), ctx.bias());
            return ctx.input().mul(l.transpose(s, l.weight()));
        }
    }

    private static Graph graph() {
        Nd4j.getRandom().setSeed(11);
        return Graph.builder(Shape.of(POSITIONS, 4))
                .add("fc", new Dense(Nd4j.randn(DataType.DOUBLE, 4, 3), Nd4j.randn(DataType.DOUBLE, 3)), "input")
                .add("flat", new Flatten(), "fc")
                .add("head", new Dense(Nd4j.randn(DataType.DOUBLE, POSITIONS * 3, 2), null), "flat")
                .build();
    }

    @ParameterizedTest(name = "positions {0} carry relevance")
    @ValueSource(strings = {"0", "2,5", "1,3,4"})
    void aPositionwiseRuleSeesTheRowsThatCarryRelevanceAndEqualsTheLoop(String rows) {
        Graph g = graph();
        int n = 2;
        INDArray x = Nd4j.randn(DataType.DOUBLE, n, POSITIONS, 4);
        INDArray r = Nd4j.zeros(DataType.DOUBLE, n, POSITIONS, 3);
        List<Integer> carry = new ArrayList<>();
        for (String p : rows.split(",")) {
            carry.add(Integer.parseInt(p));
        }
        // a position carries relevance if it does in one batch element: the first carries the first listed only
        for (int k = 0; k < carry.size(); k++) {
            for (int b = k == 0 ? 0 : 1; b < n; b++) {
                for (int j = 0; j < 3; j++) {
                    r.putScalar(new long[]{b, carry.get(k), j}, 0.5 + b + j - k);
                }
            }
        }
        List<long[]> seen = new ArrayList<>();
        Explainer ex = Explainer.of(g).rule(new Lrp0(false, new ArrayList<>())).rule(Selector.name("fc"), new Lrp0(true, seen)).stabilizer(EPS)
                .precision(io.github.dtd4j.graph.Precision.FLOAT64);
        INDArray got;
        try (Explanation e = ex.explain(x, Start.relevance("fc", r))) {
            got = e.inputRelevance().dup();
        }
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).containsExactly(n, carry.size(), 4);

        Dense fc = (Dense) g.node("fc").orElseThrow().layer();
        double[][] w = fc.weight().toDoubleMatrix();
        double[] bias = fc.bias().toDoubleVector();
        for (int b = 0; b < n; b++) {
            for (int p = 0; p < POSITIONS; p++) {
                for (int i = 0; i < 4; i++) {
                    double expected = 0;
                    for (int j = 0; j < 3; j++) {
                        double z = bias[j];
                        for (int m = 0; m < 4; m++) {
                            z += x.getDouble(b, p, m) * w[m][j];
                        }
                        double stab = z >= 0 ? EPS : -EPS;
                        expected += x.getDouble(b, p, i) * w[i][j] * r.getDouble(b, p, j) / (z + stab);
                    }
                    assertThat(got.getDouble(b, p, i)).as("element %d, position %d, input %d", b, p, i)
                            .isCloseTo(expected, within(1e-12 * Math.max(1, Math.abs(expected))));
                    if (!carry.contains(p)) {
                        assertThat(got.getDouble(b, p, i)).isEqualTo(0.0);
                    }
                }
            }
        }
    }

    @Test
    void aRuleThatIsNotPositionwiseAndMostPositionsCarryingRelevanceSeeTheWholeInput() {
        Graph g = graph();
        INDArray x = Nd4j.randn(DataType.DOUBLE, 1, POSITIONS, 4);
        INDArray half = Nd4j.zeros(DataType.DOUBLE, 1, POSITIONS, 3);
        half.putScalar(new long[]{0, 1, 0}, 1.0);
        List<long[]> seen = new ArrayList<>();
        Explainer ex = Explainer.of(g).rule(new Lrp0(false, new ArrayList<>())).rule(Selector.name("fc"), new Lrp0(false, seen))
                .precision(io.github.dtd4j.graph.Precision.FLOAT64);
        ex.explain(x, Start.relevance("fc", half)).close();
        assertThat(seen.get(0)).containsExactly(1, POSITIONS, 4);

        // four of six positions carry relevance: more than half, so the rule sees them all
        INDArray most = Nd4j.zeros(DataType.DOUBLE, 1, POSITIONS, 3);
        for (int p = 0; p < 4; p++) {
            most.putScalar(new long[]{0, p, 2}, 1.0);
        }
        List<long[]> seen2 = new ArrayList<>();
        Explainer.of(g).rule(new Lrp0(false, new ArrayList<>())).rule(Selector.name("fc"), new Lrp0(true, seen2)).precision(io.github.dtd4j.graph.Precision.FLOAT64)
                .explain(x, Start.relevance("fc", most)).close();
        assertThat(seen2.get(0)).containsExactly(1, POSITIONS, 4);
    }
}
