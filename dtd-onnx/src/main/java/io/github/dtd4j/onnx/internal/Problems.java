package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import onnx.OnnxMl.NodeProto;

/**
 * What is wrong with the model being imported: makes {@link ModelFormatException}s that name the file and the node
 * being converted, and gathers the unsupported parts so that one {@link UnsupportedModelException} lists them all.
 */
final class Problems {
    private final String source;
    private final List<UnsupportedModelException.Part> parts = new ArrayList<>();
    private NodeProto current;

    /** @param source the file name (or "(bytes)", "(stream)"), the start of every message */
    Problems(String source) {
        this.source = source;
    }

    /** {@return the file name messages start with} */
    String source() {
        return source;
    }

    /** Sets the node being converted, named by {@link #invalid} in messages that do not name one; null for none. */
    void converting(NodeProto node) {
        current = node;
    }

    /**
     * {@return a malformed-model exception: the source, the node being converted unless the message already names a
     * node, and the message}
     *
     * @param message what is wrong
     */
    ModelFormatException invalid(String message) {
        String at = current != null && !message.startsWith("node '") ? Nodes.where(current) : "";
        return new ModelFormatException(source + ": " + at + message);
    }

    /** Records an unsupported part, after those already recorded. @param part the part */
    void add(UnsupportedModelException.Part part) {
        parts.add(part);
    }

    /** Records an unsupported part before every other (the model's opset comes first). @param part the part */
    void addFirst(UnsupportedModelException.Part part) {
        parts.add(0, part);
    }

    /** {@return whether any part is unsupported} */
    boolean any() {
        return !parts.isEmpty();
    }

    /** {@return one exception listing every unsupported part} */
    UnsupportedModelException unsupported() {
        return new UnsupportedModelException(source, parts);
    }

    /** {@return one exception for a single model-level unsupported part} @param part the part */
    UnsupportedModelException unsupported(UnsupportedModelException.Part part) {
        return new UnsupportedModelException(source, List.of(part));
    }
}
