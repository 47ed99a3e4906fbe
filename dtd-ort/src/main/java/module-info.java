/** Runs explainers compiled into one ONNX graph on ONNX Runtime: {@link io.github.dtd4j.ort.OrtExplainer}. */
module io.github.dtd4j.ort {
    requires transitive io.github.dtd4j.core;
    requires com.microsoft.onnxruntime;

    exports io.github.dtd4j.ort;
}
