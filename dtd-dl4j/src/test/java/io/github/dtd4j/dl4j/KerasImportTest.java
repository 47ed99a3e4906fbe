package io.github.dtd4j.dl4j;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.ReferenceLrp;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Keras Sequential model in Keras 2's HDF5 layout ({@code keras/make_keras2_layout_fixture.py}, written with h5py
 * because no Keras 2 installs here) imports through DL4J's KerasModelImport, computes the logits numpy computed, and
 * its ε-rule heatmap is the loop reference's.
 */
class KerasImportTest {
    static Path resource(String name) throws Exception {
        return Path.of(KerasImportTest.class.getResource("/keras/" + name).toURI());
    }

    @Test
    void keras2SequentialImportsAndReproducesItsLogits() throws Exception {
        Graph g = Dl4jModels.loadKeras(resource("keras2-layout-mlp.h5"));
        assertThat(g.inputShape().dims()).containsExactly(8);
        assertThat(g.outputShape().dims()).containsExactly(3);
        assertThat(g.provenance().toString()).containsIgnoringCase("softmax").contains("Keras 2.11.0");
        INDArray x = Npy.read(resource("keras2-layout-mlp.input.npy"));
        INDArray expected = Npy.read(resource("keras2-layout-mlp.logits.npy"));
        INDArray ours = io.github.dtd4j.rules.Forwards.output(g, x.castTo(g.nodes().get(0).layer() instanceof io.github.dtd4j.graph.Dense d
                ? d.weight().dataType() : DataType.FLOAT));
        assertThat(ours.castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE)).amaxNumber().doubleValue())
                .isLessThanOrEqualTo(1e-5 * expected.amaxNumber().doubleValue());
        // the ε-rule's heatmap, not only its ledger (which balances for any rule): the loop reference's, in float64
        // and in float32 (ε = 0.1 keeps every denominator away from 0, so float32 rounding stays small)
        INDArray x64 = x.castTo(DataType.DOUBLE);
        Explainer ex = Explainer.of(g).rule(Rules.epsilon(0.1)).precision(Precision.FLOAT64);
        try (Explanation e = ex.explain(x64); Explanation f = Explainer.of(g).rule(Rules.epsilon(0.1)).explain(x)) {
            double[][] ref = ReferenceGraph.inputRelevance(ex.compiledGraph(), x64, e.targets(),
                    ReferenceGraph.Setup.uniform(ex.compiledGraph(), new ReferenceLrp.Epsilon(0.1)));
            ReferenceGraph.assertAgrees("float64", e.inputRelevance(), ref, 1e-9, true);
            assertThat(f.targets()).containsExactly(e.targets());
            ReferenceGraph.assertAgrees("float32", f.inputRelevance(), ref, 1e-4, true);
            for (int i = 0; i < 4; i++) {
                assertThat(Math.abs(f.ledger().imbalance()[i])).isLessThan(1e-5 * Math.max(1, Math.abs(f.explainedScores()[i])));
            }
        }
    }
}
