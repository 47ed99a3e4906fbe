package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SmokeTest {
    @Test
    void paperNetworkBalances() {
        Nd4j.getRandom().setSeed(11);
        INDArray w1 = Nd4j.randn(DataType.DOUBLE, 20, 8);
        INDArray b1 = Nd4j.rand(DataType.DOUBLE, 8).negi();
        INDArray w2 = Nd4j.randn(DataType.DOUBLE, 2, 8).reshape(2, 8);
        Graph net = Graph.sequential(20).dense("d1", w1, b1).relu().sumPool(4).dense("d2", Nd4j.rand(DataType.DOUBLE, 2, 8), Nd4j.rand(DataType.DOUBLE, 8).negi()).relu().sumPool(8).build();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 20).subi(0.5);
        Explanation e = Explainer.of(net).precision(Precision.FLOAT64).stabilizer(1e-12).preset(Presets.dtd(-0.5, 1.5)).explain(x);
        System.out.println(e.ledger());
        double[] f = e.explainedScores();
        double[] r = e.ledger().inputSums();
        for (int i = 0; i < 3; i++) {
            assertThat(r[i]).isCloseTo(f[i], within(1e-9 * Math.max(1, Math.abs(f[i]))));
        }
        assertThat(e.inputRelevance().minNumber().doubleValue()).isGreaterThanOrEqualTo(-1e-12);
    }

    @Test
    void convNetworkAllRules() {
        Nd4j.getRandom().setSeed(3);
        Graph net = Graph.sequential(Shape.of(2, 9, 9))
                .conv("c1", Conv2d.of(Nd4j.randn(DataType.DOUBLE, 4, 2, 3, 3), Nd4j.rand(DataType.DOUBLE, 4).negi()).withPadding(1).withStride(2))
                .relu().maxPool(2, 2).flatten()
                .dense("fc", Nd4j.randn(DataType.DOUBLE, 16, 3), Nd4j.randn(DataType.DOUBLE, 3)).build();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 9, 9);
        for (var rule : java.util.List.of(Rules.Z_PLUS, Rules.W_SQUARE, Rules.FLAT, Rules.LRP_0, Rules.epsilon(0.1), Rules.ALPHA2_BETA1, Rules.gamma(0.25))) {
            Explanation e = Explainer.of(net).precision(Precision.FLOAT64).rule(rule).explain(x);
            double[] imb = e.ledger().imbalance();
            System.out.println(rule.name() + " start=" + e.explainedScores()[0] + " input=" + e.ledger().inputSums()[0] + " imbalance=" + imb[0]);
            assertThat(Math.abs(imb[0])).isLessThan(1e-9);
        }
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
