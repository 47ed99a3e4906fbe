package io.github.dtd4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.rules.Presets;
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
 * Every fixture: our forward pass equals ONNX Runtime's, DTD explains the imported model with a balanced ledger, and
 * folding BatchNorm leaves the logits unchanged.
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

    @ParameterizedTest
    @MethodSource("fixtures")
    void dtdExplainsWithABalancedLedger(String name) throws Exception {
        Graph g = OnnxModels.load(Fixtures.path(name));
        DataType dt = dtypeOf(g);
        INDArray x = input(g, 4);
        Explanation e = Explainer.of(g).preset(Presets.dtd(0, 1)).precision(io.github.dtd4j.graph.Precision.of(dt)).explain(x);
        OrtReference.Result ref = OrtReference.run(Fixtures.path(name), x);
        assertThat(relativeError(e.logits(), ref.logits())).as("%s: Explainer logits vs ONNX Runtime", name)
                .isLessThanOrEqualTo(tolerance(g));
        double[] f = e.explainedScores();
        double[] imbalance = e.ledger().imbalance();
        double worst = 0;
        for (int i = 0; i < f.length; i++) {
            double rel = Math.abs(imbalance[i]) / Math.abs(f[i]);
            worst = Math.max(worst, rel);
            assertThat(Math.abs(imbalance[i])).as("%s sample %d: |imbalance| vs |f| = %s", name, i, f[i])
                    .isLessThanOrEqualTo((dt == DataType.DOUBLE ? 1e-9 : 1e-4) * Math.abs(f[i]));
        }
        assertThat(e.inputRelevance().shape()).isEqualTo(x.shape());
        System.out.printf("dtd    %-18s %s: worst |imbalance|/|f| %.2e; f = %.4f, input %.4f, bias %.4f, stabilizer %.2e%n",
                name, dt, worst, f[0], e.ledger().inputSums()[0], e.ledger().absorbedByBias()[0],
                e.ledger().absorbedByStabilizer()[0]);
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
