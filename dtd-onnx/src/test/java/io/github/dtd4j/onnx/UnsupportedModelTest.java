package io.github.dtd4j.onnx;

import io.github.dtd4j.errors.UnsupportedModelException;
import static io.github.dtd4j.onnx.OnnxBuilder.FLOAT;
import static io.github.dtd4j.onnx.OnnxBuilder.attr;
import static io.github.dtd4j.onnx.OnnxBuilder.attrs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Models dtd4j cannot represent: one exception lists every offending node, before anything runs. */
class UnsupportedModelTest {

    @Test
    void unsupportedOperatorsAreListedTogether() {
        byte[] model = new OnnxBuilder(13).input("x", FLOAT, "N", 6L).output("out")
                .weight("fc.weight", 0.5, 6, 4).weight("fc.bias", 0.1, 4)
                .node("Gemm", "fc", List.of("x", "fc.weight", "fc.bias"))
                .node("Erf", "gate", List.of("fc"))
                .node("Relu", "relu", List.of("gate"))
                .node("Softplus", "squash", List.of("relu"))
                .node("Pow", "out", List.of("fc", "fc"))
                .bytes();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> OnnxModels.load(model));
        assertThat(e.parts()).extracting(UnsupportedModelException.Part::node,
                UnsupportedModelException.Part::operator, UnsupportedModelException.Part::version)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("gate", "Erf", "ai.onnx opset 13"),
                        org.assertj.core.groups.Tuple.tuple("squash", "Softplus", "ai.onnx opset 13"),
                        org.assertj.core.groups.Tuple.tuple("out", "Pow", "ai.onnx opset 13"));
        assertThat(e).hasMessageContaining("(bytes): 3 parts dtd4j cannot explain")
                .hasMessageContaining("'gate' (Erf, ai.onnx opset 13)")
                .hasMessageContaining("'squash' (Softplus, ai.onnx opset 13)");
        // the Relu between them is supported; it is skipped, not reported
        assertThat(e.getMessage()).doesNotContain("'relu'");
        assertThat(e.parts()).hasSize(3).anySatisfy(p -> assertThat(p.toString()).contains("'gate' (Erf"));
    }

    @Test
    void otherDomainsAreListedWithTheirOpset() {
        byte[] model = new OnnxBuilder(13).opset("com.example", 2).input("x", FLOAT, "N", 4L).output("y")
                .node(onnx.OnnxMl.NodeProto.newBuilder().setOpType("Relu").setDomain("com.example").setName("y")
                        .addInput("x").addOutput("y").build())
                .bytes();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> OnnxModels.load(model));
        assertThat(e.parts()).singleElement()
                .satisfies(u -> assertThat(u.version()).isEqualTo("com.example opset 2"));
    }

    @Test
    void anOpsetOutsideTheRangeIsReportedWithTheUnsupportedOperators() {
        byte[] model = new OnnxBuilder(9).input("x", FLOAT, "N", 4L).output("y")
                .node("Relu", "r", List.of("x")).node("Softplus", "y", List.of("r")).bytes();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> OnnxModels.load(model));
        assertThat(e.parts()).extracting(UnsupportedModelException.Part::node).containsExactly("(model)", "y");
        assertThat(e.parts().get(0).reason()).contains("opset 9").contains("11-17");
    }

    @Test
    void twoInputsAreUnsupported() {
        byte[] model = new OnnxBuilder(13).input("a", FLOAT, "N", 4L).input("b", FLOAT, "N", 4L).output("y")
                .node("Add", "y", List.of("a", "b")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("one input and one output");
    }

    static Stream<Arguments> unsupportedUses() {
        return Stream.of(
                use("Softmax", "only over the last axis", b -> b.input("x", FLOAT, "N", 4L, 3L)
                        .node("Softmax", "s", List.of("x"), attr("axis", 1L)).node("Relu", "y", List.of("s"))),
                use("LRN", "even size", b -> b.input("x", FLOAT, "N", 4L, 3L, 3L)
                        .node("LRN", "y", List.of("x"), attr("size", 4L))),
                use("AveragePool", "count_include_pad=1 and padding", b -> b.input("x", FLOAT, "N", 1L, 6L, 6L)
                        .node("AveragePool", "y", List.of("x"), attrs("kernel_shape", 3, 3), attrs("strides", 2, 2),
                                attrs("pads", 1, 1, 1, 1), attr("count_include_pad", 1L), attr("ceil_mode", 1L))),
                use("Flatten", "axis 2", b -> b.input("x", FLOAT, "N", 2L, 3L, 3L)
                        .node("Flatten", "y", List.of("x"), attr("axis", 2L))),
                use("Reshape", "mix the batch", b -> b.input("x", FLOAT, "N", 2L, 3L, 3L).ints("shape", 2, -1)
                        .node("Reshape", "y", List.of("x", "shape"))),
                use("Gemm", "transA", b -> b.input("x", FLOAT, "N", 4L).weight("w", 1, 4, 2)
                        .node("Gemm", "y", List.of("x", "w"), attr("transA", 1L))),
                use("ReduceSum", "over the batch axis", b -> b.input("x", FLOAT, "N", 4L, 3L).ints("axes", 0, 1)
                        .node("ReduceSum", "y", List.of("x", "axes"), attr("keepdims", 0L))),
                use("Add", "different shapes", b -> b.input("x", FLOAT, "N", 4L, 3L).node("Relu", "r", List.of("x"))
                        .node("ReduceSum", "s", List.of("r", "ax"), attr("keepdims", 1L)).ints("ax", -1)
                        .node("Add", "y", List.of("r", "s"))),
                use("Add", "differs per sample", b -> b.input("x", FLOAT, "N", 4L).weight("c", 1, 3, 4)
                        .node("Add", "y", List.of("x", "c"))),
                use("Gather", "a run with one positive step", b -> b.input("x", FLOAT, "N", 4L).ints("i", 2, 0)
                        .node("Gather", "y", List.of("x", "i"), attr("axis", 1L))),
                use("Expand", "Expand of an activation", b -> b.input("x", FLOAT, "N", 1L).ints("s", 1, 4)
                        .node("Expand", "y", List.of("x", "s"))),
                use("MatMul", "one rank", b -> b.input("x", FLOAT, "N", 2L, 4L).node("Relu", "r", List.of("x"))
                        .node("Flatten", "f", List.of("x")).node("MatMul", "y", List.of("r", "f"))),
                use("Concat", "batch axis", b -> b.input("x", FLOAT, "N", 4L).node("Relu", "r", List.of("x"))
                        .node("Concat", "y", List.of("x", "r"), attr("axis", 0L))),
                use("MatMul", "rank-3 constant", b -> b.input("x", FLOAT, "N", 2L, 4L).weight("w", 1, 2, 4, 3)
                        .node("MatMul", "y", List.of("x", "w"))),
                use("Transpose", "has the batch on axis 1", b -> b.input("x", FLOAT, "N", 2L, 4L)
                        .node("Transpose", "y", List.of("x"), attrs("perm", 1, 0, 2))),
                use("Slice", "negative step", b -> b.input("x", FLOAT, "N", 4L).ints("s", 3).ints("e", 0)
                        .ints("a", 1).ints("st", -1).node("Slice", "y", List.of("x", "s", "e", "a", "st"))),
                use("ReduceMean", "no per-sample axis", b -> b.input("x", FLOAT, "N", 2L, 3L, 3L)
                        .node("ReduceMean", "y", List.of("x"), attrs("axes", 1, 2, 3), attr("keepdims", 0L))),
                use("Mul", "spans the batch axis", b -> b.input("x", FLOAT, "N", 4L).weight("c", 1, 2, 4)
                        .node("Mul", "y", List.of("x", "c"))),
                use("LayerNormalization", "the last axis only", b -> b.input("x", FLOAT, "N", 2L, 4L)
                        .weight("g", 1, 2, 4).node("LayerNormalization", "y", List.of("x", "g"), attr("axis", 1L))),
                use("Conv", "1-D convolutions", b -> b.input("x", FLOAT, "N", 2L, 8L).weight("w", 1, 3, 2, 3)
                        .node("Conv", "y", List.of("x", "w"))),
                use("Pad", "mode 'wrap'", b -> b.input("x", FLOAT, "N", 1L, 4L, 4L).ints("p", 0, 0, 1, 1, 0, 0, 1, 1)
                        .node("Pad", "y", List.of("x", "p"), attr("mode", "wrap"))),
                use("BatchNormalization", "training_mode", b -> b.input("x", FLOAT, "N", 2L)
                        .weight("s", 1, 2).weight("b", 1, 2).weight("m", 1, 2).floats("v", new long[]{2},
                                new float[]{1, 1})
                        .node("BatchNormalization", "y", List.of("x", "s", "b", "m", "v"), attr("training_mode", 1L))),
                use("Einsum", "sums over an axis of one operand", b -> b.input("x", FLOAT, "N", 2L, 3L)
                        .node("Relu", "r", List.of("x"))
                        .node("Einsum", "y", List.of("x", "r"), attr("equation", "nij,nkj->ni"))),
                use("Einsum", "ellipsis", b -> b.input("x", FLOAT, "N", 2L, 3L).node("Relu", "r", List.of("x"))
                        .node("Einsum", "y", List.of("x", "r"), attr("equation", "...ij,...kj->...ik"))),
                use("Resize", "mode 'cubic'", b -> b.input("x", FLOAT, "N", 1L, 3L, 3L)
                        .floats("s", new long[]{4}, new float[]{1, 1, 2, 2})
                        .node("Resize", "y", List.of("x", "", "s"), attr("mode", "cubic"))),
                use("Resize", "batch axis", b -> b.input("x", FLOAT, "N", 1L, 3L, 3L)
                        .floats("s", new long[]{4}, new float[]{2, 1, 1, 1})
                        .node("Resize", "y", List.of("x", "", "s"))),
                use("ConvTranspose", "a cropped result", b -> b.input("x", FLOAT, "N", 1L, 4L, 4L)
                        .weight("w", 1, 1, 1, 2, 2)
                        .node("ConvTranspose", "y", List.of("x", "w"), attrs("pads", 2, 2, 2, 2))),
                use("Conv", "computed from the input", b -> b.input("x", FLOAT, "N", 1L, 3L, 3L)
                        .node("Relu", "w", List.of("x")).node("Conv", "y", List.of("x", "w"))));
    }

    private static Arguments use(String op, String reason, Consumer<OnnxBuilder> model) {
        return Arguments.of(op, reason, model);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("unsupportedUses")
    void unsupportedUsesOfSupportedOperators(String op, String reason, Consumer<OnnxBuilder> model) {
        OnnxBuilder b = new OnnxBuilder(op.equals("BatchNormalization") ? 15 : op.equals("LayerNormalization") ? 17
                : 13).output("y");
        model.accept(b);
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> OnnxModels.load(b.bytes()));
        assertThat(e).as("expected an UnsupportedModelException").isNotNull();
        assertThat(e.parts()).as(e.getMessage()).singleElement().satisfies(u -> {
            assertThat(u.operator()).isEqualTo(op);
            assertThat(u.reason()).contains(reason);
        });
    }
}
