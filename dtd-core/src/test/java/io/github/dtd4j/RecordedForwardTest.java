package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The recorded forward pass keeps its outputs in the explanation's arena when they are small and outside, released as
 * the sweep passes them, when they are large ({@link Engine#recordedInArenaBytes}): both give the same explanation to
 * the last bit, call after call (the arena is reused by the next call, so an output read after its reuse would
 * differ), and neither touches the caller's input. The forward pass alone chooses its outputs' place by the same
 * limit and gives the explanation's logits.
 */
class RecordedForwardTest {

    private static Graph graph() {
        Nd4j.getRandom().setSeed(31);
        return Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(Nd4j.randn(DataType.FLOAT, 4, 2, 3, 3), Nd4j.randn(DataType.FLOAT, 4))
                        .withPadding(1), "input")
                .add("r1", new Relu(), "c1")
                // depthwise: computed in the node workspace, then moved to where the outputs live
                .add("c2", Conv2d.of(Nd4j.randn(DataType.FLOAT, 4, 1, 3, 3), Nd4j.randn(DataType.FLOAT, 4))
                        .withPadding(1).withGroups(4), "r1")
                .add("sum", new Add(), "c2", "r1")
                .add("r2", new Relu(), "sum")
                .add("pool", MaxPool2d.of(2, 2), "r2")
                .add("flat", new Flatten(), "pool")
                .add("fc", new Dense(Nd4j.randn(DataType.FLOAT, 64, 3), Nd4j.randn(DataType.FLOAT, 3)), "flat")
                .build();
    }

    @Test
    void theArenaAndTheReleasedOutputsGiveTheSameExplanationCallAfterCall() {
        Graph g = graph();
        Explainer ex = Explainer.of(g).rule(new PositionwiseDenseTest.Lrp0(false, new ArrayList<>()))
                .precision(Precision.FLOAT32);
        INDArray[] inputs = {Nd4j.randn(DataType.FLOAT, 3, 2, 8, 8), Nd4j.randn(DataType.FLOAT, 3, 2, 8, 8)};
        INDArray[] copies = {inputs[0].dup(), inputs[1].dup()};
        long limit = Engine.recordedInArenaBytes;
        INDArray[][] got = new INDArray[2][];
        try {
            for (int mode = 0; mode < 2; mode++) {
                // 0: everything outside, released by the sweep; 1: everything in the arena
                Engine.recordedInArenaBytes = mode == 0 ? 0 : Long.MAX_VALUE;
                got[mode] = new INDArray[4];
                for (int call = 0; call < 4; call++) {
                    try (Explanation e = ex.explain(inputs[call % 2])) {
                        got[mode][call] = e.inputRelevance().dup();
                        assertThat(e.inputRelevance().amaxNumber().doubleValue()).isPositive();
                        // the forward pass alone keeps its outputs where the explanation does, and returns the
                        // same logits, in memory of their own
                        INDArray logits = ex.forward(inputs[call % 2]);
                        assertThat(logits.isAttached()).isFalse();
                        assertThat(logits).isEqualTo(e.logits());
                        ex.forward(inputs[(call + 1) % 2]).close();
                        assertThat(logits).isEqualTo(e.logits());
                    }
                }
            }
        } finally {
            Engine.recordedInArenaBytes = limit;
        }
        for (int call = 0; call < 4; call++) {
            assertThat(got[1][call]).as("call %d", call).isEqualTo(got[0][call]);
            assertThat(got[0][call]).as("call %d against the first with the same input", call)
                    .isEqualTo(got[0][call % 2]);
        }
        assertThat(got[0][0]).isNotEqualTo(got[0][1]);
        assertThat(inputs[0]).isEqualTo(copies[0]);
        assertThat(inputs[1]).isEqualTo(copies[1]);
    }
}
