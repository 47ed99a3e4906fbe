package io.github.dtd4j.onnx.internal;

/**
 * Internal signal: the node being converted uses something dtd4j cannot represent. The importer catches it per node,
 * records the node and carries on, so that one {@link io.github.dtd4j.errors.UnsupportedModelException} can list every
 * such node. Never escapes the importer.
 */
final class NotSupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param reason why, in the terms of the node being converted */
    NotSupported(String reason) {
        super(reason, null, false, false);
    }
}
