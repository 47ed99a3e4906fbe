package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code dtd serve} over HTTP on localhost, started from {@code dtd.jar} on the ResNet-18 fixture (64×64, 10 classes):
 * the API answers what the library computes; bad uploads get a 4xx and leave the server healthy; 200 requests from
 * 8 clients all succeed with the library's answers and flat memory; a full queue answers 503; options are checked
 * before the model is read.
 */
class ServeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dir;

    private static Served server;
    private static Graph graph;

    @BeforeAll
    static void start() throws Exception {
        server = new Served(dir, "--model", DtdCliIT.MODEL.toString(), "--preprocess", "unit", "--resize",
                "--max-upload", "1M", "--max-pixels", "4000000", "--workers", "2", "--queue", "16");
        graph = OnnxModels.load(DtdCliIT.MODEL);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** An answer: status, content type, body. */
    record Answer(int status, String type, byte[] body) {
        JsonNode json() throws java.io.IOException {
            return JSON.readTree(body);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Answer post(Served s, String path, byte[] body) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(s.uri(path)).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static Answer get(Served s, String path) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(s.uri(path)).timeout(Duration.ofSeconds(60)).GET()
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static byte[] npy(INDArray x) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Npy.write(x, b);
        return b.toByteArray();
    }

    static INDArray input(long seed) {
        return random(seed, 64);
    }

    static INDArray random(long seed, int side) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[3 * side * side];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat();
        }
        return Nd4j.create(v, new long[]{1, 3, side, side}, DataType.FLOAT);
    }

    static INDArray readNpy(byte[] b) {
        return Npy.read(new ByteArrayInputStream(b), "answer", b.length);
    }

    static byte[] png(long seed) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(ImageIO.read(DtdJar.png(dir, "p" + seed + ".png", (int) seed).toFile()), "png", b);
        return b.toByteArray();
    }

    private static double maxDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    private static INDArray lrp(INDArray x) {
        try (Explanation e = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            return e.inputRelevance().dup();
        }
    }

    private static INDArray gradient(INDArray x) {
        try (Attributions a = Methods.gradient(graph).attribute(x)) {
            return a.attribution().dup();
        }
    }

    @Test
    void theApiAnswersWhatTheLibraryComputes() throws Exception {
        Answer model = get(server, "/api/model");
        assertThat(model.status()).isEqualTo(200);
        assertThat(model.type()).startsWith("application/json");
        JsonNode m = model.json();
        assertThat(m.get("input").asText()).isEqualTo("[N,3,64,64]");
        assertThat(m.get("classes").asInt()).isEqualTo(10);
        assertThat(m.get("nodes").size()).isEqualTo(graph.nodes().size());
        assertThat(m.get("methods").findValuesAsText("name")).contains("lrp", "gradient", "grad-cam", "occlusion");
        assertThat(m.get("nodes").get(1).get("propagation").asText()).isNotBlank();

        Answer inspect = get(server, "/api/inspect?rule=epsilon");
        assertThat(inspect.status()).as(inspect.text()).isEqualTo(200);
        assertThat(inspect.text()).contains("epsilon");

        INDArray x = input(7);
        Answer rel = post(server, "/api/explain?method=lrp&low=0&high=1&format=npy", npy(x));
        assertThat(rel.status()).as(rel.text()).isEqualTo(200);
        INDArray expected = lrp(x);
        assertThat(maxDiff(readNpy(rel.body()), expected)).isLessThanOrEqualTo(1e-6 * expected.amaxNumber()
                .doubleValue());
        Answer grad = post(server, "/api/explain?method=gradient&format=npy", npy(x));
        assertThat(grad.status()).as(grad.text()).isEqualTo(200);
        INDArray g = gradient(x);
        assertThat(maxDiff(readNpy(grad.body()), g)).isLessThanOrEqualTo(1e-6 * g.amaxNumber().doubleValue());
        // the compiled engine through the same query: LRP and the gradient on ONNX Runtime
        Answer relOrt = post(server, "/api/explain?method=lrp&low=0&high=1&format=npy&engine=onnxruntime", npy(x));
        assertThat(relOrt.status()).as(relOrt.text()).isEqualTo(200);
        assertThat(maxDiff(readNpy(relOrt.body()), expected)).isLessThanOrEqualTo(1e-5 * expected.amaxNumber()
                .doubleValue());
        Answer gradOrt = post(server, "/api/explain?method=gradient&format=npy&engine=onnxruntime", npy(x));
        assertThat(gradOrt.status()).as(gradOrt.text()).isEqualTo(200);
        assertThat(maxDiff(readNpy(gradOrt.body()), g)).isLessThanOrEqualTo(1e-5 * g.amaxNumber().doubleValue());

        Answer json = post(server, "/api/explain?method=lrp&low=0&high=1&target=3&top=3", npy(x));
        assertThat(json.status()).as(json.text()).isEqualTo(200);
        JsonNode j = json.json();
        assertThat(j.get("class").asInt()).isEqualTo(3);
        assertThat(j.get("top").size()).isEqualTo(3);
        assertThat(j.get("ledger").size()).isGreaterThan(20);
        assertThat(j.get("heatmap").asText()).startsWith("data:image/png;base64,");
        assertThat(j.has("overlay")).as("a tensor upload has no picture to overlay").isFalse();

        Answer classify = post(server, "/api/classify?top=10", npy(x));
        JsonNode top = classify.json().get("top");
        try (Explanation e = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            assertThat(top.get(0).get("class").asInt()).isEqualTo(e.targets()[0]);
            // serve's default engine is auto: this model compiles, so ONNX Runtime's logits, the library's to rounding
            double want = e.logits().getDouble(0, e.targets()[0]);
            assertThat(top.get(0).get("logit").asDouble()).isCloseTo(want,
                    org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(want))));
        }
        double p = 0;
        for (JsonNode c : top) {
            p += c.get("probability").asDouble();
        }
        assertThat(p).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));

        // a picture: the heatmap, the picture as the model saw it and the overlay; the PNG answer is dtd explain's
        byte[] picture = png(3);
        JsonNode withPicture = post(server, "/api/explain?method=grad-cam", picture).json();
        assertThat(withPicture.get("overlay").asText()).startsWith("data:image/png;base64,");
        assertThat(withPicture.get("input").asText()).startsWith("data:image/png;base64,");
        JsonNode styled = post(server, "/api/explain?blur=1.5&contour=true", picture).json();
        assertThat(styled.get("overlay").asText()).isNotEqualTo(post(server, "/api/explain", picture).json()
                .get("overlay").asText());
        Answer drawn = post(server, "/api/explain?format=png&colormap=viridis", picture);
        assertThat(drawn.type()).isEqualTo("image/png");
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(drawn.body()));
        assertThat(img.getWidth()).isGreaterThan(3 * 128);

        Answer compare = post(server, "/api/compare?methods=lrp,gradient,occlusion&window=8&stride=8", picture);
        assertThat(compare.status()).as(compare.text()).isEqualTo(200);
        assertThat(compare.json().get("methods").findValuesAsText("method")).containsExactly("lrp", "gradient",
                "occlusion");
        Answer panel = post(server, "/api/compare?format=png", picture);
        assertThat(panel.type()).isEqualTo("image/png");
        assertThat(ImageIO.read(new ByteArrayInputStream(panel.body())).getHeight()).isGreaterThan(8 * 56);

        Answer page = get(server, "/");
        assertThat(page.type()).startsWith("text/html");
        assertThat(page.text()).contains("<script>").doesNotContain("src=\"http").doesNotContain("@import");
    }

    @Test
    void badRequestsGetAClearFourHundredAndTheServerStaysHealthy() throws Exception {
        byte[] good = png(5);
        byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
        List<Object[]> cases = List.of(
                new Object[]{"a truncated PNG", "/api/explain", truncated, 400, "cannot read image"},
                new Object[]{"a 20,000 x 20,000 header", "/api/explain", hugeHeader(20_000, 20_000), 413,
                        "20000 x 20000"},
                new Object[]{"a non-image", "/api/explain", "hello, not a picture".getBytes(StandardCharsets.UTF_8), 415,
                        "not a picture"},
                new Object[]{"an oversized body", "/api/explain", new byte[2 * 1024 * 1024], 413, "at most"},
                new Object[]{"an empty body", "/api/explain", new byte[0], 400, "no picture"},
                new Object[]{"an unknown parameter", "/api/explain?colour=red", good, 400, "colour"},
                new Object[]{"a file as baseline", "/api/explain?method=deeplift&baseline=/etc/passwd", good, 400,
                        "names no file"},
                new Object[]{"a class out of range", "/api/explain?target=10", good, 400, "10 classes"},
                new Object[]{"a method's option on another method", "/api/explain?method=gradient&epsilon=0.1", good,
                        400, "does not apply"},
                new Object[]{"an unknown method", "/api/explain?method=magic", good, 400, "unknown method"},
                new Object[]{"a wrong tensor shape", "/api/explain?method=gradient", npy(random(1, 32)), 400, "32"});
        for (Object[] c : cases) {
            Answer a = post(server, (String) c[1], (byte[]) c[2]);
            assertThat(a.status()).as(c[0] + ": " + a.text()).isEqualTo(c[3]);
            assertThat(a.json().get("error").asText()).as((String) c[0]).contains((String) c[4]);
        }
        assertThat(get(server, "/api/explain").status()).isEqualTo(405);
        assertThat(get(server, "/nothing/here").status()).isEqualTo(404);
        assertThat(get(server, "/api/examples/0").status()).isEqualTo(404);
        assertThat(get(server, "/api/health").json().get("status").asText()).isEqualTo("ok");
        assertThat(post(server, "/api/explain", good).status()).isEqualTo(200);
        assertThat(server.alive()).isTrue();
        assertThat(server.err()).doesNotContain("internal error").doesNotContain("\tat ");
    }

    /** {@return a valid PNG signature and IHDR chunk that declare a picture of this size, and no pixels} */
    static byte[] hugeHeader(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put(new byte[]{8, 2, 0, 0, 0});
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + 17 + 4);
        b.put(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array())
                .putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void twoHundredRequestsFromEightClientsAfterAWarmUpAllSucceedWithTheLibrarysAnswersAndFlatMemory() throws Exception {
        int inputs = 4;
        List<INDArray> xs = new ArrayList<>();
        List<INDArray> lrps = new ArrayList<>();
        List<INDArray> grads = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            INDArray x = input(100 + i);
            xs.add(x);
            lrps.add(lrp(x));
            grads.add(gradient(x));
            bodies.add(npy(x));
        }
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            long before = 0;
            for (int round = 0; round < 2; round++) {
                int n = 200;
                List<Future<String>> done = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    int i = k % inputs;
                    boolean useLrp = (k / inputs) % 2 == 0;
                    done.add(clients.submit(() -> {
                        Answer a = post(server, useLrp ? "/api/explain?method=lrp&low=0&high=1&format=npy"
                                : "/api/explain?method=gradient&format=npy", bodies.get(i));
                        if (a.status() != 200) {
                            return "status " + a.status() + ": " + a.text();
                        }
                        INDArray expected = useLrp ? lrps.get(i) : grads.get(i);
                        double d = maxDiff(readNpy(a.body()), expected);
                        return d <= 1e-6 * expected.amaxNumber().doubleValue() ? null
                                : (useLrp ? "lrp" : "gradient") + " of input " + i + " differs by " + d;
                    }));
                }
                for (Future<String> f : done) {
                    assertThat(f.get()).isNull();
                }
                if (round == 0) {
                    System.gc();
                    before = server.rss();
                }
            }
            long after = server.rss();
            System.out.printf("dtd serve RSS: %d MB after 200 requests, %d MB after 200 more%n", before >> 20,
                    after >> 20);
            // the server runs with a pre-touched 512 MB heap, so RSS grows only with native memory: past the warm-up
            // it holds (measured: +3 % and +11 % from 200 to 400 requests; with a heap that G1 grew, a run saw +30 %)
            assertThat(after).as("RSS after the 200 requests against before them (bytes)")
                    .isLessThanOrEqualTo(before + before / 5);
        } finally {
            clients.shutdownNow();
        }
        assertThat(get(server, "/api/health").json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void aFullQueueAnswersServiceUnavailableAndTheOthersAreServed() throws Exception {
        try (Served busy = new Served(dir, "--model", DtdCliIT.MODEL.toString(), "--preprocess", "unit", "--resize",
                "--workers", "1", "--queue", "1")) {
            byte[] body = npy(input(9));
            ExecutorService clients = Executors.newFixedThreadPool(6);
            try {
                List<Future<Answer>> answers = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    answers.add(clients.submit(() -> post(busy,
                            "/api/explain?method=integrated-gradients&ig-steps=400&format=npy", body)));
                }
                int ok = 0;
                int unavailable = 0;
                for (Future<Answer> f : answers) {
                    Answer a = f.get();
                    if (a.status() == 200) {
                        ok++;
                    } else {
                        assertThat(a.status()).as(a.text()).isEqualTo(503);
                        assertThat(a.json().get("error").asText()).contains("busy");
                        unavailable++;
                    }
                }
                assertThat(ok).isGreaterThanOrEqualTo(2);
                assertThat(unavailable).isGreaterThanOrEqualTo(1);
            } finally {
                clients.shutdownNow();
            }
            assertThat(post(busy, "/api/explain?method=gradient&format=npy", body).status()).isEqualTo(200);
        }
    }

    @Test
    void optionsAreCheckedBeforeTheModelIsReadAndTheServerListensOnLoopback() throws Exception {
        Path missing = dir.resolve("no-model.onnx");
        for (String[] bad : new String[][]{{"--max-upload", "lots"}, {"--port", "70000"}, {"--workers", "0"},
                {"--host", "no.such.host.invalid"}, {"--mean", "0.5"}}) {
            List<String> args = new ArrayList<>(List.of("serve", "--model", missing.toString()));
            args.addAll(List.of(bad));
            Run r = DtdJar.dtd(dir, args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", bad)).isNotZero();
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).contains(bad[0]).doesNotContain("no-model.onnx");
        }
        Run labels = DtdJar.dtd(dir, "serve", "--model", DtdCliIT.MODEL.toString(), "--labels", "imagenet");
        assertThat(labels.exit()).isNotZero();
        assertThat(labels.err()).contains("1000").contains("10");
        assertThat(server.uri("/").getHost()).isEqualTo("127.0.0.1");
    }
}
