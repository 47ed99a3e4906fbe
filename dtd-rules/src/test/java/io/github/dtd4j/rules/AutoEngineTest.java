package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.graph.Graph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@code AUTO} without {@code dtd-ort} on the class path: the reference engine, and the reason said. */
class AutoEngineTest {
    @Test
    void withoutDtdOrtAutoRunsTheReferenceEngineAndSaysWhy() {
        Nd4j.getRandom().setSeed(5);
        Graph net = Graph.sequential(6).dense("d1", Nd4j.randn(DataType.FLOAT, 6, 4), Nd4j.zeros(DataType.FLOAT, 4))
                .relu().dense("d2", Nd4j.randn(DataType.FLOAT, 4, 3), Nd4j.zeros(DataType.FLOAT, 3)).build();
        Explainer nd4j = Explainer.of(net).rule(Rules.Z_PLUS);
        Explainer auto = nd4j.engine(ExplanationEngine.AUTO);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 6);
        try (Explanation a = auto.explain(x); Explanation r = nd4j.explain(x)) {
            assertThat(auto.engineInUse()).isEqualTo(ExplanationEngine.ND4J);
            assertThat(auto.engineChoice()).isEqualTo("nd4j (auto: dtd-ort is not on the class or module path)");
            assertThat(a.inputRelevance()).isEqualTo(r.inputRelevance());
            assertThat(auto.forward(x)).isEqualTo(nd4j.forward(x));
        }
        assertThat(nd4j.engineChoice()).isEqualTo("nd4j");
    }
}
