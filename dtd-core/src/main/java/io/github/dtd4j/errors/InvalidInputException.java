package io.github.dtd4j.errors;

/** An input tensor cannot be explained: wrong shape, NaN or infinite values, values outside a rule's domain. */
public class InvalidInputException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the node and the shapes or values */
    public InvalidInputException(String message) {
        super(message);
    }
}
