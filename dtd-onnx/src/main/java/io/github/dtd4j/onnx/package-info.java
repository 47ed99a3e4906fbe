/**
 * Imports ONNX models into dtd4j's layer graph: {@link io.github.dtd4j.onnx.OnnxModels#load(java.nio.file.Path)}.
 * The importer reads the ONNX protobuf with the classes that ND4J already ships, maps each supported operator to a
 * {@link io.github.dtd4j.graph.Layer}, and reports every unsupported node at once
 * ({@link io.github.dtd4j.errors.UnsupportedModelException}) or a malformed file
 * ({@link io.github.dtd4j.errors.ModelFormatException}).
 */
package io.github.dtd4j.onnx;
