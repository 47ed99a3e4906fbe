package io.github.dtd4j.cli;

/** A problem with the command line's files or options, reported as one line. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }
}
