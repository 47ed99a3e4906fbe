package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Keras Sequential model in Keras 2's HDF5 layout ({@code keras/make_keras2_layout_fixture.py}, written with h5py
 * because no Keras 2 installs here) imports through DL4J's KerasModelImport and computes the logits numpy computed.
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
        try (Explanation e = Explainer.of(g).rule(Rules.epsilon(0.1)).explain(x)) {
            for (int i = 0; i < 4; i++) {
                assertThat(Math.abs(e.ledger().imbalance()[i])).isLessThan(1e-5 * Math.max(1, Math.abs(e.explainedScores()[i])));
            }
        }
    }
}
