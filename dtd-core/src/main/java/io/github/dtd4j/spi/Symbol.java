package io.github.dtd4j.spi;

/**
 * A tensor of an ONNX graph that an explainer is compiled into: its name in the graph. Rules that can be compiled
 * ({@link LinearRule#compile}) compute on symbols as they compute on arrays.
 *
 * @param name the tensor's name in the graph
 */
public record Symbol(String name) {
}
