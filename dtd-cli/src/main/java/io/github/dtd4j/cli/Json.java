package io.github.dtd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * How the command writes JSON (bench results, ledgers): through Jackson, which escapes every string, so model paths
 * and node names with quotes or backslashes stay valid JSON.
 */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));
    private static final ObjectWriter COMPACT = MAPPER.writer();

    private Json() {
    }

    /** {@return a new, empty JSON object} */
    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** {@return a JSON tree on one line} @param node the tree */
    static String compact(JsonNode node) {
        return write(COMPACT, node);
    }

    /** {@return a JSON tree indented, ending in a newline} @param node the tree */
    static String pretty(JsonNode node) {
        return write(PRETTY, node) + "\n";
    }

    private static String write(ObjectWriter w, JsonNode node) {
        try {
            return w.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // a tree of plain nodes always serialises; anything else is a bug here
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@return the JSON texts parsed, as one tree: the only one, or an array of them}
     *
     * @param texts JSON documents, at least one
     * @throws IllegalStateException if one is not JSON (they come from the library's own writers)
     */
    static JsonNode oneOrArray(List<String> texts) {
        try {
            if (texts.size() == 1) {
                return MAPPER.readTree(texts.get(0));
            }
            ArrayNode a = MAPPER.createArrayNode();
            for (String t : texts) {
                a.add(MAPPER.readTree(t));
            }
            return a;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the library wrote invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@return a number with a fixed count of decimals, as {@code %.Nf} writes it, or null if it is not finite}:
     * timings mean nothing past a microsecond
     *
     * @param v        the number
     * @param decimals decimals kept
     */
    static BigDecimal fixed(double v, int decimals) {
        return Double.isFinite(v) ? new BigDecimal(String.format(Locale.ROOT, "%." + decimals + "f", v)) : null;
    }
}
