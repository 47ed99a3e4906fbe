package io.github.dtd4j.errors;

import java.util.List;
import java.util.Objects;

/**
 * A well-formed model uses layers, operators or settings dtd4j cannot explain. Every importer (ONNX, DL4J, Keras)
 * throws this one type, listing every unsupported part at once, before anything runs.
 */
public class UnsupportedModelException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @serial every unsupported part, in the model's order */
    private final List<Part> parts;

    /**
     * @param source what was imported, for the message (a file name, or "DL4J MultiLayerNetwork")
     * @param parts  every unsupported part; not empty
     */
    public UnsupportedModelException(String source, List<Part> parts) {
        super(message(source, parts));
        this.parts = List.copyOf(parts);
    }

    /** {@return every unsupported part, in the model's (topological) order} */
    public List<Part> parts() {
        return parts;
    }

    private static String message(String source, List<Part> parts) {
        StringBuilder sb = new StringBuilder(String.valueOf(source)).append(": ").append(parts.size())
                .append(parts.size() == 1 ? " part" : " parts").append(" dtd4j cannot explain");
        for (Part p : parts) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }

    /**
     * One part of a model that dtd4j cannot import.
     *
     * @param node     the node, layer or vertex name in the model
     * @param operator what it is in the model's own terms: an ONNX operator ({@code Sigmoid}), a DL4J layer class
     *                 ({@code LSTM})
     * @param version  the operator set and version for ONNX ({@code ai.onnx:13}), empty where the format has none
     * @param reason   why it cannot be imported
     */
    public record Part(String node, String operator, String version, String reason) implements java.io.Serializable {
        /** Requires every field. */
        public Part {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(operator, "operator");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(reason, "reason");
        }

        /**
         * A part of a format without operator versions.
         *
         * @param node     the node, layer or vertex name
         * @param operator what it is in the model's own terms
         * @param reason   why it cannot be imported
         */
        public Part(String node, String operator, String reason) {
            this(node, operator, "", reason);
        }

        @Override
        public String toString() {
            return "'" + node + "' (" + operator + (version.isEmpty() ? "" : ", " + version) + "): " + reason;
        }
    }
}
