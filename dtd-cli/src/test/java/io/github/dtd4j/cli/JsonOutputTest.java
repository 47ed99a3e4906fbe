package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The JSON the command writes is valid and keeps paths with quotes and backslashes as they are. */
class JsonOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path odd;
    static Path model;

    record Run(int exit, String out, String err) {
    }

    static Run dtd(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Dtd.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A small DL4J model zip in a directory, and under a name, that JSON must escape. */
    @BeforeAll
    static void model() throws Exception {
        odd = dir.resolve("a \"quoted\\dir");
        Files.createDirectories(odd);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        model = odd.resolve("m\"l\\p.zip");
        ModelSerializer.writeModel(net, model.toFile(), false);
    }

    @Test
    void benchNamesTheModelPathExactly() throws Exception {
        Run r = dtd("bench", "--model", model.toString(), "--repeat", "1", "--warmup", "0", "--low", "0", "--high", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).doesNotContain("\n");
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("model").asText()).isEqualTo(model.toString());
        List<String> keys = new ArrayList<>();
        j.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("model", "batch", "repeat", "dtype", "engine", "preset", "nd4j", "onnxruntime",
                "engine_used", "forward_ms_median", "explain_ms_median", "explain_over_forward", "peak_rss_mb", "threads",
                "backend",
                "rules");
        // --engine auto (the default) runs a model that compiles on ONNX Runtime, and the headline figures are its
        assertThat(j.get("engine").asText()).isEqualTo("auto");
        assertThat(j.get("engine_used").asText()).isEqualTo("onnxruntime");
        assertThat(j.get("explain_ms_median").asDouble()).isEqualTo(j.get("onnxruntime").get("explain_ms")
                .get("median").asDouble());
        // both engines side by side, and ONNX Runtime's plain forward pass: the floor's basis
        assertThat(j.get("nd4j").get("explain_ms").has("median")).isTrue();
        assertThat(j.get("onnxruntime").get("forward_ms").has("min")).isTrue();
        assertThat(j.get("onnxruntime").get("explain_over_floor").asDouble()).isPositive();
        assertThat(j.get("batch").asInt()).isEqualTo(1);
        assertThat(j.get("dtype").asText()).isEqualTo("FLOAT");
        assertThat(j.get("forward_ms_median").isNumber()).isTrue();
        assertThat(j.get("rules").asText()).contains("z");
    }

    @Test
    void theLedgerIsWrittenAtAPathWithQuotesAndBackslashes() throws Exception {
        Path x = odd.resolve("x\".npy");
        Nd4j.getRandom().setSeed(4);
        Npy.write(Nd4j.rand(DataType.FLOAT, 2, 6), x);
        Path ledger = odd.resolve("led\"ger\\.json");
        Run one = dtd("explain", "--model", model.toString(), "--input", x.toString(), "--out",
                odd.resolve("r.npy").toString(), "--low", "0", "--high", "1", "--ledger", ledger.toString());
        assertThat(one.exit()).as(one.err()).isZero();
        JsonNode j = JSON.readTree(Files.readString(ledger));
        assertThat(j.isObject()).isTrue();
        assertThat(j.get("start").size()).isEqualTo(2);
        assertThat(j.get("nodes").size()).isGreaterThanOrEqualTo(2);
    }

    /** A directory of inputs has one ledger each: the file holds them as one array. */
    @Test
    void severalLedgersBecomeOneArray() throws Exception {
        JsonNode a = JSON.readTree(Json.pretty(Json.oneOrArray(List.of("{\"node\": \"a\\\"b\"}", "{\"node\": 2}"))));
        assertThat(a.isArray()).isTrue();
        assertThat(a.get(0).get("node").asText()).isEqualTo("a\"b");
        assertThat(a.get(1).get("node").asInt()).isEqualTo(2);
    }
}
