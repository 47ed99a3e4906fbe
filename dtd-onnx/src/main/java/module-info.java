/** Imports ONNX models (opsets 11–17) into dtd4j's layer graph: {@link io.github.dtd4j.onnx.OnnxModels}. */
module io.github.dtd4j.onnx {
    requires transitive io.github.dtd4j.core;
    requires protobuf;
    // Const.toArray copies weights into native memory through a javacpp pointer (15 times as fast as Nd4j.create)
    requires org.bytedeco.javacpp;

    exports io.github.dtd4j.onnx;
}
