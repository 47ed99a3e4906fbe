package io.github.dtd4j.errors;

/**
 * Base class of every exception dtd4j throws on purpose. Unchecked: each one reports a mistake in a model,
 * an input or a configuration, and its message names the node, the layer kind and the shapes involved.
 */
public class Dtd4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and where */
    public Dtd4jException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and where
     * @param cause   the underlying failure
     */
    public Dtd4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
