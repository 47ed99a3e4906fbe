package io.github.dtd4j.errors;

/**
 * An explainer or rule is configured wrongly: a layer without a rule, a selector naming an unknown node,
 * a rule parameter out of range (for example α − β ≠ 1), bounds that do not fit a layer.
 */
public class ConfigurationException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and where */
    public ConfigurationException(String message) {
        super(message);
    }

    /** @param message what is wrong and where @param cause the underlying failure */
    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
