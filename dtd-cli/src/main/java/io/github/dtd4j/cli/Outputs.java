package io.github.dtd4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Where {@code dtd explain} writes: output names that never collide, files written whole or not at all, and the
 * summary of a directory run.
 */
final class Outputs {
    private Outputs() {
    }

    /**
     * One explained input (or batch element), or one that failed.
     *
     * @param file    the input, relative to the input directory
     * @param target  the explained class, -1 if it failed
     * @param label   its name, or null
     * @param logit   its logit
     * @param sum     the sum of the relevance (or attribution)
     * @param seconds reading and explaining it
     * @param error   why it failed, or null
     */
    record Row(String file, int target, String label, double logit, double sum, double seconds, String error) {
    }

    /**
     * {@return for each input, the output path without extension under {@code out}}: the input's path relative to
     * {@code base} (its folders mirrored) without its extension, or with it where two inputs would share a name
     * ({@code cat.jpg} and {@code cat.png} → {@code cat.jpg}, {@code cat.png})
     *
     * @param files the inputs
     * @param base  the input directory, or null for a single file
     * @param out   the output directory
     */
    static Map<Path, Path> names(List<Path> files, Path base, Path out) {
        Map<String, Integer> count = new HashMap<>();
        for (Path f : files) {
            count.merge(stemPath(f, base), 1, Integer::sum);
        }
        Map<Path, Path> names = new LinkedHashMap<>();
        for (Path f : files) {
            String stem = stemPath(f, base);
            String rel = count.get(stem) > 1 ? (base == null ? f.getFileName() : base.relativize(f)).toString() : stem;
            names.put(f, out.resolve(rel));
        }
        return names;
    }

    private static String stemPath(Path f, Path base) {
        Path rel = base == null ? f.getFileName() : base.relativize(f);
        Path parent = rel.getParent();
        String stem = Inputs.stem(rel);
        return parent == null ? stem : parent.resolve(stem).toString();
    }

    /** {@return base with a suffix appended to its file name} @param base a path @param suffix ".png", ".npy" */
    static Path sibling(Path base, String suffix) {
        return base.resolveSibling(base.getFileName() + suffix);
    }

    /**
     * Writes a file whole or not at all: {@code write} fills a hidden temporary file beside it, which is then renamed
     * over the target, so an interrupted run leaves no half-written output.
     *
     * @param target the file
     * @param write  writes to the path it is given
     */
    static void atomically(Path target, Consumer<Path> write) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + ".part");
        WRITING.lock();
        try {
            if (stopping) {
                throw new CliException(target + ": not written: the run is stopping");
            }
            Files.createDirectories(dir);
            write.accept(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write", e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the rename moved it, or the failure above says why
            }
            WRITING.unlock();
        }
    }

    /**
     * Held while an output is written: a run stopped by a signal (kill, Ctrl-C) lets the file being written finish
     * (or fail and be deleted) and starts no other, so that no temporary file is left behind.
     */
    private static final ReentrantLock WRITING = new ReentrantLock();
    private static volatile boolean stopping;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            try {
                // the write under way finishes (a picture or a tensor: well under the wait); no new one starts
                if (WRITING.tryLock(30, TimeUnit.SECONDS)) {
                    WRITING.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dtd-outputs-stop"));
    }

    /**
     * Writes {@code summary.csv} and {@code summary.jsonl} into the output directory: one row per input (per batch
     * element), with the class, its label, the logit, the relevance sum, the time (seconds, reading and explaining it) and
     * the error, under the names the issue gives them.
     *
     * @param out  the output directory
     * @param rows the rows
     */
    static void summaries(Path out, List<Row> rows) {
        StringBuilder csv = new StringBuilder("file,class,label,logit,relevance_sum,time,error\n");
        StringBuilder jsonl = new StringBuilder();
        for (Row r : rows) {
            boolean ok = r.error() == null;
            csv.append(String.join(",", csvField(r.file()), ok ? Integer.toString(r.target()) : "",
                    csvField(r.label()), ok ? number(r.logit()) : "", ok ? number(r.sum()) : "",
                    String.format(Locale.ROOT, "%.3f", r.seconds()), csvField(r.error()))).append('\n');
            com.fasterxml.jackson.databind.node.ObjectNode m = Json.object();
            m.put("file", r.file());
            if (ok) {
                m.put("class", r.target());
            } else {
                m.putNull("class");
            }
            m.put("label", r.label());
            if (ok) {
                m.put("logit", r.logit());
                m.put("relevance_sum", r.sum());
            } else {
                m.putNull("logit");
                m.putNull("relevance_sum");
            }
            m.put("time", Math.round(r.seconds() * 1000) / 1000.0);
            m.put("error", r.error());
            jsonl.append(Json.compact(m)).append('\n');
        }
        atomically(out.resolve("summary.csv"), p -> writeString(p, csv.toString()));
        atomically(out.resolve("summary.jsonl"), p -> writeString(p, jsonl.toString()));
    }

    private static void writeString(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot write", e);
        }
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }

    private static String csvField(String s) {
        if (s == null) {
            return "";
        }
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
