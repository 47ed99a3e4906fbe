package io.github.dtd4j.onnx;

import io.github.dtd4j.io.ModelFormatException;

/**
 * An ONNX model cannot be read: the file is truncated or is not ONNX, the graph has a cycle or an edge that no node
 * produces, an initializer is missing or holds fewer values than its dimensions say, a size would need absurd
 * memory. The message names the file and, where there is one, the node. A {@link ModelFormatException}, like the
 * other file readers' errors.
 */
public class InvalidModelException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and the node */
    public InvalidModelException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and the node
     * @param cause   the underlying failure (a protobuf or I/O error)
     */
    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
