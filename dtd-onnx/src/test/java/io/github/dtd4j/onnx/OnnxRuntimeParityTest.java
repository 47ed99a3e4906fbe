package io.github.dtd4j.onnx;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Every fixture: our forward pass equals ONNX Runtime's, DTD's heatmap of the imported model equals the whole-graph
 * loop reference's (dtd-rules' {@link ReferenceGraph}, from docs/conventions.md's formulas), and folding BatchNorm leaves the
 * logits unchanged.
 */
class OnnxRuntimeParityTest {
    static final int BATCH = 3;

    static List<String> fixtures() {
        return Fixtures.names();
    }

    /** Seeded uniform [0,1) input of the graph's shape, in the model's dtype. */
    static INDArray input(Graph g, long seed) {
        long[] shape = g.inputShape().withBatch(BATCH);
        int n = (int) (g.inputShape().size() * BATCH);
        Random rng = new Random(seed);
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = rng.nextDouble();
        }
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(dtypeOf(g));
    }

    static DataType dtypeOf(Graph g) {
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                return a.dataType();
            }
        }
        return DataType.FLOAT;
    }

    static double tolerance(Graph g) {
        return dtypeOf(g) == DataType.DOUBLE ? 1e-10 : 1e-4;
    }

    /** {@return max |a-b| relative to max |b|} */
    static double relativeError(INDArray a, INDArray b) {
        double scale = Math.max(b.castTo(DataType.DOUBLE).amaxNumber().doubleValue(), 1e-6);
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void forwardMatchesOnnxRuntime(String name) throws Exception {
        Path file = Fixtures.path(name);
        Graph g = OnnxModels.load(file);
        for (long seed : new long[]{1, 2}) {
            INDArray x = input(g, seed);
            OrtReference.Result ref = OrtReference.run(file, x);
            INDArray ours = io.github.dtd4j.rules.Forwards.output(g, x);
            assertThat(ours.shape()).isEqualTo(ref.logits().shape());
            double err = relativeError(ours, ref.logits());
            System.out.printf("parity %-18s seed %d: max rel. error of logits vs ONNX Runtime %.2e (max |logit| %.3f)%n",
                    name, seed, err, ref.logits().amaxNumber().doubleValue());
            assertThat(err).as("%s: our logits vs ONNX Runtime's", name).isLessThanOrEqualTo(tolerance(g));
            if (ref.hadSoftmax()) {
                INDArray probs = Transforms.softmax(ours.castTo(DataType.DOUBLE), true);
                assertThat(relativeError(probs, ref.output())).as("%s: softmax of our logits", name)
                        .isLessThanOrEqualTo(1e-4);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void finalSoftmaxRemovalIsRecorded(String name) throws Exception {
        Graph g = OnnxModels.load(Fixtures.path(name));
        OrtReference.Result ref = OrtReference.run(Fixtures.path(name), input(g, 3));
        String removed = g.provenance().getOrDefault("removed", "");
        if (ref.hadSoftmax()) {
            assertThat(removed).contains("final Softmax");
        } else {
            assertThat(removed).doesNotContain("Softmax");
        }
        assertThat(g.provenance()).containsKeys("source", "format", "producer");
        assertThat(g.provenance().get("source")).endsWith(name + ".onnx");
        assertThat(g.provenance().get("format")).contains("opset ai.onnx " + name.substring(name.lastIndexOf("op") + 2));
    }

    /**
     * Explains {@code x} with DTD (z^B [0,1] on the first layers, z⁺ above) in float64 and asserts that the heatmap
     * equals the whole-graph loop reference's on the graph as explained. Each element explains the top class of the
     * next element (often not its own top class), so that a target mixed up between elements shows. Then the model's
     * own dtype: its heatmap equals the reference to float32 rounding. The ledger is an extra check.
     *
     * @return the float64 explanation's explained scores
     */
    static double[] assertDtdMatchesTheReference(String what, Graph g, INDArray x) {
        INDArray x64 = x.castTo(DataType.DOUBLE);
        Explainer ex = Explainer.of(g).preset(Presets.dtd(0, 1)).precision(Precision.FLOAT64);
        int[] targets = ReferenceGraph.nextElementsTopClass(ex.forward(x64));
        Graph run = ex.compiledGraph();
        try (Explanation e = ex.explain(x64, targets)) {
            double[][] ref = ReferenceGraph.inputRelevance(run, x64, targets, ReferenceGraph.Setup.dtd(run, 0, 1));
            ReferenceGraph.assertAgrees(what + ", float64", e.inputRelevance(), ref, 1e-9, true);
            DataType dt = dtypeOf(g);
            if (dt != DataType.DOUBLE) {
                // float32: the same heatmap up to rounding (z^B and z⁺ divide by sums of non-negative terms, so
                // rounding stays at float32's ~1e-7 relative; 1e-4 of the largest |R| leaves room)
                try (Explanation f = Explainer.of(g).preset(Presets.dtd(0, 1)).precision(Precision.of(dt)).explain(x.castTo(dt),
                        targets)) {
                    ReferenceGraph.assertAgrees(what + ", " + dt, f.inputRelevance(), ref, 1e-4, true);
                    assertBalances(what + ", " + dt, f, 1e-4);
                }
            }
            assertBalances(what + ", float64", e, 1e-9);
            return e.explainedScores();
        }
    }

    /** The ledger as an extra check: what reached the input, the biases and the stabilizer adds up to f(x). */
    static void assertBalances(String what, Explanation e, double rel) {
        double[] f = e.explainedScores();
        double[] imbalance = e.ledger().imbalance();
        for (int i = 0; i < f.length; i++) {
            assertThat(Math.abs(imbalance[i])).as("%s sample %d: |imbalance| vs |f| = %s", what, i, f[i])
                    .isLessThanOrEqualTo(rel * Math.max(1e-12, Math.abs(f[i])));
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void dtdHeatmapEqualsTheLoopReference(String name) throws Exception {
        Graph g = OnnxModels.load(Fixtures.path(name));
        DataType dt = dtypeOf(g);
        INDArray x = input(g, 4);
        OrtReference.Result ort = OrtReference.run(Fixtures.path(name), x);
        assertThat(relativeError(Explainer.of(g).preset(Presets.dtd(0, 1)).precision(Precision.of(dt)).forward(x), ort.logits()))
                .as("%s: Explainer logits vs ONNX Runtime", name).isLessThanOrEqualTo(tolerance(g));
        double[] f = assertDtdMatchesTheReference(name, g, x);
        System.out.printf("dtd    %-18s heatmap = loop reference (float64%s); f = %.4f%n", name,
                dt == DataType.DOUBLE ? "" : " and " + dt, f[0]);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void foldingBatchNormLeavesTheLogitsUnchanged(String name) throws Exception {
        Graph g = OnnxModels.load(Fixtures.path(name));
        long batchNorms = g.nodes().stream().filter(n -> n.layer() instanceof BatchNorm).count();
        Graph folded = Rewrites.foldBatchNorm(g);
        long left = folded.nodes().stream().filter(n -> n.layer() instanceof BatchNorm).count();
        if (batchNorms > 0 && !name.startsWith("densenet")) {
            assertThat(left).as("%s: every BatchNorm follows a conv", name).isZero();
        }
        if (left < batchNorms) {
            assertThat(folded.provenance().get("folded BatchNorm")).isNotBlank();
        }
        INDArray x = input(g, 5);
        INDArray before = io.github.dtd4j.rules.Forwards.output(g, x);
        INDArray after = io.github.dtd4j.rules.Forwards.output(folded, x);
        double err = relativeError(after, before);
        System.out.printf("fold   %-18s %d of %d BatchNorms folded, logits changed by %.2e (relative)%n", name,
                batchNorms - left, batchNorms, err);
        assertThat(err).isLessThanOrEqualTo(dtypeOf(g) == DataType.DOUBLE ? 1e-10 : 1e-5);
        assertThat(relativeError(after, OrtReference.run(Fixtures.path(name), x).logits()))
                .isLessThanOrEqualTo(tolerance(g));
    }
}
