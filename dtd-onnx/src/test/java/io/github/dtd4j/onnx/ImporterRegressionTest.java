package io.github.dtd4j.onnx;

import static io.github.dtd4j.onnx.OnnxBuilder.FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.ModelFormatException;
import java.util.List;
import onnx.OnnxMl.NodeProto;
import org.junit.jupiter.api.Test;

/** Malformed nodes that once escaped the importer as IndexOutOfBoundsException. */
class ImporterRegressionTest {
    private static OnnxBuilder relu() {
        return new OnnxBuilder(13).input("x", FLOAT, "N", 4L).output("y");
    }

    @Test
    void aSoftmaxWithoutOutputIsMalformed() {
        byte[] model = relu().node(NodeProto.newBuilder().setOpType("Softmax").setName("s").addInput("x").build())
                .node("Relu", "y", List.of("x")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(ModelFormatException.class)
                .hasMessage("(bytes): node 's' (Softmax): has no output");
    }

    @Test
    void aBiasAddWithoutOutputIsMalformed() {
        byte[] model = relu().weight("w", 1, 4, 3).weight("c", 1, 3).node("MatMul", "m", List.of("x", "w"))
                .node(NodeProto.newBuilder().setOpType("Add").setName("a").addInput("m").addInput("c").build())
                .node("Relu", "y", List.of("x")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(ModelFormatException.class)
                .hasMessage("(bytes): node 'a' (Add): has no output");
    }

    @Test
    void shapeArithmeticBroadcastsOntoAnEmptyVector() {
        byte[] model = relu().ints("empty").ints("one", 5).node("Add", "sum", List.of("empty", "one"))
                .node("Relu", "y", List.of("x")).bytes();
        assertThat(OnnxModels.load(model).provenance().get("evaluated at import")).startsWith("1 ");
    }
}
