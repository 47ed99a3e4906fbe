package io.github.dtd4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code dtd serve} process started from {@code dtd.jar} as a user would (with a 512 MB heap, committed and touched
 * at start, so that RSS grows only with native memory), on a free port,
 * stopped at close.
 */
final class Served implements AutoCloseable {
    private static final Pattern URL = Pattern.compile("on (http://\\S+/)");

    private final Process process;
    private final URI base;
    private final Path err;
    private final StringBuilder out = new StringBuilder();

    /**
     * Starts the server and waits (at most 180 s) until it says where it listens.
     *
     * @param dir  where its stderr is kept
     * @param args {@code dtd serve}'s arguments (--port 0 is added)
     */
    Served(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"), "-jar",
                System.getProperty("dtd.jar", "target/dtd.jar"), "serve", "--port", "0"));
        cmd.addAll(List.of(args));
        err = Files.createTempFile(dir, "serve-err", ".txt");
        process = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<URI> found = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    Matcher m = URL.matcher(line);
                    if (m.find()) {
                        return URI.create(m.group(1));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            return null;
        });
        URI u;
        try {
            u = found.get(180, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            u = null;
        }
        if (u == null) {
            process.destroyForcibly();
            throw new AssertionError("dtd serve did not start: " + out + Files.readString(err));
        }
        base = u;
        // keep draining stdout so that the server never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        drain.setDaemon(true);
        drain.start();
    }

    /** {@return the address of a path on the server} @param path e.g. "/api/explain?method=lrp" */
    URI uri(String path) {
        return base.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    /** {@return whether the server process is running} */
    boolean alive() {
        return process.isAlive();
    }

    /** {@return the server's resident memory, in bytes (Linux)} */
    long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    /** {@return what the server printed on stderr so far} */
    String err() throws IOException {
        return Files.readString(err);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
