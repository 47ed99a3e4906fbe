package io.github.dtd4j.errors;


/** A file cannot be read as what it claims to be: truncated, corrupt, an unsupported variant or absurd sizes. */
public class ModelFormatException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file */
    public ModelFormatException(String message) {
        super(message);
    }

    /** @param message what is wrong @param cause the underlying failure */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
