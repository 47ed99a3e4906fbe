/**
 * The exceptions dtd4j throws on purpose, all unchecked, all under {@link io.github.dtd4j.errors.Dtd4jException}:
 * a malformed graph, a bad input, a wrong configuration, a file that cannot be read, a model with parts dtd4j
 * cannot explain. Each message names the node, the layer kind and the shapes involved. This package depends on
 * nothing else in dtd4j, so every other package may use it.
 */
package io.github.dtd4j.errors;
