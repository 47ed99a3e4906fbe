package io.github.dtd4j.paper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How the experiment writes its JSON files (Table 1, the provenance of the shipped files): Jackson trees, indented
 * two spaces, {@code "key": value}, a newline at the end. Jackson escapes every string, so paths with quotes or
 * backslashes stay valid JSON.
 */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private Json() {
    }

    /** {@return a new, empty JSON object} */
    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** {@return a JSON tree as indented text ending in a newline} @param node the tree */
    static String pretty(JsonNode node) {
        try {
            return PRETTY.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            // a tree of plain nodes always serialises; anything else is a bug here
            throw new IllegalStateException(e);
        }
    }

    /** Writes a JSON tree to a file, indented. @param node the tree @param path the file @throws IOException on I/O */
    static void write(JsonNode node, Path path) throws IOException {
        Files.writeString(path, pretty(node));
    }

    /**
     * {@return a number with a fixed count of decimals, written as {@code %.Nf} writes it}: the files record what was
     * measured at the precision it means (accuracies to 4 decimals, seconds to 1)
     *
     * @param v        the number, finite
     * @param decimals decimals kept
     */
    static BigDecimal fixed(double v, int decimals) {
        return new BigDecimal(String.format(Locale.ROOT, "%." + decimals + "f", v));
    }

    /** Puts a double, or null when it is not finite (JSON has no NaN). @param o object @param key key @param v value */
    static void putFinite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }
}
