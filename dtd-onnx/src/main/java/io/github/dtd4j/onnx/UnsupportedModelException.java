package io.github.dtd4j.onnx;

import java.util.List;
import java.util.Objects;

/**
 * A well-formed ONNX model uses operators, attributes or data types that dtd4j cannot represent. The exception lists
 * every such node at once ({@link #unsupported()}), found before any of the model runs.
 */
public class UnsupportedModelException extends io.github.dtd4j.io.UnsupportedModelException {
    private static final long serialVersionUID = 1L;

    /** @serial the unsupported nodes */
    private final List<UnsupportedNode> unsupported;

    /**
     * @param source      the model's file name, for the message
     * @param unsupported every unsupported node; not empty
     */
    public UnsupportedModelException(String source, List<UnsupportedNode> unsupported) {
        super(message(source, unsupported));
        this.unsupported = List.copyOf(unsupported);
    }

    /** {@return every unsupported node, in the model's order} */
    public List<UnsupportedNode> unsupported() {
        return unsupported;
    }

    @Override
    public List<String> parts() {
        return unsupported.stream().map(Object::toString).toList();
    }

    private static String message(String source, List<UnsupportedNode> list) {
        StringBuilder sb = new StringBuilder(source).append(": ").append(list.size())
                .append(list.size() == 1 ? " unsupported node" : " unsupported nodes");
        for (UnsupportedNode u : list) {
            sb.append("\n  ").append(u);
        }
        return sb.toString();
    }

    /**
     * One node dtd4j cannot import.
     *
     * @param node   the ONNX node's name (its first output's name if it has none)
     * @param opType the operator, e.g. {@code Sigmoid}
     * @param domain the operator set's domain, {@code ai.onnx} for the default one
     * @param opset  the version of that operator set the model imports
     * @param reason why it cannot be imported
     */
    public record UnsupportedNode(String node, String opType, String domain, long opset, String reason) {
        /** Requires every text field. */
        public UnsupportedNode {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(opType, "opType");
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return "'" + node + "' (" + opType + ", " + domain + " opset " + opset + "): " + reason;
        }
    }
}
