/** Imports ONNX models (opsets 11–17) into dtd4j's layer graph: {@link io.github.dtd4j.onnx.OnnxModels}. */
module io.github.dtd4j.onnx {
    requires transitive io.github.dtd4j.core;
    requires protobuf;

    exports io.github.dtd4j.onnx;
}
