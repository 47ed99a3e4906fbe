package io.github.dtd4j.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.errors.InvalidGraphException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Builder validation, shape inference, ordering, provenance and printing of {@link Graph}. */
class GraphTest {
    private static INDArray w(long... shape) {
        return Nd4j.ones(DataType.FLOAT, shape);
    }

    private static Dense dense(long in, long out) {
        return new Dense(w(in, out), w(out));
    }

    private static Conv2d conv(long out, long in, int k) {
        return Conv2d.of(w(out, in, k, k), w(out));
    }

    // ---------------------------------------------------------------- builder validation

    @Test
    void duplicateNameIsRejected() {
        GraphBuilder b = Graph.builder(Shape.of(4)).add("fc", dense(4, 4), "input");
        assertThatThrownBy(() -> b.add("fc", new Relu(), "fc"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'fc' (Relu)")
                .hasMessageContaining("already used");
    }

    @Test
    void nodeNamedLikeTheInputIsRejected() {
        assertThatThrownBy(() -> Graph.builder(Shape.of(4)).add("input", new Relu(), "input"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("'input'")
                .hasMessageContaining("already used");
    }

    @Test
    void duplicateNameInSequentialBuilder() {
        assertThatThrownBy(() -> Graph.sequential(4).dense("fc", w(4, 4), null).dense("fc", w(4, 2), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'fc' (Dense)");
    }

    @Test
    void unknownInputIsRejected() {
        assertThatThrownBy(() -> Graph.builder(Shape.of(4)).add("fc", dense(4, 2), "nope"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'fc' (Dense)")
                .hasMessageContaining("'nope'");
        // a node cannot read a node added after it: no cycles
        GraphBuilder b = Graph.builder(Shape.of(4)).add("a", new Relu(), "input");
        assertThatThrownBy(() -> b.add("b", new Add(), "a", "c"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'b' (Add)")
                .hasMessageContaining("'c'");
        assertThatThrownBy(() -> b.add("self", new Relu(), "self"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("'self'");
    }

    @Test
    void wrongArityIsRejected() {
        GraphBuilder b = Graph.builder(Shape.of(4)).add("a", new Relu(), "input").add("b", new Relu(), "input");
        assertThatThrownBy(() -> b.add("r", new Relu(), "a", "b"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'r' (Relu)")
                .hasMessageContaining("takes 1 input")
                .hasMessageContaining("got 2");
        assertThatThrownBy(() -> b.add("sum", new Add(), "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'sum' (Add)")
                .hasMessageContaining("two or more");
        assertThatThrownBy(() -> b.add("cat", Concat.channels(), List.of("a")))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'cat' (Concat)");
        assertThatThrownBy(() -> b.add("d", dense(4, 2)))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'd' (Dense)")
                .hasMessageContaining("got 0");
    }

    @Test
    void denseShapeMismatchNamesNodeKindAndBothShapes() {
        assertThatThrownBy(() -> Graph.sequential(10).dense("fc", w(16, 4), null).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessage("layer 'fc' (Dense): expected input [N,16] or [N,...,16], got [N,10]");
        // an image fed to a Dense without a Flatten
        assertThatThrownBy(() -> Graph.sequential(Shape.of(1, 4, 4)).dense("fc", w(16, 4), null).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'fc' (Dense)")
                .hasMessageContaining("[N,16]")
                .hasMessageContaining("[N,1,4,4]");
    }

    @Test
    void convShapeMismatchNamesNodeKindAndBothShapes() {
        assertThatThrownBy(() -> Graph.sequential(Shape.of(3, 224, 224)).conv("features.10", conv(64, 256, 3)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessage("layer 'features.10' (Conv2d): expected input [N,256,H,W], got [N,3,224,224]");
        assertThatThrownBy(() -> Graph.sequential(12).conv("c", conv(4, 3, 3)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'c' (Conv2d)")
                .hasMessageContaining("[N,12]");
        // groups: weight [4,2,3,3] with 2 groups reads 4 channels
        Conv2d grouped = Conv2d.of(w(4, 2, 3, 3), null).withGroups(2);
        assertThatThrownBy(() -> Graph.sequential(Shape.of(2, 8, 8)).conv("g", grouped).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'g' (Conv2d)")
                .hasMessageContaining("[N,4,H,W]")
                .hasMessageContaining("[N,2,8,8]");
    }

    @Test
    void otherShapeMismatches() {
        GraphBuilder b = Graph.builder(Shape.of(3, 8, 8))
                .add("a", conv(4, 3, 3), "input")     // [4,6,6]
                .add("b", conv(4, 3, 1), "input");    // [4,8,8]
        assertThatThrownBy(() -> b.add("sum", new Add(), "a", "b"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'sum' (Add)")
                .hasMessageContaining("[N,4,6,6]")
                .hasMessageContaining("[N,4,8,8]");
        assertThatThrownBy(() -> b.add("cat", Concat.channels(), "a", "b"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'cat' (Concat)")
                .hasMessageContaining("[N,4,6,6]")
                .hasMessageContaining("[N,4,8,8]");
        assertThatThrownBy(() -> b.add("cat3", new Concat(3), "a", "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'cat3' (Concat)");
        assertThatThrownBy(() -> b.add("bn", new BatchNorm(w(3), w(3), w(3), w(3), 1e-5), "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'bn' (BatchNorm)")
                .hasMessageContaining("[N,3,H,W]")
                .hasMessageContaining("[N,4,6,6]");
        assertThatThrownBy(() -> b.add("pool", new SumPool(2), "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'pool' (SumPool)")
                .hasMessageContaining("[N,4,6,6]");
        assertThatThrownBy(() -> b.add("rs", new Reshape(Shape.of(10, 10)), "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'rs' (Reshape)")
                .hasMessageContaining("[N,10,10]")
                .hasMessageContaining("[N,4,6,6]");
        assertThatThrownBy(() -> b.add("mp", MaxPool2d.of(7, 1), "a"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'mp' (MaxPool2d)")
                .hasMessageContaining("[N,4,6,6]");
        assertThatThrownBy(() -> b.add("lrn", new LocalResponseNorm(3, 1e-4, 0.75, 1), "input").add("f", new Flatten(),
                "lrn").add("lrn2", new LocalResponseNorm(3, 1e-4, 0.75, 1), "f"))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'lrn2' (LocalResponseNorm)")
                .hasMessageContaining("[N,192]");
        assertThatThrownBy(() -> Graph.sequential(8).then("gap", new GlobalAvgPool()).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'gap' (GlobalAvgPool)")
                .hasMessageContaining("[N,8]");
        assertThatThrownBy(() -> Graph.sequential(8).then("ada", new AdaptiveAvgPool2d(1, 1)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'ada' (AdaptiveAvgPool2d)");
    }

    @Test
    void nodeThatDoesNotReachTheOutputIsRejected() {
        GraphBuilder b = Graph.builder(Shape.of(4))
                .add("fc", dense(4, 3), "input")
                .add("side", new Relu(), "input")
                .add("out", new Relu(), "fc");
        assertThatThrownBy(b::build)
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("side (Relu)")
                .hasMessageContaining("'out'")
                .hasMessageNotContaining("fc (Dense)");
        // naming an earlier node as the output leaves the later ones dangling
        GraphBuilder c = Graph.builder(Shape.of(4)).add("fc1", dense(4, 4), "input").add("r", new Relu(), "fc1")
                .output("fc1");
        assertThatThrownBy(c::build)
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("r (Relu)");
    }

    @Test
    void outputIsInferredOrNamed() {
        Graph last = Graph.builder(Shape.of(4)).add("fc", dense(4, 3), "input").add("r", new Relu(), "fc").build();
        assertThat(last.outputName()).isEqualTo("r");
        assertThat(last.outputShape()).isEqualTo(Shape.of(3));

        Graph named = Graph.builder(Shape.of(4)).add("a", dense(4, 3), "input").add("b", dense(4, 5), "input")
                .add("cat", new Concat(0), "a", "b").add("r", new Relu(), "cat").output("r").build();
        assertThat(named.outputName()).isEqualTo("r");
        assertThat(named.outputShape()).isEqualTo(Shape.of(8));
        assertThat(named.shapeOf("input")).isEqualTo(Shape.of(4));
        assertThat(named.shapeOf("b")).isEqualTo(Shape.of(5));
        assertThatThrownBy(() -> named.shapeOf("zz")).isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("'zz'");

        assertThatThrownBy(() -> Graph.builder(Shape.of(4)).add("a", new Relu(), "input").output("nope").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> Graph.builder(Shape.of(4)).add("a", new Relu(), "input").output("input").build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("'input'");
        assertThatThrownBy(() -> Graph.builder(Shape.of(4)).build())
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("at least one node");
    }

    @Test
    void shapesAreInferredThroughEveryKind() {
        Graph g = Graph.builder(Shape.of(3, 11, 10))
                .add("c", Conv2d.of(w(8, 3, 3, 3), null).withStride(2).withPadding(0, 1, 2, 1), "input") // [8,6,5]
                .add("d", Conv2d.of(w(8, 1, 3, 3), null).withDilation(2).withPadding(2).withGroups(8), "c") // [8,6,5]
                .add("mp", new MaxPool2d(2, 3, 2, 1, 0, 1, 1, 1), "d")   // [8,(6+1-2)/2+1=3,(5+2-3)/1+1=5]
                .add("ap", new AvgPool2d(3, 3, 1, 1, 1, 1, 1, 1, false), "mp") // [8,3,5]
                .add("ada", new AdaptiveAvgPool2d(2, 4), "ap")           // [8,2,4]
                .add("lrn", new LocalResponseNorm(5, 1e-4, 0.75, 2), "ada")
                .add("bn", new BatchNorm(w(8), w(8), w(8), w(8), 1e-5), "lrn")
                .add("gap", new GlobalAvgPool(), "bn")                  // [8,1,1]
                .add("cat", new Concat(1), "gap", "gap")                // [8,2,1]
                .add("flat", new Flatten(), "cat")                      // [16]
                .add("sp", new SumPool(4), "flat")                      // [4]
                .add("rs", new Reshape(Shape.of(2, 2)), "sp")
                .add("f2", new Flatten(), "rs")
                .add("id", new Identity(), "f2")
                .add("do", new Dropout(0.2), "id")
                .build();
        assertThat(g.shapeOf("c")).isEqualTo(Shape.of(8, 6, 5));
        assertThat(g.shapeOf("d")).isEqualTo(Shape.of(8, 6, 5));
        assertThat(g.shapeOf("mp")).isEqualTo(Shape.of(8, 3, 5));
        assertThat(g.shapeOf("ap")).isEqualTo(Shape.of(8, 3, 5));
        assertThat(g.shapeOf("ada")).isEqualTo(Shape.of(8, 2, 4));
        assertThat(g.shapeOf("gap")).isEqualTo(Shape.of(8, 1, 1));
        assertThat(g.shapeOf("cat")).isEqualTo(Shape.of(8, 2, 1));
        assertThat(g.shapeOf("flat")).isEqualTo(Shape.of(16));
        assertThat(g.shapeOf("sp")).isEqualTo(Shape.of(4));
        assertThat(g.shapeOf("rs")).isEqualTo(Shape.of(2, 2));
        assertThat(g.outputShape()).isEqualTo(Shape.of(4));
        assertThat(g.outputName()).isEqualTo("do");
    }

    @Test
    void kernelLargerThanThePaddedInputIsRejectedAtBuild() {
        assertThatThrownBy(() -> Graph.sequential(Shape.of(3, 4, 4)).conv("c1", conv(2, 3, 5)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'c1' (Conv2d)")
                .hasMessageContaining("5x5")
                .hasMessageContaining("[N,3,4,4]");
        // the same kernel fits once padded
        Graph ok = Graph.sequential(Shape.of(3, 4, 4)).conv("c1", conv(2, 3, 5).withPadding(1)).build();
        assertThat(ok.outputShape()).isEqualTo(Shape.of(2, 2, 2));
        // dilation makes the kernel effectively larger
        assertThatThrownBy(() -> Graph.sequential(Shape.of(3, 4, 4)).conv("c2", conv(2, 3, 3).withDilation(2)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'c2' (Conv2d)")
                .hasMessageContaining("dilation 2x2");
    }

    // ---------------------------------------------------------------- order, consumers, provenance

    @Test
    void nodesAreInTopologicalOrderWithConsumers() {
        Graph g = Graph.builder(Shape.of(2, 6, 6))
                .add("stem", conv(4, 2, 3), "input")
                .add("r", new Relu(), "stem")
                .add("b1", conv(4, 4, 1), "r")
                .add("b2", conv(4, 4, 1), "r")
                .add("sum", new Add(), "b1", "b2", "r")
                .add("flat", new Flatten(), "sum")
                .build();
        List<String> order = g.nodes().stream().map(Node::name).toList();
        assertThat(order).containsExactly("stem", "r", "b1", "b2", "sum", "flat");
        Set<String> seen = new HashSet<>(Set.of(g.inputName()));
        for (Node n : g.nodes()) {
            assertThat(seen).as("inputs of %s come first", n.name()).containsAll(n.inputs());
            seen.add(n.name());
        }
        assertThat(g.consumers("r")).containsExactly("b1", "b2", "sum");
        assertThat(g.consumers("input")).containsExactly("stem");
        assertThat(g.consumers("flat")).isEmpty();
        assertThat(g.node("sum").orElseThrow().inputs()).containsExactly("b1", "b2", "r");
        assertThat(g.node("nope")).isEmpty();
        assertThat(g.node("b1").orElseThrow().isLinear()).isTrue();
        assertThat(g.node("r").orElseThrow().isLinear()).isFalse();
        assertThat(g.parameterCount()).isEqualTo(4 * 2 * 9 + 4 + 2 * (16 + 4));
    }

    @Test
    void nodesListIsImmutable() {
        Graph g = Graph.sequential(4).relu().build();
        assertThatThrownBy(() -> g.nodes().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> g.provenance().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void sequentialNamesUnnamedLayers() {
        Graph g = Graph.sequential(4).relu().dense("fc", w(4, 4), null).relu().sumPool(2).flatten().build();
        assertThat(g.nodes().stream().map(Node::name)).containsExactly("relu_1", "fc", "relu_2", "sumpool_1",
                "flatten_1");
        // a user name that collides with a generated one is skipped over
        Graph h = Graph.sequential(4).then("relu_1", new Identity()).relu().build();
        assertThat(h.nodes().stream().map(Node::name)).containsExactly("relu_1", "relu_2");
    }

    @Test
    void provenanceIsRecordedAndMerged() {
        Graph g = Graph.builder(Shape.of(4)).provenance("source", "model.onnx").provenance("source", "opset 13")
                .add("fc", dense(4, 2), "input").build();
        assertThat(g.provenance()).containsEntry("source", "model.onnx; opset 13");
        Graph h = g.withProvenance("note", "hand-made");
        assertThat(h.provenance()).containsEntry("note", "hand-made").containsEntry("source", "model.onnx; opset 13");
        assertThat(g.provenance()).doesNotContainKey("note");
        assertThat(h.nodes()).isEqualTo(g.nodes());
        Graph s = Graph.sequential(4).provenance("producer", "test").relu().build();
        assertThat(s.provenance()).containsEntry("producer", "test");
    }

    // ---------------------------------------------------------------- Shape

    @Test
    void shapeFormatting() {
        Shape s = Shape.of(3, 224, 224);
        assertThat(s.toBatchString()).isEqualTo("[N,3,224,224]");
        assertThat(s.toString()).isEqualTo("[3,224,224]");
        assertThat(Shape.of(10).toBatchString()).isEqualTo("[N,10]");
        assertThat(Shape.format(new long[]{1, 3, 224, 224})).isEqualTo("[1,3,224,224]");
        assertThat(Shape.format(new long[0])).isEqualTo("[]");
        assertThat(s.withBatch(5)).containsExactly(5, 3, 224, 224);
        assertThat(s.size()).isEqualTo(3L * 224 * 224);
        assertThat(s.rank()).isEqualTo(3);
        assertThat(s.dim(0)).isEqualTo(3);
        assertThat(Shape.ofBatch(new long[]{7, 3, 224, 224})).isEqualTo(s);
        assertThat(s.matchesBatch(new long[]{2, 3, 224, 224})).isTrue();
        assertThat(s.matchesBatch(new long[]{3, 224, 224})).isFalse();
        assertThat(s.matchesBatch(new long[]{2, 3, 224, 225})).isFalse();
        assertThat(s).isEqualTo(Shape.of(3, 224, 224)).hasSameHashCodeAs(Shape.of(3, 224, 224));
        assertThat(s).isNotEqualTo(Shape.of(224, 224, 3));
    }

    @Test
    void shapeIsImmutableAndValidated() {
        long[] dims = {2, 3};
        Shape s = Shape.of(dims);
        dims[0] = 99;
        assertThat(s.dim(0)).isEqualTo(2);
        s.dims()[1] = 99;
        assertThat(s.dim(1)).isEqualTo(3);
        assertThatThrownBy(() -> Shape.of(3, 0)).isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> Shape.of(-1)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> Shape.ofBatch(new long[0])).isInstanceOf(InvalidGraphException.class);
    }

    // ---------------------------------------------------------------- records print shapes, never values

    @Test
    void recordsPrintShapeAndDtypeNeverValues() {
        INDArray big = Nd4j.rand(DataType.FLOAT, 1000, 1000).addi(0.123456);
        Dense d = new Dense(big, Nd4j.rand(DataType.FLOAT, 1000));
        String s = d.toString();
        assertThat(s).hasSizeLessThan(120).contains("[1000,1000]").contains("FLOAT").contains("[1000]");
        assertThat(s).doesNotContain("0.1").doesNotContain("0.2").doesNotContain("0.5");
        assertThat(new Dense(big, null).toString()).contains("none");

        Conv2d c = Conv2d.of(Nd4j.rand(DataType.DOUBLE, 64, 3, 7, 7), null).withStride(2).withPadding(3);
        assertThat(c.toString()).hasSizeLessThan(200).contains("DOUBLE[64,3,7,7]").contains("stride=2x2")
                .doesNotContain("0.");
        BatchNorm bn = new BatchNorm(Nd4j.rand(DataType.FLOAT, 512), Nd4j.rand(DataType.FLOAT, 512),
                Nd4j.rand(DataType.FLOAT, 512), Nd4j.rand(DataType.FLOAT, 512), 1e-5);
        assertThat(bn.toString()).hasSizeLessThan(100).contains("512").contains("FLOAT");

        Graph g = Graph.sequential(1000).dense("fc", big, null).build();
        assertThat(g.toString()).hasSizeLessThan(200).contains("fc").contains("Dense");
        assertThat(g.nodes().get(0).toString()).hasSizeLessThan(300).contains("[1000,1000]");
    }

    @Test
    void kindsAreSimpleNames() {
        assertThat(new Relu().kind()).isEqualTo("Relu");
        assertThat(dense(2, 2).kind()).isEqualTo("Dense");
        assertThat(MaxPool2d.of(2, 2).kind()).isEqualTo("MaxPool2d");
        assertThat(new Add().arity()).isEqualTo(-1);
        assertThat(new Concat(0).arity()).isEqualTo(-1);
        assertThat(new Relu().arity()).isEqualTo(1);
    }

    @Test
    void everyGraphErrorIsOurs() {
        assertThat(Dtd4jException.class).isAssignableFrom(InvalidGraphException.class);
    }
}
