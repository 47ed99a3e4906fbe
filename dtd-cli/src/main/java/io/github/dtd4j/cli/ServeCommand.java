package io.github.dtd4j.cli;

import io.github.dtd4j.graph.Graph;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd serve}: a web page and a JSON API that explain one model, loaded once. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a web page and a JSON API that explain a model's decisions: upload a picture, see the top"
                + " classes, the heatmap and the overlay of any method, where the relevance went layer by layer, and"
                + " several methods side by side (docs/serve.md). The model is loaded once; requests name no file.",
                "Binds to 127.0.0.1 unless --host is given."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--input-shape", paramLabel = "C,H,W",
            description = "the per-sample input shape of a DL4J model zip (DL4J does not keep it for images)")
    String inputShape;

    @Option(names = "--labels", paramLabel = "imagenet|FILE", description = "class names")
    String labels;

    @Mixin
    Preprocessing preprocessing;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "the address to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0: every"
                    + " address)")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "the port (default ${DEFAULT-VALUE}; 0: any free port, printed at start)")
    int port;

    @Option(names = "--max-upload", paramLabel = "SIZE", defaultValue = "16M",
            description = "the largest upload, in bytes, or with K or M (default ${DEFAULT-VALUE})")
    String maxUpload;

    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "40000000",
            description = "the largest picture, width × height (default ${DEFAULT-VALUE})")
    long maxPixels;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
            description = "explanations computed at once (default ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "explanations that wait for a worker; beyond them the server answers 503 (default"
                    + " ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--examples", paramLabel = "DIR", description = "a directory of pictures the page offers to pick")
    Path examples;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException {
        // every option is checked before the model is read
        if (port < 0 || port > 65535) {
            throw new CliException("--port: expected 0 to 65535, got " + port);
        }
        long upload = size(maxUpload);
        if (maxPixels < 1) {
            throw new CliException("--max-pixels: expected a positive count, got " + maxPixels);
        }
        if (workers < 1 || queue < 0) {
            throw new CliException("--workers must be at least 1 and --queue at least 0, got " + workers + " and "
                    + queue);
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new CliException("--host: unknown address '" + host + "'");
        }
        preprocessing.validate();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> pictures = List.of();
        if (examples != null) {
            if (!Files.isDirectory(examples)) {
                throw new CliException("--examples: not a directory: " + examples);
            }
            pictures = Inputs.images(examples, false, err);
        }
        List<String> names = Labels.load(labels);
        if (!Files.exists(model)) {
            throw new CliException(model + ": no such model file");
        }
        Graph graph = ModelFiles.load(model, inputShape);
        Labels.check(names, graph, labels);
        Server server = new Server(graph, model.getFileName().toString(), names, preprocessing,
                new Server.Limits(host, port, upload, maxPixels, workers, queue), pictures, err);
        server.start();
        PrintWriter out = spec.commandLine().getOut();
        String shown = address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]"
                : address.getHostAddress();
        out.printf(Locale.ROOT, "dtd serve: %s (input %s, output %s) on http://%s:%d/%n", model.getFileName(),
                graph.inputShape().toBatchString(), graph.outputShape().toBatchString(), shown, server.port());
        if (!address.isLoopbackAddress()) {
            out.println("dtd serve: listening beyond this machine (--host " + host + "): whoever reaches it can use"
                    + " the model");
        }
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /** {@return a size in bytes} @param s bytes, or a count with K or M */
    static long size(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1024 : t.endsWith("M") ? 1024 * 1024 : 1;
        try {
            long n = Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1).strip());
            if (n >= 1 && n <= Integer.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CliException("--max-upload: expected a size such as 16M, 512K or 100000 (at most 2G), got '" + s
                + "'");
    }
}
