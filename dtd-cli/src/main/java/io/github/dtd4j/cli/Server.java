package io.github.dtd4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.dtd4j.Coverage;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dtd serve}'s HTTP server: the JDK's own ({@code jdk.httpserver}), a page and a JSON API over one model loaded
 * at start. Requests name no file; uploads are capped in bytes and in pixels (read from the header before decoding);
 * at most {@code workers} explanations run at once and {@code queue} more wait, the rest get 503. Every failure of a
 * request is answered (4xx for the request's fault, 500 otherwise) and ends there.
 */
final class Server implements AutoCloseable {
    /**
     * The server's limits and address.
     *
     * @param host      the address to bind
     * @param port      the port (0: any free one)
     * @param maxUpload the largest request body, in bytes
     * @param maxPixels the largest picture, in pixels (width × height)
     * @param workers   explanations running at once
     * @param queue     explanations waiting beyond those; more get 503
     */
    record Limits(String host, int port, long maxUpload, long maxPixels, int workers, int queue) {
    }

    /** A request's failure, answered with its status and message. */
    static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Methods kept made between requests: each keeps what its rules derive from the weights (LRP's z⁺: the positive
     * weights, as large as the model), so a few only.
     */
    private static final int CACHED_METHODS = 3;
    /** Method options the page does not offer: a file, and the short aliases of --ig-steps and --smoothgrad-seed. */
    private static final java.util.Set<String> HIDDEN = java.util.Set.of("--ledger", "--baseline", "--steps", "--seed");

    private final Graph graph;
    private final String modelName;
    private final List<String> labels;
    private final Preprocessing pre;
    private final Limits limits;
    private final List<Path> examples;
    private final PrintWriter log;
    private final HttpServer http;
    private final ExecutorService pool;
    private final Semaphore running;
    private final ExecutorService explaining;
    private final io.github.dtd4j.Explainer forward;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, Attribution> methods = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Attribution> eldest) {
            return size() > CACHED_METHODS;
        }
    };

    /**
     * Binds the server; {@link #start} starts it.
     *
     * @param graph     the model
     * @param modelName what the page calls it
     * @param labels    class names, or null
     * @param pre       how pictures become tensors
     * @param limits    address and limits
     * @param examples  pictures the page offers (read at start; requests name them by index)
     * @param log       where requests that fail with 500 are reported
     * @throws UncheckedIOException if the address cannot be bound
     */
    Server(Graph graph, String modelName, List<String> labels, Preprocessing pre, Limits limits, List<Path> examples,
           PrintWriter log) {
        this.graph = graph;
        this.modelName = modelName;
        this.labels = labels;
        this.pre = pre;
        this.limits = limits;
        this.examples = List.copyOf(examples);
        this.log = log;
        this.running = new Semaphore(limits.workers(), true);
        this.explaining = java.util.concurrent.Executors.newFixedThreadPool(limits.workers(), r -> {
            Thread t = new Thread(r, "dtd-serve-explain");
            t.setDaemon(true);
            return t;
        });
        RuleOptions defaults = ServeRequest.parse(null).rules.options;
        defaults.defaultBounds = pre.bounds(false);
        this.forward = defaults.explainer(graph);
        int threads = limits.workers() + limits.queue() + 4;
        this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "dtd-serve");
                    t.setDaemon(true);
                    return t;
                });
        try {
            http = HttpServer.create(new InetSocketAddress(limits.host(), limits.port()), 64);
        } catch (IOException e) {
            throw new CliException("cannot listen on " + limits.host() + ":" + limits.port() + ": " + e.getMessage());
        }
        http.setExecutor(pool);
        http.createContext("/", this::handle);
    }

    /** Starts answering. */
    void start() {
        http.start();
    }

    /** {@return the port the server listens on} */
    int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
        explaining.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
                served.incrementAndGet();
            } catch (HttpError e) {
                failed.incrementAndGet();
                error(ex, e.status, e.getMessage());
            } catch (CliException | Dtd4jException | IllegalArgumentException e) {
                failed.incrementAndGet();
                error(ex, 400, e.getMessage());
            } catch (OutOfMemoryError e) {
                failed.incrementAndGet();
                log.println("dtd serve: " + ex.getRequestURI().getPath() + ": out of memory");
                log.flush();
                error(ex, 503, "the server ran out of memory for this request; try a smaller picture or fewer"
                        + " methods at once");
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                log.println("dtd serve: " + ex.getRequestURI().getPath() + ": " + e);
                log.flush();
                error(ex, 500, "internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")));
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        switch (path) {
            case "/", "/index.html" -> {
                get(method);
                send(ex, 200, "text/html; charset=utf-8", page());
            }
            case "/api/health" -> {
                get(method);
                ObjectNode o = Json.object().put("status", "ok").put("running", limits.workers() - running
                        .availablePermits()).put("waiting", Math.max(0, admitted.get() - limits.workers()))
                        .put("served", served.get()).put("failed", failed.get());
                json(ex, o);
            }
            case "/api/model" -> {
                get(method);
                json(ex, model());
            }
            case "/api/inspect" -> {
                get(method);
                json(ex, Json.object().set("nodes", nodes(ServeRequest.parse(ex.getRequestURI().getRawQuery()))));
            }
            case "/api/examples" -> {
                get(method);
                ArrayNode a = Json.object().arrayNode();
                examples.forEach(p -> a.add(p.getFileName().toString()));
                json(ex, Json.object().set("examples", a));
            }
            case "/api/classify", "/api/explain", "/api/compare" -> {
                if (!method.equals("POST")) {
                    throw new HttpError(405, path + " takes POST with the picture (PNG/JPEG) or a .npy tensor as the"
                            + " body");
                }
                ServeRequest q = ServeRequest.parse(ex.getRequestURI().getRawQuery());
                byte[] body = body(ex);
                admit(() -> {
                    switch (path) {
                        case "/api/classify" -> json(ex, classify(q, body));
                        case "/api/explain" -> explain(ex, q, body);
                        default -> compare(ex, q, body);
                    }
                });
            }
            default -> {
                if (path.startsWith("/api/examples/")) {
                    get(method);
                    send(ex, 200, "application/octet-stream", example(path.substring("/api/examples/".length())));
                    return;
                }
                throw new HttpError(404, "no such page: " + path + " (the API is under /api/: model, inspect,"
                        + " classify, explain, compare, examples, health)");
            }
        }
    }

    private static void get(String method) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new HttpError(405, "this address takes GET");
        }
    }

    /** A piece of work that runs under the concurrency limit. */
    private interface Work {
        void run() throws IOException;
    }

    /** Runs the work when a worker is free, if at most {@code queue} others wait; answers 503 otherwise. */
    private void admit(Work w) throws IOException {
        if (admitted.incrementAndGet() > limits.workers() + limits.queue()) {
            admitted.decrementAndGet();
            throw new HttpError(503, "busy: " + limits.workers() + " explanations are running and " + limits.queue()
                    + " waiting; try again shortly");
        }
        try {
            // on one of the workers' own threads: ND4J's native memory is then allocated by those threads only, and
            // stays flat, instead of growing in the allocator's arenas of every HTTP thread that ever explained
            java.util.concurrent.Future<?> done = explaining.submit(() -> {
                running.acquireUninterruptibly();
                try {
                    w.run();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    running.release();
                }
                return null;
            });
            try {
                done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HttpError(503, "interrupted");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                if (c instanceof RuntimeException r) {
                    throw r;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(c);
            }
        } finally {
            admitted.decrementAndGet();
        }
    }

    /** {@return the request body, refused past the upload limit} */
    private byte[] body(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new HttpError(400, "malformed Content-Length: " + length);
            }
            if (n > limits.maxUpload()) {
                drain(ex);
                throw new HttpError(413, "the upload is " + n + " bytes; this server takes at most "
                        + limits.maxUpload() + " (dtd serve --max-upload)");
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxUpload() + 1));
            if (b.length > limits.maxUpload()) {
                drain(ex);
                throw new HttpError(413, "the upload is larger than " + limits.maxUpload()
                        + " bytes, the most this server takes (dtd serve --max-upload)");
            }
            if (b.length == 0) {
                throw new HttpError(400, "no picture: send a PNG or JPEG picture (or a .npy tensor) as the body");
            }
            return b;
        }
    }

    /** Uploads read and dropped before a 413, at most: the client gets the answer instead of a reset connection. */
    private static final long DRAINED = 64L << 20;

    /**
     * Reads and drops what is left of a refused upload (up to {@link #DRAINED} bytes), so that the client, still
     * sending, reads the answer rather than a connection reset under it; past that the connection just closes.
     */
    private static void drain(HttpExchange ex) {
        try {
            InputStream in = ex.getRequestBody();
            long left = DRAINED;
            byte[] sink = new byte[64 << 10];
            while (left > 0) {
                int k = in.read(sink, 0, (int) Math.min(sink.length, left));
                if (k < 0) {
                    break;
                }
                left -= k;
            }
        } catch (IOException e) {
            // the client went away: nothing to drain
        }
    }

    /** The input of a request: the tensor and, for a picture, what the model saw. */
    private record Input(INDArray tensor, BufferedImage picture) implements AutoCloseable {
        /** Frees the tensor's memory now rather than at the next garbage collection. */
        @Override
        public void close() {
            tensor.close();
        }
    }

    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Input input(byte[] body) {
        if (body.length >= NPY_MAGIC.length && java.util.Arrays.equals(body, 0, NPY_MAGIC.length, NPY_MAGIC, 0,
                NPY_MAGIC.length)) {
            INDArray x = Npy.read(new java.io.ByteArrayInputStream(body), "the upload", body.length);
            return new Input(pre.npy(x, "the upload"), null);
        }
        int[] wh = Images.dimensions(body);
        if (wh == null) {
            throw new HttpError(415, "not a picture: send a PNG or JPEG picture or a .npy tensor");
        }
        if ((long) wh[0] * wh[1] > limits.maxPixels()) {
            throw new HttpError(413, String.format(Locale.ROOT, "the picture is %d x %d = %,d pixels; this server"
                    + " takes at most %,d (dtd serve --max-pixels)", wh[0], wh[1], (long) wh[0] * wh[1],
                    limits.maxPixels()));
        }
        BufferedImage seen = pre.seen(Images.read(body, "the upload"), graph.inputShape());
        return new Input(pre.tensor(seen), seen);
    }

    /** {@return the method, made once per settings and kept for the next requests} */
    private Attribution attribution(MethodRegistry.Entry entry, ServeRequest q, boolean npy) {
        String key = entry.name() + (npy ? " npy " : " ") + q.key(entry.name());
        synchronized (methods) {
            Attribution a = methods.get(key);
            if (a != null) {
                return a;
            }
        }
        RuleOptions r = q.rules.options;
        r.defaultBounds = pre.bounds(npy);
        Attribution a = entry.make(new MethodRegistry.Context(graph, q.methodOptions, r));
        synchronized (methods) {
            methods.put(key, a);
        }
        return a;
    }

    private Start start(ServeRequest q) {
        int t = q.targetClass();
        if (t < 0) {
            return Start.topClass();
        }
        long classes = graph.outputShape().dim(graph.outputShape().rank() - 1);
        if (t >= classes) {
            throw new HttpError(400, "target: the model has " + classes + " classes (0 to " + (classes - 1)
                    + "), got " + t);
        }
        return Start.classes(t);
    }

    private MethodRegistry.Entry entry(String name) {
        return MethodRegistry.find(name).orElseThrow(() -> new HttpError(400, "method: unknown method '" + name
                + "'; known: " + String.join(", ", MethodRegistry.names())));
    }

    private ObjectNode classify(ServeRequest q, byte[] body) {
        try (Input in = input(body); INDArray out = forward.forward(in.tensor())) {
            return Json.object().set("top", top(out, q.top));
        }
    }

    /** {@return the K classes of the highest logits of the first element, with their softmax probabilities} */
    private ArrayNode top(INDArray logits, int k) {
        double[] z = logits.castTo(DataType.DOUBLE).reshape(logits.size(0), -1).getRow(0).toDoubleVector();
        double max = java.util.Arrays.stream(z).max().orElse(0);
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        Integer[] order = new Integer[z.length];
        for (int i = 0; i < z.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(z[b], z[a]));
        ArrayNode a = Json.object().arrayNode();
        for (int i = 0; i < Math.min(k, z.length); i++) {
            int c = order[i];
            ObjectNode o = a.addObject().put("class", c).put("logit", z[c]).put("probability",
                    Math.exp(z[c] - max) / sum);
            String name = Labels.name(labels, c);
            if (name != null) {
                o.put("label", name);
            }
        }
        return a;
    }

    private void explain(HttpExchange ex, ServeRequest q, byte[] body) throws IOException {
        MethodRegistry.Entry entry = entry(q.method);
        q.check(List.of(entry));
        Input in = input(body);
        Attribution attribution = attribution(entry, q, in.picture() == null);
        long t0 = System.nanoTime();
        try (in; Attributions a = attribution.attribute(in.tensor(), start(q))) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            INDArray r = a.attribution();
            switch (q.format) {
                case NPY -> {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    Npy.write(r, b);
                    send(ex, 200, "application/octet-stream", b.toByteArray());
                }
                case PNG -> send(ex, 200, "image/png", png(Pictures.explanation(r, in.picture(), style(q,
                        in.picture() != null), title(a))));
                default -> json(ex, explanation(q, a, in, seconds, attribution.settings()));
            }
        }
    }

    /** {@return how a request's pictures are drawn; the overlay panel only for a picture input} */
    private static Pictures.Style style(ServeRequest q, boolean picture) {
        return new Pictures.Style(q.colormap.map, ExplainCommand.parseScale(q.scale), picture ? q.overlay : null,
                q.blur, q.contour);
    }

    private String title(Attributions a) {
        int t = a.targets()[0];
        String name = Labels.name(labels, t);
        return String.format(Locale.ROOT, "class %d%s, logit %.4g", t, name == null ? "" : " (" + name + ")",
                a.logits().getDouble(0, t));
    }

    private ObjectNode explanation(ServeRequest q, Attributions a, Input in, double seconds, String settings) {
        int t = a.targets()[0];
        INDArray r = a.attribution();
        ObjectNode o = Json.object().put("method", a.method()).put("settings", settings).put("class", t);
        String name = Labels.name(labels, t);
        if (name != null) {
            o.put("label", name);
        }
        o.put("logit", a.logits().getDouble(0, t));
        o.put("sum", a.ledger().map(l -> l.inputSums()[0]).orElseGet(() -> r.castTo(DataType.DOUBLE).sumNumber()
                .doubleValue()));
        o.put("seconds", Json.fixed(seconds, 4));
        o.put("shape", io.github.dtd4j.graph.Shape.format(r.shape()));
        o.set("top", top(a.logits(), q.top));
        if (r.rank() == 4 && r.size(0) == 1) {
            Pictures.Style style = style(q, in.picture() != null);
            int factor = Pictures.factor((int) r.size(2));
            double[][] px = Pictures.map(r, style);
            double value = Heatmaps.scaleValue(px, style.scale());
            BufferedImage heat = Heatmaps.render(px, style.map(), style.scale());
            BufferedImage shownHeat = Heatmaps.enlarge(heat, factor);
            o.put("scale", value);
            o.put("colorbar", dataUrl(Heatmaps.colorBar(style.map(), value, (int) r.size(2) * factor)));
            if (in.picture() != null) {
                o.put("input", dataUrl(Heatmaps.enlarge(in.picture(), factor)));
                BufferedImage over = Heatmaps.enlarge(Heatmaps.overlay(in.picture(), heat, q.overlay), factor);
                o.put("overlay", dataUrl(style.contour() ? Heatmaps.contourLines(over, px, value, false) : over));
            } else if (style.contour()) {
                shownHeat = Heatmaps.contourLines(shownHeat, px, value, true);
            }
            o.put("heatmap", dataUrl(shownHeat));
        }
        a.ledger().ifPresent(l -> {
            ArrayNode rows = o.putArray("ledger");
            for (LedgerEntry e : l.entries()) {
                rows.addObject().put("node", e.node()).put("kind", e.kind()).put("propagation", e.propagation())
                        .put("in", e.in()[0]).put("out", e.out()[0]).put("bias", e.bias()[0])
                        .put("stabilizer", e.stabilizer()[0]);
            }
            o.put("start", l.start()[0]);
            o.put("input_sum", l.inputSums()[0]);
        });
        return o;
    }

    private void compare(HttpExchange ex, ServeRequest q, byte[] body) throws IOException {
        List<MethodRegistry.Entry> chosen = q.methods == null
                ? MethodRegistry.DEFAULT_COMPARISON.stream().map(this::entry).toList()
                : MethodRegistry.parse(q.methods);
        q.check(chosen);
        try (Input in = input(body)) {
            compare(ex, q, chosen, in);
        }
    }

    private void compare(HttpExchange ex, ServeRequest q, List<MethodRegistry.Entry> chosen, Input in)
            throws IOException {
        Start start = start(q);
        ColorMap map = q.colormap.map;
        Heatmaps.Scale s = ExplainCommand.parseScale(q.scale);
        ArrayNode items = Json.object().arrayNode();
        List<ComparePanel.Row> rows = new ArrayList<>();
        String header = null;
        for (MethodRegistry.Entry e : chosen) {
            Attribution attribution = attribution(e, q, in.picture() == null);
            long t0 = System.nanoTime();
            try (Attributions a = attribution.attribute(in.tensor(), start)) {
                double seconds = (System.nanoTime() - t0) / 1e9;
                INDArray r = a.attribution();
                if (r.rank() != 4 || r.size(0) != 1) {
                    throw new HttpError(400, "compare draws heatmaps of one picture [1,C,H,W]; " + e.name()
                            + " gave " + io.github.dtd4j.graph.Shape.format(r.shape()));
                }
                header = header != null ? header : CompareCommand.headers(a).get(0);
                rows.add(new ComparePanel.Row(e.name(), attribution.settings(),
                        List.<double[][]>of(Heatmaps.pixels(r))));
                items.addObject().put("method", e.name()).put("settings", attribution.settings())
                        .put("class", a.targets()[0]).put("sum", r.castTo(DataType.DOUBLE).sumNumber().doubleValue())
                        .put("seconds", Json.fixed(seconds, 4))
                        .put("heatmap", dataUrl(Heatmaps.enlarge(Heatmaps.render(Pictures.map(r, style(q, false)),
                                map, s),
                                Pictures.factor((int) r.size(2)))));
            }
        }
        if (q.format == ServeRequest.Format.PNG) {
            BufferedImage picture = in.picture() != null ? in.picture()
                    : CompareCommand.pictures(in.tensor()).get(0);
            send(ex, 200, "image/png", png(ComparePanel.render(List.of(header), List.of(picture), rows,
                    "dtd serve: " + modelName)));
        } else if (q.format == ServeRequest.Format.NPY) {
            throw new HttpError(400, "format: compare answers json or png");
        } else {
            json(ex, Json.object().set("methods", items));
        }
    }

    private ObjectNode model() {
        ObjectNode o = Json.object().put("model", modelName).put("input", graph.inputShape().toBatchString())
                .put("output", graph.outputShape().toBatchString()).put("parameters", graph.parameterCount())
                .put("preprocessing", pre.describe());
        ArrayNode shape = o.putArray("input_shape");
        for (int i = 0; i < graph.inputShape().rank(); i++) {
            shape.add(graph.inputShape().dim(i));
        }
        o.put("classes", graph.outputShape().dim(graph.outputShape().rank() - 1));
        if (labels != null) {
            ArrayNode l = o.putArray("labels");
            labels.forEach(l::add);
        }
        ArrayNode ms = o.putArray("methods");
        for (MethodRegistry.Entry e : MethodRegistry.ENTRIES) {
            if (e.available()) {
                ArrayNode opts = ms.addObject().put("name", e.name()).putArray("options");
                e.options().stream().filter(n -> !HIDDEN.contains(n)).sorted()
                        .forEach(n -> opts.add(n.substring(2)));
            }
        }
        ArrayNode cmp = o.putArray("comparison");
        MethodRegistry.DEFAULT_COMPARISON.forEach(cmp::add);
        ArrayNode opts = o.putArray("options");
        ServeRequest probe = ServeRequest.parse(null);
        for (picocli.CommandLine.Model.OptionSpec os : probe.spec.options()) {
            String n = os.longestName().substring(2);
            ObjectNode d = opts.addObject().put("name", n).put("label", os.paramLabel())
                    .put("description", String.join(" ", os.description()).replace("${COMPLETION-CANDIDATES}", "")
                            .replace("${DEFAULT-VALUE}", String.valueOf(os.defaultValue())));
            if (os.defaultValue() != null) {
                d.put("default", os.defaultValue());
            }
            if (os.completionCandidates() != null) {
                ArrayNode c = d.putArray("choices");
                os.completionCandidates().forEach(c::add);
            }
        }
        ArrayNode ex = o.putArray("examples");
        examples.forEach(p -> ex.add(p.getFileName().toString()));
        o.putObject("limits").put("max_upload", limits.maxUpload()).put("max_pixels", limits.maxPixels())
                .put("workers", limits.workers()).put("queue", limits.queue());
        o.set("nodes", nodes(probe));
        return o;
    }

    /** {@return every node with the propagation it gets under a request's rule options} */
    private ArrayNode nodes(ServeRequest q) {
        RuleOptions r = q.rules.options;
        r.defaultBounds = pre.bounds(false);
        Coverage c = r.explainer(graph).coverage();
        ArrayNode a = Json.object().arrayNode();
        for (Node n : graph.nodes()) {
            a.addObject().put("name", n.name()).put("kind", n.kind()).put("inputs", String.join(",", n.inputs()))
                    .put("output", n.outputShape().toBatchString()).put("propagation", c.propagationOf(n.name()));
        }
        return a;
    }

    private byte[] example(String index) {
        int i;
        try {
            i = Integer.parseInt(index);
        } catch (NumberFormatException e) {
            throw new HttpError(404, "examples are named by their index, 0 to " + (examples.size() - 1));
        }
        if (i < 0 || i >= examples.size()) {
            throw new HttpError(404, "no example " + index + " (there are " + examples.size() + ")");
        }
        try {
            return Files.readAllBytes(examples.get(i));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] page() {
        try (InputStream in = Server.class.getResourceAsStream("serve/index.html")) {
            if (in == null) {
                throw new IllegalStateException("the page is missing from dtd.jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] png(BufferedImage img) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    private static String dataUrl(BufferedImage img) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(img));
    }

    private static void json(HttpExchange ex, ObjectNode o) throws IOException {
        send(ex, 200, "application/json", Json.compact(o).getBytes(StandardCharsets.UTF_8));
    }

    private static void error(HttpExchange ex, int status, String message) {
        try {
            send(ex, status, "application/json", Json.compact(Json.object().put("error", message == null
                    ? "error " + status : message)).getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            // headers already sent, or the client went away
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (status == 503) {
            ex.getResponseHeaders().set("Retry-After", "1");
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
