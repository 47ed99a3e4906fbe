package io.github.dtd4j.io;

import io.github.dtd4j.Dtd4jException;
import java.util.List;

/**
 * A well-formed model uses layers, operators or settings dtd4j cannot explain. Every importer lists all of them at
 * once, before anything runs; catch this type whatever the importer, and read {@link #parts()} for the list (the
 * importer's subclass also offers it as structured records).
 */
public abstract class UnsupportedModelException extends Dtd4jException {
    private static final long serialVersionUID = 1L;

    /** @param message the whole list, one part per line */
    protected UnsupportedModelException(String message) {
        super(message);
    }

    /** {@return every unsupported part, one human-readable line each, in the model's order} */
    public abstract List<String> parts();
}
