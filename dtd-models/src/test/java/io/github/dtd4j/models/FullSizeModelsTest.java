package io.github.dtd4j.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The full-size ImageNet models (VGG16: 138 M parameters) build, explain and balance within the test JVM's memory.
 * Times are printed for information only; speed is measured by the benchmarks, not asserted here.
 */
@Tag("slow")
class FullSizeModelsTest {
    static void explainTwice(String name, Graph g) {
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBoxImageNet()));
        INDArray img = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224);
        INDArray x = img.sub(Nd4j.create(new double[]{0.485, 0.456, 0.406}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1))
                .divi(Nd4j.create(new double[]{0.229, 0.224, 0.225}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1));
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            try (Explanation e = ex.explain(x)) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                double f = e.explainedScores()[0];
                System.out.printf("%s: explain %d ms (run %d), f(x) = %.4g, imbalance %.2g, params %d%n", name, ms, i,
                        f, e.ledger().imbalance()[0], g.parameterCount());
                assertThat(Math.abs(e.ledger().imbalance()[0])).isLessThanOrEqualTo(1e-3 * Math.max(1, Math.abs(f)));
                assertThat(e.inputRelevance().shape()).containsExactly(1, 3, 224, 224);
            }
        }
    }

    @Test
    void vgg16() {
        Graph g = TorchVision.vgg16(Weights.random(16));
        assertThat(g.parameterCount()).isEqualTo(138_357_544L);
        explainTwice("vgg16", g);
    }

    @Test
    void resnet50() {
        Graph g = TorchVision.resnet50(Weights.random(50));
        assertThat(g.parameterCount()).isEqualTo(25_557_032L + 2 * 26_560);
        explainTwice("resnet50", g);
    }
}
