package io.github.dtd4j.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The graph rewrites: pure functions that leave the model's output and the user's graph unchanged. */
class RewritesTest {
    private final Random rng = new Random(7);

    private INDArray randn(DataType t, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c').castTo(t);
    }

    private INDArray uniform(DataType t, double lo, double hi, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rng.nextDouble();
        }
        return Nd4j.create(v, shape, 'c').castTo(t);
    }

    private BatchNorm bn(DataType t, long c) {
        return new BatchNorm(randn(t, c), randn(t, c), randn(t, c), uniform(t, 0.3, 2.0, c), 1e-3);
    }

    /** {@return copies of every array the graph holds, node by node} */
    private static List<INDArray> snapshot(Graph g) {
        List<INDArray> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                out.add(a.dup());
            }
        }
        return out;
    }

    private static void assertUntouched(Graph g, List<INDArray> before) {
        List<INDArray> now = new ArrayList<>();
        for (Node n : g.nodes()) {
            now.addAll(Graph.parameters(n.layer()));
        }
        assertThat(now).hasSameSizeAs(before);
        for (int i = 0; i < now.size(); i++) {
            assertThat(now.get(i)).as("parameter array %d", i).isEqualTo(before.get(i));
        }
    }

    /** Both graphs on the same input; the largest difference relative to the largest output. */
    private static double relativeDifference(Graph a, Graph b, INDArray x) {
        INDArray ya = io.github.dtd4j.internal.Forward.output(a, x);
        INDArray yb = io.github.dtd4j.internal.Forward.output(b, x);
        assertThat(yb.shape()).isEqualTo(ya.shape());
        double scale = Math.max(ya.amaxNumber().doubleValue(), 1e-30);
        return ya.castTo(DataType.DOUBLE).sub(yb.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() / scale;
    }

    private static List<String> names(Graph g) {
        return g.nodes().stream().map(Node::name).toList();
    }

    // ---------------------------------------------------------------- foldBatchNorm

    private Graph convBn(DataType t, boolean convBias) {
        return Graph.builder(Shape.of(3, 7, 7))
                .add("conv", Conv2d.of(randn(t, 4, 3, 3, 3), convBias ? randn(t, 4) : null).withPadding(1).withStride(2),
                        "input")
                .add("bn", bn(t, 4), "conv")
                .add("relu", new Relu(), "bn")
                .add("flat", new Flatten(), "relu")
                .add("fc", new Dense(randn(t, 64, 3), randn(t, 3)), "flat")
                .build();
    }

    @Test
    void foldConvBnKeepsOutputNameAndWiring() {
        for (boolean bias : new boolean[]{true, false}) {
            for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
                Graph g = convBn(t, bias);
                List<INDArray> before = snapshot(g);
                Graph f = Rewrites.foldBatchNorm(g);

                assertThat(names(f)).containsExactly("conv", "relu", "flat", "fc");
                assertThat(f.node("conv").orElseThrow().layer()).isInstanceOf(Conv2d.class);
                assertThat(f.node("relu").orElseThrow().inputs()).containsExactly("conv");
                assertThat(f.consumers("conv")).containsExactly("relu");
                Conv2d folded = (Conv2d) f.node("conv").orElseThrow().layer();
                assertThat(folded.bias()).isNotNull();
                assertThat(folded.weight().dataType()).isEqualTo(t);
                assertThat(folded.bias().dataType()).isEqualTo(t);
                assertThat(folded.strideH()).isEqualTo(2);
                assertThat(folded.padTop()).isEqualTo(1);
                assertThat(f.provenance().get("folded BatchNorm")).isEqualTo("bn into conv");

                INDArray x = randn(t, 3, 3, 7, 7);
                double tol = t == DataType.DOUBLE ? 1e-12 : 1e-5;
                assertThat(relativeDifference(g, f, x)).as("bias=%s %s", bias, t).isLessThanOrEqualTo(tol);

                // the user's graph and its arrays are untouched
                assertThat(names(g)).containsExactly("conv", "bn", "relu", "flat", "fc");
                assertUntouched(g, before);
            }
        }
    }

    @Test
    void foldedConvWeightsAreTheSpecFormula() {
        Graph g = convBn(DataType.DOUBLE, true);
        Conv2d c = (Conv2d) g.node("conv").orElseThrow().layer();
        BatchNorm b = (BatchNorm) g.node("bn").orElseThrow().layer();
        Conv2d f = (Conv2d) Rewrites.foldBatchNorm(g).node("conv").orElseThrow().layer();
        for (int o = 0; o < 4; o++) {
            double s = b.gamma().getDouble(o) / Math.sqrt(b.var().getDouble(o) + b.eps());
            double expectedBias = (c.bias().getDouble(o) - b.mean().getDouble(o)) * s + b.beta().getDouble(o);
            assertThat(f.bias().getDouble(o)).isCloseTo(expectedBias, org.assertj.core.api.Assertions.within(1e-12));
            for (int i = 0; i < 3; i++) {
                for (int a = 0; a < 3; a++) {
                    for (int q = 0; q < 3; q++) {
                        assertThat(f.weight().getDouble(o, i, a, q)).isCloseTo(c.weight().getDouble(o, i, a, q) * s,
                                org.assertj.core.api.Assertions.within(1e-12));
                    }
                }
            }
        }
    }

    @Test
    void foldDenseBn() {
        for (boolean bias : new boolean[]{true, false}) {
            for (DataType t : List.of(DataType.DOUBLE, DataType.FLOAT)) {
                Graph g = Graph.sequential(6)
                        .dense("fc1", randn(t, 6, 5), bias ? randn(t, 5) : null)
                        .then("bn", bn(t, 5))
                        .relu()
                        .dense("fc2", randn(t, 5, 2), null)
                        .build();
                List<INDArray> before = snapshot(g);
                Graph f = Rewrites.foldBatchNorm(g);
                assertThat(names(f)).containsExactly("fc1", "relu_1", "fc2");
                assertThat(f.node("relu_1").orElseThrow().inputs()).containsExactly("fc1");
                Dense d = (Dense) f.node("fc1").orElseThrow().layer();
                assertThat(d.bias()).isNotNull();
                // the spec formula, computed here
                Dense orig = (Dense) g.node("fc1").orElseThrow().layer();
                BatchNorm b = (BatchNorm) g.node("bn").orElseThrow().layer();
                double tolW = t == DataType.DOUBLE ? 1e-12 : 1e-5;
                for (int j = 0; j < 5; j++) {
                    double s = b.gamma().getDouble(j) / Math.sqrt(b.var().getDouble(j) + b.eps());
                    double b0 = bias ? orig.bias().getDouble(j) : 0;
                    assertThat(d.bias().getDouble(j)).isCloseTo((b0 - b.mean().getDouble(j)) * s + b.beta().getDouble(j),
                            org.assertj.core.api.Assertions.within(tolW * 10));
                    for (int i = 0; i < 6; i++) {
                        assertThat(d.weight().getDouble(i, j)).isCloseTo(orig.weight().getDouble(i, j) * s,
                                org.assertj.core.api.Assertions.within(tolW * 10));
                    }
                }
                INDArray x = randn(t, 4, 6);
                assertThat(relativeDifference(g, f, x)).isLessThanOrEqualTo(t == DataType.DOUBLE ? 1e-12 : 1e-5);
                assertUntouched(g, before);
            }
        }
    }

    @Test
    void foldBnThatIsTheOutputRenamesTheOutput() {
        Graph g = Graph.sequential(4).dense("fc", randn(DataType.DOUBLE, 4, 3), randn(DataType.DOUBLE, 3))
                .then("bn", bn(DataType.DOUBLE, 3)).build();
        Graph f = Rewrites.foldBatchNorm(g);
        assertThat(names(f)).containsExactly("fc");
        assertThat(f.outputName()).isEqualTo("fc");
        assertThat(relativeDifference(g, f, randn(DataType.DOUBLE, 3, 4))).isLessThan(1e-12);
    }

    @Test
    void foldGroupedAndDepthwiseConv() {
        DataType t = DataType.DOUBLE;
        Graph g = Graph.builder(Shape.of(4, 6, 6))
                .add("dw", Conv2d.of(randn(t, 4, 1, 3, 3), null).withGroups(4).withPadding(1), "input")
                .add("bn1", bn(t, 4), "dw")
                .add("gc", Conv2d.of(randn(t, 6, 2, 3, 3), randn(t, 6)).withGroups(2), "bn1")
                .add("bn2", bn(t, 6), "gc")
                .add("flat", new Flatten(), "bn2")
                .build();
        Graph f = Rewrites.foldBatchNorm(g);
        assertThat(names(f)).containsExactly("dw", "gc", "flat");
        assertThat(f.node("gc").orElseThrow().inputs()).containsExactly("dw");
        assertThat(relativeDifference(g, f, randn(t, 2, 4, 6, 6))).isLessThan(1e-12);
    }

    @Test
    void bnAfterReluIsNotFolded() {
        Graph g = Graph.builder(Shape.of(3, 5, 5))
                .add("conv", Conv2d.of(randn(DataType.DOUBLE, 4, 3, 3, 3), null), "input")
                .add("relu", new Relu(), "conv")
                .add("bn", bn(DataType.DOUBLE, 4), "relu")
                .add("flat", new Flatten(), "bn")
                .build();
        Graph f = Rewrites.foldBatchNorm(g);
        assertThat(f).isSameAs(g);
        assertThat(names(f)).contains("bn");
    }

    @Test
    void bnReadingTheInputIsNotFolded() {
        Graph g = Graph.builder(Shape.of(3)).add("bn", bn(DataType.DOUBLE, 3), "input")
                .add("fc", new Dense(randn(DataType.DOUBLE, 3, 2), null), "bn").build();
        assertThat(Rewrites.foldBatchNorm(g)).isSameAs(g);
    }

    @Test
    void convReadByTwoConsumersIsNotFolded() {
        DataType t = DataType.DOUBLE;
        Graph g = Graph.builder(Shape.of(3, 5, 5))
                .add("conv", Conv2d.of(randn(t, 3, 3, 3, 3), null).withPadding(1), "input")
                .add("bn", bn(t, 3), "conv")
                .add("sum", new Add(), "bn", "conv")
                .add("flat", new Flatten(), "sum")
                .build();
        List<INDArray> before = snapshot(g);
        Graph f = Rewrites.foldBatchNorm(g);
        assertThat(f).isSameAs(g);
        assertThat(names(f)).containsExactly("conv", "bn", "sum", "flat");
        assertUntouched(g, before);
    }

    @Test
    void onlyTheFoldableOfSeveralAreFolded() {
        DataType t = DataType.DOUBLE;
        Graph g = Graph.builder(Shape.of(2, 6, 6))
                .add("c1", Conv2d.of(randn(t, 3, 2, 3, 3), randn(t, 3)), "input")
                .add("bn1", bn(t, 3), "c1")               // folds
                .add("bn2", bn(t, 3), "bn1")              // after a BatchNorm: stays
                .add("r", new Relu(), "bn2")
                .add("bn3", bn(t, 3), "r")                // after a ReLU: stays
                .add("c2", Conv2d.of(randn(t, 3, 3, 1, 1), null), "bn3")
                .add("bn4", bn(t, 3), "c2")               // folds
                .add("flat", new Flatten(), "bn4")
                .build();
        Graph f = Rewrites.foldBatchNorm(g);
        assertThat(names(f)).containsExactly("c1", "bn2", "r", "bn3", "c2", "flat");
        assertThat(f.node("bn2").orElseThrow().inputs()).containsExactly("c1");
        assertThat(f.node("flat").orElseThrow().inputs()).containsExactly("c2");
        assertThat(f.provenance().get("folded BatchNorm")).contains("bn1 into c1").contains("bn4 into c2");
        assertThat(relativeDifference(g, f, randn(t, 2, 2, 6, 6))).isLessThan(1e-12);
    }

    @Test
    void verifyRewritesIsAnExplicitCheckThatMeasuresTheFold() {
        Graph g = convBn(DataType.FLOAT, true);
        double rel = io.github.dtd4j.Explainer.of(g).verifyRewrites();
        assertThat(rel).isLessThan(1e-6);
        // the check can fail: a graph whose folded copy differs is refused (simulated by a BatchNorm that the check
        // sees but that the fold would have to drop: compare against a model with a different weight)
        Graph h = Graph.sequential(3).dense("fc", Nd4j.eye(3).castTo(DataType.DOUBLE), null).build();
        assertThat(io.github.dtd4j.Explainer.of(h).verifyRewrites()).isEqualTo(0.0);
    }

    // ---------------------------------------------------------------- dropIdentities

    @Test
    void dropIdentitiesRewiresConsumers() {
        DataType t = DataType.DOUBLE;
        Graph g = Graph.builder(Shape.of(2, 4, 4))
                .add("conv", Conv2d.of(randn(t, 3, 2, 3, 3), null), "input")
                .add("id", new Identity(), "conv")
                .add("drop", new Dropout(0.5), "id")
                .add("relu", new Relu(), "drop")
                .add("sum", new Add(), "relu", "id")
                .add("flat", new Flatten(), "sum")
                .add("drop2", new Dropout(0.1), "flat")
                .build();
        List<INDArray> before = snapshot(g);
        Graph f = Rewrites.dropIdentities(g);
        assertThat(names(f)).containsExactly("conv", "relu", "sum", "flat");
        assertThat(f.node("relu").orElseThrow().inputs()).containsExactly("conv");
        assertThat(f.node("sum").orElseThrow().inputs()).containsExactly("relu", "conv");
        assertThat(f.outputName()).isEqualTo("flat");
        assertThat(f.provenance().get("dropped")).isEqualTo("drop, drop2, id");
        assertThat(relativeDifference(g, f, randn(t, 2, 2, 4, 4))).isEqualTo(0.0);
        assertThat(names(g)).hasSize(7);
        assertUntouched(g, before);
        // nothing to drop: the same graph
        assertThat(Rewrites.dropIdentities(f)).isSameAs(f);
    }

    @Test
    void dropIdentitiesNextToTheInput() {
        Graph g = Graph.builder(Shape.of(3)).add("id", new Identity(), "input")
                .add("fc", new Dense(randn(DataType.DOUBLE, 3, 2), null), "id").build();
        Graph f = Rewrites.dropIdentities(g);
        assertThat(names(f)).containsExactly("fc");
        assertThat(f.node("fc").orElseThrow().inputs()).containsExactly("input");
        // an Identity that is both fed by the input and the output has to stay: a graph needs a node
        Graph only = Graph.builder(Shape.of(3)).add("id", new Identity(), "input").build();
        assertThat(Rewrites.dropIdentities(only)).isSameAs(only);
    }

    @Test
    void rewritesChain() {
        DataType t = DataType.DOUBLE;
        Graph g = Graph.builder(Shape.of(2, 5, 5))
                .add("conv", Conv2d.of(randn(t, 3, 2, 3, 3), randn(t, 3)), "input")
                .add("id", new Identity(), "conv")
                .add("bn", bn(t, 3), "id")
                .add("flat", new Flatten(), "bn")
                .build();
        // folding first cannot see through the Identity; dropping first makes the BatchNorm foldable
        Graph foldThenDrop = Rewrites.dropIdentities(Rewrites.foldBatchNorm(g));
        Graph dropThenFold = Rewrites.foldBatchNorm(Rewrites.dropIdentities(g));
        assertThat(names(foldThenDrop)).containsExactly("conv", "bn", "flat");
        assertThat(names(dropThenFold)).containsExactly("conv", "flat");
        INDArray x = randn(t, 2, 2, 5, 5);
        assertThat(relativeDifference(g, foldThenDrop, x)).isLessThan(1e-12);
        assertThat(relativeDifference(g, dropThenFold, x)).isLessThan(1e-12);
        assertThat(dropThenFold.provenance()).containsKeys("dropped", "folded BatchNorm");
    }

    // ---------------------------------------------------------------- castTo

    @Test
    void castToChangesDtypeAndLeavesTheOriginalAlone() {
        Graph g = convBn(DataType.FLOAT, true);
        List<INDArray> before = snapshot(g);
        Graph d = Rewrites.castTo(g, Precision.FLOAT64);
        for (Node n : d.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                assertThat(a.dataType()).as(n.name()).isEqualTo(DataType.DOUBLE);
            }
        }
        for (Node n : g.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                assertThat(a.dataType()).as(n.name()).isEqualTo(DataType.FLOAT);
            }
        }
        assertUntouched(g, before);
        assertThat(names(d)).isEqualTo(names(g));
        assertThat(d.provenance()).containsEntry("cast", "float64");
        // the values survive the cast
        Conv2d c0 = (Conv2d) g.node("conv").orElseThrow().layer();
        Conv2d c1 = (Conv2d) d.node("conv").orElseThrow().layer();
        assertThat(c1.weight().castTo(DataType.FLOAT)).isEqualTo(c0.weight());
        assertThat(c1.padTop()).isEqualTo(c0.padTop());
        assertThat(c1.strideW()).isEqualTo(c0.strideW());
        // the same dtype: the same graph
        assertThat(Rewrites.castTo(g, Precision.FLOAT32)).isSameAs(g);
        assertThat(Rewrites.castTo(d, Precision.FLOAT64)).isSameAs(d);
        // and back
        Graph back = Rewrites.castTo(d, Precision.FLOAT32);
        INDArray x = randn(DataType.FLOAT, 2, 3, 7, 7);
        assertThat(io.github.dtd4j.internal.Forward.output(back, x)).isEqualTo(io.github.dtd4j.internal.Forward.output(g, x));
    }

    @Test
    void castToWritingIntoTheCopyDoesNotReachTheOriginal() {
        Graph g = convBn(DataType.FLOAT, true);
        List<INDArray> before = snapshot(g);
        Graph d = Rewrites.castTo(g, Precision.FLOAT64);
        for (Node n : d.nodes()) {
            for (INDArray a : Graph.parameters(n.layer())) {
                a.assign(0);
            }
        }
        assertUntouched(g, before);
    }

    @Test
    void copyTakesNewArraysSoTheCallersArraysCanChange() {
        Graph g = convBn(DataType.FLOAT, true);
        Graph c = Rewrites.copy(g, Precision.FLOAT32);
        Conv2d c0 = (Conv2d) g.node("conv").orElseThrow().layer();
        Conv2d c1 = (Conv2d) c.node("conv").orElseThrow().layer();
        assertThat(c1.weight()).isEqualTo(c0.weight()).isNotSameAs(c0.weight());
        c0.weight().addi(1.0);
        assertThat(c1.weight()).isNotEqualTo(c0.weight());
    }

    @Test
    void foldOnAMixedDtypeGraphAfterCast() {
        // parameters in different dtypes (as an importer might produce) are unified by castTo before folding
        Graph g = Graph.builder(Shape.of(3))
                .add("fc", new Dense(randn(DataType.FLOAT, 3, 2), randn(DataType.FLOAT, 2)), "input")
                .add("bn", bn(DataType.DOUBLE, 2), "fc")
                .build();
        Graph direct = Rewrites.foldBatchNorm(g);
        assertThat(names(direct)).containsExactly("fc");
        assertThat(((Dense) direct.node("fc").orElseThrow().layer()).bias().dataType()).isEqualTo(DataType.FLOAT);
        Graph f = Rewrites.foldBatchNorm(Rewrites.castTo(g, Precision.FLOAT64));
        assertThat(names(f)).containsExactly("fc");
        Map<String, INDArray> out = io.github.dtd4j.internal.Forward.run(f, randn(DataType.DOUBLE, 2, 3));
        assertThat(out.get("fc").dataType()).isEqualTo(DataType.DOUBLE);
    }
}
