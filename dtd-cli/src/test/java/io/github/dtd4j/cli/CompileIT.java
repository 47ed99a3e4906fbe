package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code dtd compile} writes a standalone explanation graph that ONNX Runtime runs on its own (no dtd4j in the
 * loop) to the library's explanation, with a JSON beside it; {@code dtd explain --engine onnxruntime} writes what
 * {@code --engine nd4j} writes; what cannot be compiled is refused with every node named.
 */
class CompileIT {
    @TempDir
    Path dir;

    @Test
    void theCompiledGraphRunsAloneAndGivesTheLibrarysExplanation() throws Exception {
        Path out = dir.resolve("resnet18-dtd.onnx");
        DtdJar.Run r = DtdJar.dtd(dir, "compile", "--model", DtdCliIT.MODEL.toString(), "--low", "0", "--high", "1",
                "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote").contains("resnet18-dtd.json");
        JsonNode j = new ObjectMapper().readTree(dir.resolve("resnet18-dtd.json").toFile());
        assertThat(j.path("conventions").asText()).isEqualTo("dtd4j-conventions 1");
        assertThat(j.path("inputs").has("target")).isTrue();
        assertThat(j.path("rules").size()).isPositive();
        INDArray x = Npy.read(DtdCliIT.INPUT).castTo(DataType.FLOAT);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(out.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()), x.shape());
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[]{-1}), new long[]{1});
             OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[10]), new long[]{1, 10});
             OrtSession.Result res = s.run(Map.of("input", in, "target", t, "start", st));
             Explanation e = Explainer.of(OnnxModels.load(DtdCliIT.MODEL)).preset(Presets.dtd(Rules.zBox(0, 1)))
                     .explain(x)) {
            INDArray rel = Nd4j.create(((OnnxTensor) res.get("relevance").orElseThrow()).getFloatBuffer().array(),
                    x.shape(), DataType.FLOAT);
            double scale = e.inputRelevance().amaxNumber().doubleValue();
            assertThat(rel.sub(e.inputRelevance()).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-5 * scale);
            assertThat(((OnnxTensor) res.get("targets").orElseThrow()).getLongBuffer().get(0))
                    .isEqualTo(e.targets()[0]);
        }
    }

    @Test
    void explainOnOnnxRuntimeWritesWhatTheReferenceEngineWrites() throws Exception {
        Path a = dir.resolve("nd4j.npy");
        Path b = dir.resolve("ort.npy");
        for (String[] engine : new String[][]{{"nd4j", a.toString()}, {"onnxruntime", b.toString()}}) {
            DtdJar.Run r = DtdJar.dtd(dir, "explain", "--model", DtdCliIT.MODEL.toString(), "--input",
                    DtdCliIT.INPUT.toString(), "--out", engine[1], "--low", "0", "--high", "1", "--preset",
                    "epsilon-zplus", "--engine", engine[0]);
            assertThat(r.exit()).as(r.err()).isZero();
        }
        INDArray ra = Npy.read(a);
        INDArray rb = Npy.read(b);
        assertThat(rb.sub(ra).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-5 * ra.amaxNumber().doubleValue());
        // the gradient family too
        Path c = dir.resolve("guided-nd4j.npy");
        Path d = dir.resolve("guided-ort.npy");
        for (String[] engine : new String[][]{{"nd4j", c.toString()}, {"onnxruntime", d.toString()}}) {
            DtdJar.Run r = DtdJar.dtd(dir, "explain", "--model", DtdCliIT.MODEL.toString(), "--input",
                    DtdCliIT.INPUT.toString(), "--out", engine[1], "--method", "guided-backprop", "--engine",
                    engine[0]);
            assertThat(r.exit()).as(r.err()).isZero();
        }
        INDArray rc = Npy.read(c);
        assertThat(Npy.read(d).sub(rc).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-5 * rc.amaxNumber()
                .doubleValue());
    }

    @Test
    void whatCannotBeCompiledIsNamedAndNothingIsWritten() throws Exception {
        Path out = dir.resolve("mobilenet.onnx");
        DtdJar.Run r = DtdJar.dtd(dir, "compile", "--model", Path.of("../models/fashion-mnist/mobilenet.onnx")
                .toAbsolutePath().toString(), "--preprocess", "unit", "--grayscale", "--resize", "--out",
                out.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("cannot be compiled").contains("(Mul)");
        assertThat(Files.list(dir).filter(p -> p.getFileName().toString().startsWith("mobilenet"))).isEmpty();
        DtdJar.Run bad = DtdJar.dtd(dir, "compile", "--model", DtdCliIT.MODEL.toString(), "--out",
                dir.resolve("x.txt").toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains(".onnx");
    }
}
