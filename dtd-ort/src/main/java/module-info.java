/**
 * ONNX Runtime as an engine of {@link io.github.dtd4j.Explainer}: with this module present,
 * {@code explainer.engine(ExplanationEngine.ONNX_RUNTIME)} compiles the explainer into one ONNX graph and runs it
 * in an ONNX Runtime session ({@link io.github.dtd4j.ort.OrtRuntime}).
 */
module io.github.dtd4j.ort {
    requires transitive io.github.dtd4j.core;
    requires com.microsoft.onnxruntime;

    exports io.github.dtd4j.ort;

    provides io.github.dtd4j.spi.CompiledRuntime with io.github.dtd4j.ort.OrtRuntime;
}
