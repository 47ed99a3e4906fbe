package io.github.dtd4j;

/** How relevance passes through max-pooling. */
public enum MaxPoolMode {
    /** All relevance of a window goes to its first maximal input (default). */
    WINNER_TAKES_ALL,
    /** As sum-pooling: in proportion to the inputs of the window (paper §5.2, L^q pooling treated as a sum). */
    PROPORTIONAL
}
