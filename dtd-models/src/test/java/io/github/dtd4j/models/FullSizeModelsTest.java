package io.github.dtd4j.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.ReferenceLrp;
import io.github.dtd4j.rules.ReferenceSpots;
import io.github.dtd4j.rules.Rules;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The full-size ImageNet models (VGG16: 138 M parameters) build and explain within the test JVM's memory, and the
 * relevance at every node equals the loop reference's at drawn positions ({@link ReferenceSpots}: each layer checked
 * against the relevance the engine recorded above it, which chains into the whole heatmap; the whole-graph reference
 * would need 10⁹ connections here). The same architectures at reduced width are compared with the whole-graph
 * reference in {@link TorchVisionTest}. Times are printed for information only; speed is measured by the benchmarks.
 */
@Tag("slow")
class FullSizeModelsTest {
    /** ImageNet normalisation's box, per channel, written out: pixels in [0,1] become [−μ/σ, (1−μ)/σ]. */
    static ReferenceLrp.RefRule imageNetBox() {
        double[] mean = {0.485, 0.456, 0.406};
        double[] std = {0.229, 0.224, 0.225};
        double[] low = new double[3];
        double[] high = new double[3];
        for (int c = 0; c < 3; c++) {
            low[c] = -mean[c] / std[c];
            high[c] = (1 - mean[c]) / std[c];
        }
        return new ReferenceLrp.ZBox(low, high, false);
    }

    static void explain(String name, Graph g) {
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBoxImageNet()));
        Nd4j.getRandom().setSeed(7);
        INDArray img = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224);
        INDArray x = img.sub(Nd4j.create(new double[]{0.485, 0.456, 0.406}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1))
                .divi(Nd4j.create(new double[]{0.229, 0.224, 0.225}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1));
        long t0 = System.nanoTime();
        try (Explanation e = ex.explain(x)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(e.inputRelevance().shape()).containsExactly(1, 3, 224, 224);
            System.out.printf("%s: explain %d ms, f(x) = %.4g, imbalance %.2g, params %d%n", name, ms,
                    e.explainedScores()[0], e.ledger().imbalance()[0], g.parameterCount());
        }
        // the heatmap: recorded at every node, checked at 3 positions of each (float32: z^B and z⁺ divide by sums of
        // non-negative terms, and the signed residual sums are scaled by their cancellation, so 1e-4 of each
        // position's terms is room for rounding only)
        Explainer recording = ex.recordLayers(true);
        Graph run = recording.compiledGraph();
        long t1 = System.nanoTime();
        try (Explanation e = recording.explain(x)) {
            ReferenceSpots.Report r = ReferenceSpots.assertAgrees(name, run, x, e,
                    ReferenceGraph.Setup.dtd(run, imageNetBox()), 3, 1, 1e-4);
            System.out.printf("%s: reference at %d positions (%d non-zero) of %d nodes, %d ms with recording; worst "
                    + "|diff|/tolerance %.2g%n", name, r.positions(), r.nonZero(), run.nodes().size(),
                    (System.nanoTime() - t1) / 1_000_000, r.worstRatio());
            double f = e.explainedScores()[0];
            assertThat(Math.abs(e.ledger().imbalance()[0])).isLessThanOrEqualTo(1e-3 * Math.max(1, Math.abs(f)));
        }
    }

    @Test
    void vgg16() {
        Graph g = TorchVision.vgg16(Weights.random(16));
        assertThat(g.parameterCount()).isEqualTo(138_357_544L);
        explain("vgg16", g);
    }

    @Test
    void resnet50() {
        Graph g = TorchVision.resnet50(Weights.random(50));
        assertThat(g.parameterCount()).isEqualTo(25_557_032L + 2 * 26_560);
        explain("resnet50", g);
    }
}
