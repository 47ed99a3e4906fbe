package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.UnsupportedModelException;
import onnx.OnnxMl.NodeProto;

/** How the importer names ONNX nodes in messages and in the unsupported list. */
final class Nodes {
    /** The default operator set, which ONNX writes as the empty domain. */
    static final String DEFAULT_DOMAIN = "ai.onnx";

    private Nodes() {
    }

    /** {@return the node's name, else its first output's name, else its operator} @param n the node */
    static String display(NodeProto n) {
        if (!n.getName().isBlank()) {
            return n.getName();
        }
        for (String o : n.getOutputList()) {
            if (!o.isBlank()) {
                return o;
            }
        }
        return n.getOpType().isBlank() ? "(unnamed node)" : n.getOpType();
    }

    /** {@return the message prefix naming the node and its operator: "node 'x' (Conv): "} @param n the node */
    static String where(NodeProto n) {
        return "node '" + display(n) + "' (" + n.getOpType() + "): ";
    }

    /** {@return the node's operator set, {@value #DEFAULT_DOMAIN} for the empty domain} @param n the node */
    static String domain(NodeProto n) {
        return n.getDomain().isEmpty() ? DEFAULT_DOMAIN : n.getDomain();
    }

    /**
     * {@return one unsupported part, its version written "domain opset N"}
     *
     * @param node   the node's display name, or "(model)" for the whole model
     * @param opType the operator, empty for the whole model
     * @param domain the operator set
     * @param opset  the version of that operator set the model imports
     * @param reason why dtd4j cannot import it
     */
    static UnsupportedModelException.Part part(String node, String opType, String domain, long opset, String reason) {
        return new UnsupportedModelException.Part(node, opType, domain + " opset " + opset, reason);
    }
}
