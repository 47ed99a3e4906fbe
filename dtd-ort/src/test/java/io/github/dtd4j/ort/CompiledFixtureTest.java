package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.io.Npy;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The compiled graphs of {@link CompiledFixtures} against a second evaluator: the committed models are what the
 * compiler writes today (byte for byte), they passed onnx.checker, and {@code scripts/compiled_reference.py}'s
 * node-by-node evaluation (numpy and torch, no ONNX Runtime) fixed their outputs. ONNX Runtime on the committed
 * model, and the reference engine on the same input and starts, give those outputs.
 */
class CompiledFixtureTest {
    private static final Path DIR = Path.of("src/test/resources/compiled");

    @Test
    void onnxRuntimeAndTheReferenceEngineGiveWhatTheSecondEvaluatorComputed() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Map.Entry<String, Explainer> f : CompiledFixtures.explainers().entrySet()) {
            String name = f.getKey();
            Explainer e = f.getValue();
            byte[] model = Files.readAllBytes(DIR.resolve(name + ".onnx"));
            assertThat(java.util.Arrays.equals(e.toOnnx(), model)).as(name + ": the compiler writes the committed"
                    + " model (after a change to the compiler, run scripts/compiled-fixtures.sh)").isTrue();
            INDArray x = Npy.read(DIR.resolve(name + ".input.npy"));
            assertThat(x).as(name + ": the committed input").isEqualTo(CompiledFixtures.input(e));
            INDArray start = Npy.read(DIR.resolve(name + ".start.npy"));
            Map<String, INDArray> expected = Npy.readNpz(DIR.resolve(name + ".expected.npz"));
            INDArray relevance = expected.get("relevance");
            double scale = relevance.amaxNumber().doubleValue();
            // ONNX Runtime on the committed model
            try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data().asFloat()), x.shape());
                 OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(CompiledFixtures.TARGETS),
                         new long[]{3});
                 OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(start.data().asFloat()),
                         start.shape());
                 OrtSession.Result r = s.run(Map.of("input", in, "target", t, "start", st))) {
                float[] got = ((OnnxTensor) r.get("relevance").orElseThrow()).getFloatBuffer().array();
                assertClose(Nd4j.create(got, relevance.shape(), DataType.FLOAT), relevance, scale, name + " ORT");
                long[] targets = ((OnnxTensor) r.get("targets").orElseThrow()).getLongBuffer().array();
                assertThat(targets).as(name).containsExactly(expected.get("targets").toLongVector());
                double[] ledger = ((OnnxTensor) r.get("ledger").orElseThrow()).getDoubleBuffer().array();
                INDArray want = expected.get("ledger");
                assertClose(Nd4j.create(ledger, want.shape(), DataType.DOUBLE), want,
                        want.amaxNumber().doubleValue(), name + " ORT ledger");
            }
            // the reference engine, element by element with the same starts
            int[] classes = expected.get("targets").toIntVector();
            for (int i = 0; i < 3; i++) {
                INDArray xi = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
                Start st = CompiledFixtures.TARGETS[i] == -2
                        ? Start.relevance(start.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup())
                        : Start.classes(classes[i]);
                try (Explanation ref = e.explain(xi, st)) {
                    assertClose(ref.inputRelevance(), relevance.get(org.nd4j.linalg.indexing.NDArrayIndex
                            .interval(i, i + 1)), scale, name + " reference engine, element " + i);
                }
            }
        }
    }

    private static void assertClose(INDArray got, INDArray want, double scale, String what) {
        assertThat(got.shape()).as(what).containsExactly(want.shape());
        double diff = got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertThat(diff).as(what).isLessThanOrEqualTo(1e-5 * Math.max(scale, 1e-12));
    }
}
