package io.github.dtd4j.onnx.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The imported graph's provenance: where it came from and every rewrite, as key-value pairs in the order they were
 * first recorded. Several notes under one key are joined with "; ".
 */
final class Provenance {
    private final Map<String, String> entries = new LinkedHashMap<>();

    /** Sets a key, replacing its value. @param key the key @param value the value */
    void put(String key, String value) {
        entries.put(key, value);
    }

    /** Appends a note under a key. @param key what kind of rewrite ("fused", "removed", ...) @param text what */
    void note(String key, String text) {
        entries.merge(key, text, (a, b) -> a + "; " + b);
    }

    /** Hands every entry, in order, to {@code sink}. @param sink receives key and value */
    void forEach(BiConsumer<String, String> sink) {
        entries.forEach(sink);
    }
}
