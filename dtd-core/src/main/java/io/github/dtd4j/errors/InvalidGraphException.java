package io.github.dtd4j.errors;

/** A layer graph is malformed: unknown or duplicate names, wrong arity, incompatible shapes, bad parameters. */
public class InvalidGraphException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the node, its kind and the shapes */
    public InvalidGraphException(String message) {
        super(message);
    }

    /** @param message what is wrong, naming the node @param cause the underlying failure */
    public InvalidGraphException(String message, Throwable cause) {
        super(message, cause);
    }
}
