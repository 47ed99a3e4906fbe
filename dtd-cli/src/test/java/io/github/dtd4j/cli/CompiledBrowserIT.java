package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The compiled explanation graph runs in the browser: Debian's Chromium, headless, loads onnxruntime-web (npm,
 * WebAssembly, one thread) in a page, runs the file {@code Explainer.writeOnnx} wrote for the shipped Fashion-MNIST
 * ResNet on a sample picture, and gets the library's explanation (to 1e-5 of its largest value) and class.
 */
class CompiledBrowserIT {
    private static final Path ORT_WEB = Path.of(System.getProperty("onnxruntime.web", "target/onnxruntime-web"));

    @TempDir
    Path dir;

    @Test
    void onnxruntimeWebInChromiumGivesTheLibrarysExplanation() throws Exception {
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray x = Npy.read(fashion.resolve("sample-images.npy")).get(NDArrayIndex.interval(0, 1))
                .castTo(DataType.FLOAT).dup();
        Explainer ex = Explainer.of(OnnxModels.load(fashion.resolve("resnet.onnx")))
                .preset(Presets.dtd(Rules.zBox(0, 1)));
        Path site = Files.createDirectories(dir.resolve("site"));
        ex.writeOnnx(site.resolve("explainer.onnx"));
        Files.writeString(site.resolve("x.json"), new ObjectMapper().writeValueAsString(x.data().asFloat()));
        for (String f : new String[]{"ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.mjs",
            "ort-wasm-simd-threaded.wasm"}) {
            Files.copy(ORT_WEB.resolve(f), site.resolve(f));
        }
        Files.writeString(site.resolve("index.html"), """
                <!doctype html><html><body><pre id="out">running</pre>
                <script type="module">
                import * as ort from "./ort.wasm.bundle.min.mjs";
                ort.env.wasm.numThreads = 1;
                try {
                  const pixels = Float32Array.from(await (await fetch("x.json")).json());
                  const session = await ort.InferenceSession.create("explainer.onnx");
                  const { relevance, targets } = await session.run({
                    input: new ort.Tensor("float32", pixels, [1, 1, 28, 28]),
                    target: new ort.Tensor("int64", BigInt64Array.from([-1n]), [1]),
                    start: new ort.Tensor("float32", new Float32Array(10), [1, 10]),
                  });
                  document.getElementById("out").textContent = JSON.stringify(
                      {targets: Array.from(targets.data, Number), relevance: Array.from(relevance.data)});
                } catch (e) {
                  document.getElementById("out").textContent = "ERROR " + e;
                }
                </script></body></html>
                """);
        Map<String, String> types = Map.of("html", "text/html", "mjs", "text/javascript", "wasm", "application/wasm",
                "json", "application/json", "onnx", "application/octet-stream");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", h -> {
            Path f = site.resolve(h.getRequestURI().getPath().substring(1)).normalize();
            if (!f.startsWith(site) || !Files.isRegularFile(f)) {
                h.sendResponseHeaders(404, -1);
                h.close();
                return;
            }
            String name = f.getFileName().toString();
            h.getResponseHeaders().set("Content-Type", types.getOrDefault(name.substring(name.lastIndexOf('.') + 1),
                    "application/octet-stream"));
            h.sendResponseHeaders(200, Files.size(f));
            try (OutputStream o = h.getResponseBody()) {
                Files.copy(f, o);
            }
        });
        server.start();
        try (Chromium browser = new Chromium(Files.createDirectories(dir.resolve("profile")))) {
            browser.open(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/index.html"));
            browser.waitFor(() -> !browser.eval("document.getElementById('out').textContent").asText()
                    .equals("running"), 120, "the page's explanation");
            String text = browser.eval("document.getElementById('out').textContent").asText();
            assertThat(text).as(text.length() > 300 ? text.substring(0, 300) : text).doesNotStartWith("ERROR");
            JsonNode j = new ObjectMapper().readTree(text.getBytes(StandardCharsets.UTF_8));
            try (Explanation e = ex.explain(x)) {
                assertThat(j.get("targets").get(0).asInt()).isEqualTo(e.targets()[0]);
                float[] want = e.inputRelevance().data().asFloat();
                JsonNode got = j.get("relevance");
                assertThat(got.size()).isEqualTo(want.length);
                double scale = e.inputRelevance().amaxNumber().doubleValue();
                for (int i = 0; i < want.length; i++) {
                    assertThat(Math.abs(got.get(i).asDouble() - want[i])).as("pixel " + i)
                            .isLessThanOrEqualTo(1e-5 * scale);
                }
            }
            assertThat(browser.pageErrors()).isEmpty();
        } finally {
            server.stop(0);
        }
    }
}
