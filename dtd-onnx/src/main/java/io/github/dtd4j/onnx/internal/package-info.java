/**
 * The ONNX importer behind {@link io.github.dtd4j.onnx.OnnxModels}; not part of the API.
 *
 * <p>{@link io.github.dtd4j.onnx.internal.OnnxImport#load OnnxImport.load} runs, in order:
 * <ol>
 * <li>{@code ModelReader}: protobuf to a {@code ValidatedModel} (structure checked, nodes sorted topologically);</li>
 * <li>{@code Conversion}: lists every node no converter or fold knows, then for each node in order either the
 *     {@code ConstantFolder} evaluates it or the {@code OpConverter} the {@code ConverterRegistry} holds for its
 *     operator and opset converts it, through a per-node {@code ConversionContext};</li>
 * <li>every layer a converter emits passes through the {@code Rewrite}s (pad, bias and sum-pool fusions) into the
 *     {@code IrGraph}, which finally builds the {@link io.github.dtd4j.graph.Graph}.</li>
 * </ol>
 * See the module's README, "Adding an operator".
 */
package io.github.dtd4j.onnx.internal;
