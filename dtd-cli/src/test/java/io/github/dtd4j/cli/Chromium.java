package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Debian's Chromium, headless, driven through its own remote-debugging protocol (the Chrome DevTools Protocol over
 * the JDK's WebSocket client): open a page, set a file input, run JavaScript, take a screenshot. Started with the
 * flags this machine's closed network needs (no background networking, no component updates, a fresh profile).
 */
final class Chromium implements AutoCloseable {
    /** Where Debian installs it; {@code scripts/install-browser.sh} puts it there. */
    static final Path BINARY = Path.of(System.getProperty("chromium", "/usr/bin/chromium"));

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final String session;

    /**
     * Starts Chromium with one blank page and attaches to it.
     *
     * @param profile an empty directory for its profile
     */
    Chromium(Path profile) throws IOException, InterruptedException {
        process = new ProcessBuilder(BINARY.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-extensions", "--mute-audio",
                "--window-size=1400,1100", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = err.readLine()) != null; ) {
                    int at = line.indexOf("ws://");
                    if (line.startsWith("DevTools listening on") && at >= 0) {
                        return line.substring(at).strip();
                    }
                }
            } catch (IOException e) {
                // the browser ended
            }
            return null;
        });
        String ws;
        try {
            ws = url.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            ws = null;
        }
        if (ws == null) {
            process.destroyForcibly();
            throw new AssertionError("Chromium did not start its remote debugging");
        }
        Thread drain = new Thread(() -> {
            try {
                err.transferTo(java.io.Writer.nullWriter());
            } catch (IOException e) {
                // the browser ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(20))
                .buildAsync(URI.create(ws), new Listener()).join();
        JsonNode targets = send(null, "Target.getTargets", JSON.createObjectNode());
        String page = null;
        for (JsonNode t : targets.get("targetInfos")) {
            if (t.get("type").asText().equals("page")) {
                page = t.get("targetId").asText();
            }
        }
        if (page == null) {
            page = send(null, "Target.createTarget", JSON.createObjectNode().put("url", "about:blank"))
                    .get("targetId").asText();
        }
        session = send(null, "Target.attachToTarget", JSON.createObjectNode().put("targetId", page)
                .put("flatten", true)).get("sessionId").asText();
        call("Page.enable");
        call("Runtime.enable");
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(text.toString());
                    if (m.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
                        if (f != null) {
                            f.complete(m);
                        }
                    } else {
                        events.add(m);
                    }
                } catch (IOException e) {
                    // not JSON: not the protocol's
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    private JsonNode send(String sessionId, String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        ObjectNode m = JSON.createObjectNode().put("id", id).put("method", method);
        m.set("params", params);
        if (sessionId != null) {
            m.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        socket.sendText(m.toString(), true).join();
        JsonNode answer;
        try {
            answer = f.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(method + ": no answer from Chromium", e);
        }
        if (answer.has("error")) {
            throw new AssertionError(method + ": " + answer.get("error"));
        }
        return answer.get("result");
    }

    /** {@return the result of a protocol command on the page} */
    JsonNode call(String method, ObjectNode params) {
        return send(session, method, params);
    }

    JsonNode call(String method) {
        return call(method, JSON.createObjectNode());
    }

    /** Opens a page and waits for its load event. */
    void open(URI url) {
        call("Page.navigate", JSON.createObjectNode().put("url", url.toString()));
        waitFor(() -> "complete".equals(eval("document.readyState").asText()), 30, "the page to load");
    }

    /**
     * {@return the value of a JavaScript expression on the page (promises awaited)}
     *
     * @throws AssertionError if it throws
     */
    JsonNode eval(String expression) {
        JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError(expression + " threw " + r.get("exceptionDetails"));
        }
        JsonNode v = r.get("result").get("value");
        return v == null ? JSON.nullNode() : v;
    }

    /** Sets the files of a file input, as a user choosing them would (the page gets its change event). */
    void setFiles(String selector, Path... files) {
        int root = call("DOM.getDocument", JSON.createObjectNode().put("depth", 0)).get("root").get("nodeId").asInt();
        int node = call("DOM.querySelector", JSON.createObjectNode().put("nodeId", root).put("selector", selector))
                .get("nodeId").asInt();
        if (node == 0) {
            throw new AssertionError("no element " + selector);
        }
        ObjectNode p = JSON.createObjectNode().put("nodeId", node);
        var list = p.putArray("files");
        for (Path f : files) {
            list.add(f.toAbsolutePath().toString());
        }
        call("DOM.setFileInputFiles", p);
    }

    /** Waits until the condition holds, polling; fails after the timeout saying what it waited for. */
    void waitFor(BooleanSupplier condition, int seconds, String what) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** {@return the page as a PNG, written to the file} */
    byte[] screenshot(Path file) throws IOException {
        byte[] png = Base64.getDecoder().decode(call("Page.captureScreenshot", JSON.createObjectNode()
                .put("format", "png").put("captureBeyondViewport", true)).get("data").asText());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, png);
        return png;
    }

    /** {@return the exceptions the page's scripts threw, and the errors they logged, so far} */
    List<String> pageErrors() {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            String m = e.path("method").asText();
            if (m.equals("Runtime.exceptionThrown")) {
                out.add(e.path("params").path("exceptionDetails").toString());
            } else if (m.equals("Runtime.consoleAPICalled") && e.path("params").path("type").asText().equals("error")) {
                out.add(e.path("params").path("args").toString());
            }
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        // the renderer and helper processes too, and wait for them: one still writing to the profile after the
        // browser exited made the test's temporary directory fail to delete (CI, 2026-12-01)
        java.util.List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        for (ProcessHandle child : children) {
            child.destroy();
            try {
                child.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                child.destroyForcibly();
            }
        }
    }
}
