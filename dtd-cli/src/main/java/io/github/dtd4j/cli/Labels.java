package io.github.dtd4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Class names for --labels: the 1000 ImageNet classes shipped with dtd4j, or a file with one name per line. */
final class Labels {
    private Labels() {
    }

    static List<String> load(String spec) {
        if (spec == null) {
            return List.of();
        }
        if (spec.equalsIgnoreCase("imagenet")) {
            try (InputStream in = Labels.class.getResourceAsStream("/imagenet_classes.txt")) {
                if (in == null) {
                    throw new CliException("the ImageNet class names are missing from this build");
                }
                return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().map(String::trim)
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the ImageNet class names", e);
            }
        }
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p)) {
            throw new CliException("--labels: " + spec + " is neither 'imagenet' nor a file");
        }
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8).stream().map(String::trim).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot read labels", e);
        }
    }

    /** {@return class k's name, or null without labels} @param labels the names, maybe none @param k a class */
    static String name(List<String> labels, int k) {
        return k >= 0 && k < labels.size() ? labels.get(k) : null;
    }

    /**
     * Requires one name per class of the model's output.
     *
     * @param labels the names, maybe none
     * @param graph  the model
     * @param spec   what --labels said
     * @throws CliException if the counts differ
     */
    static void check(List<String> labels, io.github.dtd4j.graph.Graph graph, String spec) {
        if (labels.isEmpty()) {
            return;
        }
        long classes = graph.outputShape().size();
        if (labels.size() != classes) {
            throw new CliException("--labels: " + spec + " names " + labels.size() + " classes, but the model has "
                    + classes + " outputs " + graph.outputShape().toBatchString());
        }
    }
}
