package io.github.dtd4j.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Relu;
import java.util.List;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.junit.jupiter.api.Test;

/** Converters are found by operator and opset; what has none is listed, with its opset, before anything converts. */
class ConverterRegistryTest {
    private static final OpConverter RELU = (ctx, node) -> ctx.emit(new Relu(), ctx.activation(0));

    @Test
    void theStandardTablesCoverTheDocumentedOperators() {
        assertThat(OnnxImport.supportedOperators()).containsExactly("Add", "AveragePool", "BatchNormalization",
                "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Div", "Dropout",
                "Einsum", "Elu", "Equal", "Expand", "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "HardSigmoid", "HardSwish",
                "Identity", "LRN", "LayerNormalization", "LeakyRelu", "MatMul", "MaxPool", "Mod", "Mul", "Not", "Pad",
                "Pow", "Range", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Resize", "ScatterND", "Shape",
                "Sigmoid", "Slice", "Softmax", "Split", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze", "Where");
        // the fused attention's operator is the importer's own, never in a model file, and not listed
        assertThat(ConverterRegistry.standard().find(AttentionFusion.OPERATOR, 17)).isNotNull();
        ConverterRegistry standard = ConverterRegistry.standard();
        for (long opset = OnnxImport.MIN_OPSET; opset <= OnnxImport.MAX_OPSET; opset++) {
            assertThat(standard.find("Conv", opset)).as("opset %d", opset).isNotNull();
        }
        assertThat(standard.find("Conv", OnnxImport.MAX_OPSET + 1)).isNull();
    }

    @Test
    void eachOpsetRangeHasItsConverter() {
        OpConverter old = (ctx, node) -> ctx.output(ctx.activation(0));
        ConverterRegistry r = ConverterRegistry.builder().add(11, 12, old, "Relu").add(13, 17, RELU, "Relu").build();
        assertThat(r.find("Relu", 12)).isSameAs(old);
        assertThat(r.find("Relu", 13)).isSameAs(RELU);
        assertThat(r.find("Relu", 18)).isNull();
        assertThat(r.find("Sigmoid", 13)).isNull();
        assertThat(r.knows("Relu")).isTrue();
        assertThat(r.versionGap("Relu", 13)).isNull();
        assertThat(r.versionGap("Relu", 18)).contains("opset 18").contains("11-12, 13-17");
    }

    @Test
    void overlappingRangesAreRejected() {
        ConverterRegistry.Builder b = ConverterRegistry.builder().add(11, 13, RELU, "Relu");
        assertThatThrownBy(() -> b.add(13, 17, RELU, "Relu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Relu has two converters for opsets 13-13");
        assertThatThrownBy(() -> b.add(14, 12, RELU, "Sigmoid")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nodesWithoutAConverterForTheOpsetAreListedTogether() {
        ConverterRegistry r = ConverterRegistry.builder().add(14, 17, RELU, "Relu").build();
        byte[] model = model(13, node("Relu", "r", "x"), node("Sigmoid", "s", "r"), node("Relu", "y", "s"));
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class, () -> convert(model, r));
        assertThat(e.parts()).extracting(UnsupportedModelException.Part::node, UnsupportedModelException.Part::operator,
                UnsupportedModelException.Part::version).containsExactly(
                org.assertj.core.groups.Tuple.tuple("r", "Relu", "ai.onnx opset 13"),
                org.assertj.core.groups.Tuple.tuple("s", "Sigmoid", "ai.onnx opset 13"),
                org.assertj.core.groups.Tuple.tuple("y", "Relu", "ai.onnx opset 13"));
        assertThat(e.parts().get(0).reason()).isEqualTo("operator not supported in opset 13 (dtd4j converts it in "
                + "opsets 14-17)");
        assertThat(e.parts().get(1).reason()).isEqualTo("operator not supported");
        Graph g = convert(model(14, node("Relu", "y", "x")), r);
        assertThat(g.nodes()).extracting(n -> n.layer().kind()).containsExactly("Relu");
    }

    private static Graph convert(byte[] model, ConverterRegistry converters) {
        Problems problems = new Problems("(test)");
        return new Conversion(ModelReader.read(model, problems), problems, new OnnxTensors("(test)", null), converters,
                ConstantFolder.standard(), OnnxImport.REWRITES).run();
    }

    private static NodeProto node(String op, String out, String in) {
        return NodeProto.newBuilder().setOpType(op).setName(out).addInput(in).addOutput(out).build();
    }

    /** A model reading x [N,4], computing y with the given nodes. */
    private static byte[] model(long opset, NodeProto... nodes) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4));
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1)
                .setShape(shape)).build();
        GraphProto graph = GraphProto.newBuilder().addAllNode(List.of(nodes))
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(type)).build();
        return ModelProto.newBuilder().setIrVersion(7).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset)).build().toByteArray();
    }
}
