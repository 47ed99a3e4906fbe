package io.github.dtd4j.cli;

import io.github.dtd4j.Start;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code dtd explain --target} asks for: the top class, one class, the K top classes of each input (K runs,
 * outputs {@code NAME.top1} … {@code NAME.topK}), or one class per input from a file of {@code image,class} lines.
 */
final class Targets {
    private enum Kind { TOP, CLASS, TOP_K, FILE }

    private final Kind kind;
    private final int value;
    private final Map<String, Integer> byImage;
    private long width = -1;

    private Targets(Kind kind, int value, Map<String, Integer> byImage) {
        this.kind = kind;
        this.value = value;
        this.byImage = byImage;
    }

    /**
     * {@return the targets --target names}
     *
     * @param spec top, a class index, top-k:K or a file
     * @throws CliException for anything else, or a file with a malformed line
     */
    static Targets parse(String spec) {
        String s = spec.trim();
        if (s.equalsIgnoreCase("top")) {
            return new Targets(Kind.TOP, 0, Map.of());
        }
        if (s.toLowerCase(Locale.ROOT).startsWith("top-k:")) {
            try {
                int k = Integer.parseInt(s.substring(6).trim());
                if (k >= 1) {
                    return new Targets(Kind.TOP_K, k, Map.of());
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new CliException("--target: top-k:K needs a whole number K >= 1, got '" + spec + "'");
        }
        try {
            int c = Integer.parseInt(s);
            if (c < 0) {
                throw new CliException("--target: a class index is not negative, got " + c);
            }
            return new Targets(Kind.CLASS, c, Map.of());
        } catch (NumberFormatException e) {
            // a file, or nothing we know
        }
        Path p = Path.of(s);
        if (!Files.isRegularFile(p)) {
            throw new CliException("--target: expected top, a class index, top-k:K or a file of 'image,class' lines,"
                    + " got '" + spec + "'");
        }
        Map<String, Integer> m = new HashMap<>();
        try {
            int line = 0;
            for (String l : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                line++;
                String t = l.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                int comma = t.lastIndexOf(',');
                try {
                    if (comma <= 0) {
                        throw new NumberFormatException();
                    }
                    m.put(t.substring(0, comma).strip(), Integer.parseInt(t.substring(comma + 1).strip()));
                } catch (NumberFormatException e) {
                    throw new CliException("--target " + p + ", line " + line + ": expected 'image,class', got '" + t
                            + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot read", e);
        }
        if (m.isEmpty()) {
            throw new CliException("--target " + p + ": no 'image,class' line");
        }
        return new Targets(Kind.FILE, 0, m);
    }

    /** {@return how many explanations each input gets: K for top-k:K, else 1} */
    int runs() {
        return kind == Kind.TOP_K ? value : 1;
    }

    /** Records the number of classes, once the first run's logits are known. @param classes the output size */
    void rememberWidth(long classes) {
        width = classes;
    }

    /**
     * {@return the start of run {@code job} for an input}
     *
     * @param job    0 … {@link #runs()} − 1
     * @param image  the input's name relative to --input (or its file name)
     * @param logits the first run's logits, flattened {@code [N·K]}, for the later runs of top-k
     * @throws CliException if a file names no class for the input, or K exceeds the classes
     */
    Start start(int job, String image, double[] logits) {
        switch (kind) {
            case TOP:
                return Start.topClass();
            case CLASS:
                return Start.classes(value);
            case FILE:
                return Start.classes(classOf(image));
            default:
                if (job == 0) {
                    return Start.topClass();
                }
                if (job >= width) {
                    throw new CliException("--target top-k:" + value + ": the model has only " + width + " classes");
                }
                int n = (int) (logits.length / width);
                int[] classes = new int[n];
                for (int i = 0; i < n; i++) {
                    classes[i] = ranked(logits, i * (int) width, (int) width)[job];
                }
                return Start.classes(classes);
        }
    }

    private int classOf(String image) {
        Integer c = byImage.get(image);
        if (c == null) {
            c = byImage.get(Path.of(image).getFileName().toString());
        }
        if (c == null) {
            throw new CliException("--target: the file names no class for " + image);
        }
        return c;
    }

    /**
     * {@return the start of one batch of inputs, one element each, explained together}
     *
     * @param images the inputs' names relative to --input, in batch order
     * @throws CliException if a file names no class for one of them, or the targets are top-k (one run per class)
     */
    Start start(java.util.List<String> images) {
        return switch (kind) {
            case TOP -> Start.topClass();
            case CLASS -> Start.classes(value);
            case FILE -> Start.classes(images.stream().mapToInt(this::classOf).toArray());
            default -> throw new CliException("--target top-k: one run per class, not in batches");
        };
    }

    /** {@return the indices of a row's values from largest to smallest (ties: the lower index first)} */
    private static int[] ranked(double[] v, int from, int len) {
        Integer[] idx = new Integer[len];
        for (int k = 0; k < len; k++) {
            idx[k] = k;
        }
        java.util.Arrays.sort(idx, (p, q) -> {
            int c = Double.compare(v[from + q], v[from + p]);
            return c != 0 ? c : Integer.compare(p, q);
        });
        int[] out = new int[len];
        for (int k = 0; k < len; k++) {
            out[k] = idx[k];
        }
        return out;
    }
}
