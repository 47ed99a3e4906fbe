package io.github.dtd4j.models;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A residual block with numbers small enough to split by hand: relevance is neither doubled nor lost at the Add. */
class ResidualSplitTest {
    @Test
    void addSplitsInProportionToTheBranches() {
        // input x = (1, 2); block: h = relu(x·W), W = [[2,0],[0,1]] -> h = (2, 2); y = relu(h + x) = (3, 4);
        // output f = y1 + y2 = 7 (sum-pool of 2 units).
        INDArray w = Nd4j.create(new double[][]{{2, 0}, {0, 1}});
        Graph g = Graph.builder(Shape.of(2))
                .add("block", Dense.of(w, null), "input")
                .add("block.relu", new Relu(), "block")
                .add("add", new Add(), "block.relu", "input")
                .add("relu", new Relu(), "add")
                .add("out", new SumPool(2), "relu")
                .build();
        INDArray x = Nd4j.create(new double[][]{{1, 2}});
        Explanation e = Explainer.of(g).rule(Rules.Z_PLUS).precision(Precision.FLOAT64).stabilizer(1e-12).recordLayers(true)
                .explain(x);
        // R(y) = y = (3, 4). At the Add: block gets h/y·R = (2, 2); shortcut gets x/y·R = (1, 2); total 7, no doubling.
        LedgerEntry add = e.ledger().entry("add").orElseThrow();
        assertThat(add.branches().get("block.relu")[0]).isCloseTo(4, within(1e-9));
        assertThat(add.branches().get("input")[0]).isCloseTo(3, within(1e-9));
        assertThat(add.in()[0]).isCloseTo(7, within(1e-9));
        // z+ through the diagonal block passes (2, 2) straight to the input; the input then holds (1+2, 2+2).
        INDArray r = e.inputRelevance();
        assertThat(r.getDouble(0, 0)).isCloseTo(3, within(1e-9));
        assertThat(r.getDouble(0, 1)).isCloseTo(4, within(1e-9));
        assertThat(e.ledger().inputSums()[0]).isCloseTo(e.explainedScores()[0], within(1e-9));
    }

    /**
     * A branch with a negative output before the Add (as conv3+BN in a ResNet bottleneck):
     * x = (1, 2), h = x·W with W = diag(2, −0.5) -> h = (2, −1); y = relu(h + x) = (3, 1); f = 4.
     */
    @Test
    void negativeBranchSignedSplitVersusPositiveSplit() {
        INDArray w = Nd4j.create(new double[][]{{2, 0}, {0, -0.5}});
        Graph g = Graph.builder(Shape.of(2))
                .add("block", Dense.of(w, null), "input")
                .add("add", new Add(), "block", "input")
                .add("relu", new Relu(), "add")
                .add("out", new SumPool(2), "relu")
                .build();
        INDArray x = Nd4j.create(new double[][]{{1, 2}});
        Explainer ex = Explainer.of(g).rule(Rules.Z_PLUS).precision(Precision.FLOAT64).stabilizer(1e-12);

        // signed (docs/conventions.md#residual-add default): unit 2 sends h2/y2·R = −1 to the block and x2/y2·R = 2 to the shortcut.
        // z+ at the block: unit 1 (R = 2) -> input 1; unit 2 (R = −1) has no positive contribution (x2·w = −1), so
        // the stabilizer books −1. Input: (1 + 2, 2) = 5; 5 − 1 = f.
        try (Explanation e = ex.explain(x)) {
            LedgerEntry add = e.ledger().entry("add").orElseThrow();
            assertThat(add.branches().get("block")[0]).isCloseTo(1, within(1e-9));
            assertThat(add.branches().get("input")[0]).isCloseTo(3, within(1e-9));
            assertThat(e.inputRelevance().getDouble(0, 0)).isCloseTo(3, within(1e-9));
            assertThat(e.inputRelevance().getDouble(0, 1)).isCloseTo(2, within(1e-9));
            assertThat(e.ledger().absorbedByStabilizer()[0]).isCloseTo(-1, within(1e-9));
        }
        // positive: unit 2 splits by (max(0, −1), max(0, 2)) = (0, 2): all of R = 1 to the shortcut.
        // Block: (2, 0) -> input (2, 0); shortcut: (1, 1). Input: (3, 1) = f, nothing absorbed.
        try (Explanation e = ex.sumSplit(io.github.dtd4j.SumSplit.POSITIVE).explain(x)) {
            LedgerEntry add = e.ledger().entry("add").orElseThrow();
            assertThat(add.propagation()).isEqualTo("proportional, positive parts");
            assertThat(add.branches().get("block")[0]).isCloseTo(2, within(1e-9));
            assertThat(add.branches().get("input")[0]).isCloseTo(2, within(1e-9));
            assertThat(e.inputRelevance().getDouble(0, 0)).isCloseTo(3, within(1e-9));
            assertThat(e.inputRelevance().getDouble(0, 1)).isCloseTo(1, within(1e-9));
            assertThat(e.ledger().absorbedByStabilizer()[0]).isCloseTo(0, within(1e-9));
            assertThat(e.ledger().inputSums()[0]).isCloseTo(4, within(1e-9));
        }
    }
}
