package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DeepLIFT (rescale) against references that can disagree: summation-to-delta measured with independent forward
 * passes, the closed form of a linear network, a loop implementation of the rescale rule for an MLP, and values
 * computed by torch autograd from the rule's definition (src/test/fixtures/make_deeplift_fixtures.py).
 */
class DeepLiftTest {
    private static DeepLift deepLift(Graph g) {
        return Methods.deepLift(g).withPrecision(Precision.FLOAT64);
    }

    /** dense → relu → dense → (+ r1) → relu → concat(r2, r1) → dense. */
    private static Graph denseResidual(long seed) {
        return Graph.builder(Shape.of(7))
                .add("l1", Dense.of(randn(seed, 7, 6), randn(seed + 1, 6).muli(0.2)), "input")
                .add("r1", new Relu(), "l1")
                .add("l2", Dense.of(randn(seed + 2, 6, 6).muli(0.5), randn(seed + 3, 6).muli(0.2)), "r1")
                .add("sum", new Add(), "l2", "r1")
                .add("r2", new Relu(), "sum")
                .add("cat", Concat.channels(), "r2", "r1")
                .add("out", Dense.of(randn(seed + 4, 12, 4).muli(0.5), randn(seed + 5, 4).muli(0.2)), "cat")
                .build();
    }

    /** conv → bn → relu → conv → (+ r1) → relu → concat(r2, relu(conv 1×1 of the input)) → max-pool → avg → dense. */
    private static Graph convResidual(long seed) {
        INDArray sd = randn(seed + 13, 3).muli(0.1).addi(1);
        BatchNorm bn = new BatchNorm(randn(seed + 10, 3).muli(0.2).addi(1), randn(seed + 11, 3).muli(0.1),
                randn(seed + 12, 3).muli(0.1), sd.mul(sd), 1e-5);
        return Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(seed, 3, 2, 3, 3).muli(0.5), randn(seed + 1, 3).muli(0.1)).withPadding(1),
                        "input")
                .add("bn", bn, "c1")
                .add("r1", new Relu(), "bn")
                .add("c2", Conv2d.of(randn(seed + 2, 3, 3, 3, 3).muli(0.4), randn(seed + 3, 3).muli(0.1))
                        .withPadding(1), "r1")
                .add("sum", new Add(), "c2", "r1")
                .add("r2", new Relu(), "sum")
                .add("cb", Conv2d.of(randn(seed + 4, 2, 2, 1, 1), randn(seed + 5, 2).muli(0.1)), "input")
                .add("rb", new Relu(), "cb")
                .add("cat", Concat.channels(), "r2", "rb")
                .add("mp", MaxPool2d.of(3, 2, 1), "cat")
                .add("ap", AvgPool2d.of(2, 2), "mp")
                .add("flat", new Flatten(), "ap")
                .add("fc", Dense.of(randn(seed + 6, 20, 5).muli(0.5), randn(seed + 7, 5).muli(0.1)), "flat")
                .build();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void summationToDeltaIsExactOnResidualAndConcatenatingNetworks(long seed) {
        double worst = 0;
        for (Graph g : new Graph[]{denseResidual(100 * seed), convResidual(100 * seed)}) {
            long[] in = g.inputShape().withBatch(3);
            INDArray x = randn(seed + 50, in);
            INDArray baseline = randn(seed + 60, in).muli(0.5);
            Explainer fwd = Explainer.of(g).precision(Precision.FLOAT64);
            INDArray fx = fwd.forward(x);
            for (INDArray b : new INDArray[]{null, baseline}) {
                Attributions a = deepLift(g).withBaseline(b).attribute(x, 1);
                INDArray fb = fwd.forward(b == null ? Nd4j.zeros(D, in) : b);
                double[] delta = a.convergenceDelta().orElseThrow();
                for (int i = 0; i < 3; i++) {
                    double sum = a.attribution().get(NDArrayIndex.point(i)).sumNumber().doubleValue();
                    double expected = fx.getDouble(i, 1) - fb.getDouble(i, 1);
                    double scale = Math.max(Math.abs(expected), 1e-3);
                    assertThat(Math.abs(sum - expected)).as("%s, element %d, baseline %s", g.nodes().get(0).kind(), i,
                            b == null ? "zero" : "tensor").isLessThanOrEqualTo(1e-9 * scale);
                    assertThat(Math.abs(delta[i])).isLessThanOrEqualTo(1e-9 * scale);
                    worst = Math.max(worst, Math.abs(sum - expected) / scale);
                }
                // batch elements do not interact
                INDArray last = x.get(NDArrayIndex.interval(2, 3));
                DeepLift alone = deepLift(g).withBaseline(b == null ? null : b.get(NDArrayIndex.interval(2, 3)));
                INDArray one = alone.attribute(last, 1).attribution();
                assertThat(maxAbs(one.sub(a.attribution().get(NDArrayIndex.interval(2, 3)))))
                        .isLessThanOrEqualTo(1e-12 * maxAbs(one));
            }
        }
        System.out.printf(Locale.ROOT, "deeplift seed %d: max |sum - (f(x) - f(x'))| / |f(x) - f(x')| = %.3g%n", seed,
                worst);
    }

    @Test
    void aLinearNetworkGivesTheDifferenceTimesTheWeights() {
        INDArray w1 = randn(1, 5, 4);
        INDArray w2 = randn(2, 4, 3);
        Graph dense = Graph.sequential(5).dense("a", w1, randn(3, 4)).dense("b", w2, randn(4, 3)).build();
        INDArray x = randn(5, 2, 5);
        INDArray base = randn(6, 5);
        Attributions a = deepLift(dense).withBaseline(base).attribute(x, 2);
        INDArray w = w1.mmul(w2.getColumn(2).reshape(4, 1)).reshape(1, 5);
        INDArray expected = x.subRowVector(base.reshape(1, 5)).mulRowVector(w);
        assertThat(maxAbs(a.attribution().sub(expected))).isLessThan(1e-12 * maxAbs(expected));

        // conv → avg-pool → flatten → dense: the weights of the composite map, read off its outputs
        Graph conv = Graph.builder(Shape.of(1, 4, 4))
                .add("c", Conv2d.of(randn(7, 2, 1, 3, 3), randn(8, 2)).withPadding(1), "input")
                .add("p", AvgPool2d.of(2, 2), "c")
                .add("f", new Flatten(), "p")
                .add("d", Dense.of(randn(9, 8, 3), randn(10, 3)), "f")
                .build();
        Explainer fwd = Explainer.of(conv).precision(Precision.FLOAT64);
        INDArray xc = randn(11, 1, 1, 4, 4);
        double f0 = fwd.forward(Nd4j.zeros(D, 1, 1, 4, 4)).getDouble(0, 0);
        INDArray expectedConv = Nd4j.zeros(D, 1, 1, 4, 4);
        for (int i = 0; i < 16; i++) {
            INDArray e = Nd4j.zeros(D, 1, 1, 4, 4);
            e.putScalar(new long[]{0, 0, i / 4, i % 4}, 1.0);
            double wi = fwd.forward(e).getDouble(0, 0) - f0;
            expectedConv.putScalar(new long[]{0, 0, i / 4, i % 4}, xc.getDouble(0, 0, i / 4, i % 4) * wi);
        }
        INDArray got = deepLift(conv).attribute(xc, 0).attribution();
        assertThat(maxAbs(got.sub(expectedConv))).isLessThan(1e-12 * maxAbs(expectedConv));
    }

    /** The rescale rule for y = W3 relu(W2 relu(W1 x + b1) + b2) + b3, written as loops. */
    @Test
    void equalsALoopImplementationOfTheRescaleRuleOnAnMlp() {
        int[] sizes = {6, 7, 5, 4};
        double[][][] w = new double[3][][];
        double[][] b = new double[3][];
        Graph g = Graph.sequential(6)
                .dense("l1", randn(21, 6, 7), randn(22, 7).muli(0.3)).relu()
                .dense("l2", randn(23, 7, 5).muli(0.5), randn(24, 5).muli(0.3)).relu()
                .dense("l3", randn(25, 5, 4), randn(26, 4).muli(0.3)).build();
        for (int l = 0; l < 3; l++) {
            Dense d = (Dense) g.nodes().get(2 * l).layer();
            w[l] = d.weight().toDoubleMatrix();
            b[l] = d.bias().toDoubleVector();
        }
        INDArray x = randn(27, 2, 6);
        INDArray base = randn(28, 2, 6).muli(0.5);
        // one element's input is put exactly at the baseline in two coordinates: |Δx| = 0 in the first layer's input
        x.putScalar(new long[]{1, 0}, base.getDouble(1, 0));
        x.putScalar(new long[]{1, 3}, base.getDouble(1, 3));
        int c = 3;
        INDArray expected = Nd4j.zeros(D, 2, 6);
        for (int n = 0; n < 2; n++) {
            double[][] zx = new double[3][];
            double[][] zr = new double[3][];
            double[] ax = x.getRow(n).toDoubleVector();
            double[] ar = base.getRow(n).toDoubleVector();
            for (int l = 0; l < 3; l++) {
                zx[l] = new double[sizes[l + 1]];
                zr[l] = new double[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) {
                    zx[l][j] = b[l][j];
                    zr[l][j] = b[l][j];
                    for (int i = 0; i < sizes[l]; i++) {
                        zx[l][j] += ax[i] * w[l][i][j];
                        zr[l][j] += ar[i] * w[l][i][j];
                    }
                }
                ax = new double[sizes[l + 1]];
                ar = new double[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) {
                    ax[j] = Math.max(0, zx[l][j]);
                    ar[j] = Math.max(0, zr[l][j]);
                }
            }
            double[] m = new double[4];
            m[c] = 1;
            for (int l = 2; l >= 0; l--) {
                if (l < 2) {
                    // through the ReLU after layer l: Δy/Δx, or the gradient where |Δx| < 1e-10
                    for (int j = 0; j < m.length; j++) {
                        double dz = zx[l][j] - zr[l][j];
                        double dy = Math.max(0, zx[l][j]) - Math.max(0, zr[l][j]);
                        m[j] *= Math.abs(dz) < 1e-10 ? (zx[l][j] > 0 ? 1 : 0) : dy / dz;
                    }
                }
                double[] below = new double[sizes[l]];
                for (int i = 0; i < sizes[l]; i++) {
                    for (int j = 0; j < sizes[l + 1]; j++) {
                        below[i] += w[l][i][j] * m[j];
                    }
                }
                m = below;
            }
            for (int i = 0; i < 6; i++) {
                expected.putScalar(n, i, (x.getDouble(n, i) - base.getDouble(n, i)) * m[i]);
            }
        }
        Attributions a = deepLift(g).withBaseline(base).attribute(x, c);
        System.out.printf(Locale.ROOT, "deeplift mlp loop reference: max diff %.3g (max %.3g)%n",
                maxAbs(a.attribution().sub(expected)), maxAbs(expected));
        assertThat(a.attribution().getDouble(1, 0)).isZero();
        assertThat(maxAbs(a.attribution().sub(expected))).isLessThan(1e-12 * maxAbs(expected));
        assertThat(a.targets()).containsExactly(c, c);
    }

    private static Map<String, INDArray> fixture(String name) {
        try {
            return Npy.readNpz(Path.of(DeepLiftTest.class.getResource("/deeplift/" + name + ".npz").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Dense dense(Map<String, INDArray> f, String name) {
        return Dense.of(f.get(name + ".weight"), f.get(name + ".bias"));
    }

    private static Conv2d conv(Map<String, INDArray> f, String name, int pad) {
        return Conv2d.of(f.get(name + ".weight"), f.get(name + ".bias")).withPadding(pad);
    }

    /** The networks of make_deeplift_fixtures.py, with the weights it wrote. */
    private static Graph fixtureGraph(String name, Map<String, INDArray> f) {
        return switch (name) {
            case "mlp" -> Graph.sequential(6).then("l1", dense(f, "l1")).then("r1", new Relu())
                    .then("l2", dense(f, "l2")).then("r2", new Relu()).then("l3", dense(f, "l3")).build();
            case "conv" -> Graph.sequential(2, 8, 8).then("c1", conv(f, "c1", 1)).then("r1", new Relu())
                    .then("p1", MaxPool2d.of(2, 2)).then("c2", conv(f, "c2", 1)).then("r2", new Relu())
                    .then("p2", AvgPool2d.of(2, 2)).then("flat", new Flatten()).then("fc", dense(f, "fc")).build();
            case "residual" -> Graph.builder(Shape.of(2, 6, 6))
                    .add("c1", conv(f, "c1", 1), "input").add("r1", new Relu(), "c1")
                    .add("c2", conv(f, "c2", 1), "r1").add("r2", new Relu(), "c2")
                    .add("c3", conv(f, "c3", 1), "r2").add("sum", new Add(), "c3", "r1").add("r3", new Relu(), "sum")
                    .add("cb", conv(f, "cb", 0), "input").add("rb", new Relu(), "cb")
                    .add("cat", Concat.channels(), "r3", "rb").add("mp", MaxPool2d.of(3, 2, 1), "cat")
                    .add("flat", new Flatten(), "mp").add("fc", dense(f, "fc"), "flat").build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "conv", "residual"})
    void matchesTheTorchReferenceOfTheRescaleRule(String name) {
        Map<String, INDArray> f = fixture(name);
        Graph g = fixtureGraph(name, f);
        INDArray x = f.get("x");
        INDArray expected = f.get("attribution");
        int[] targets = f.get("targets").toIntVector();
        DeepLift m = deepLift(g).withBaseline(f.get("baseline"));
        Attributions a = name.equals("conv") ? m.withBaseline(null).attribute(x) : m.attribute(x, targets);
        assertThat(a.targets()).containsExactly(targets);
        double diff = maxAbs(a.attribution().sub(expected));
        double diffM = maxAbs(a.extras().get("multipliers").sub(f.get("multipliers")));
        System.out.printf(Locale.ROOT, "deeplift %-8s max |dtd4j - torch|: attribution %.3g (max %.3g), multipliers"
                + " %.3g%n", name, diff, maxAbs(expected), diffM);
        assertThat(diff).isLessThanOrEqualTo(1e-6);
        assertThat(diffM).isLessThanOrEqualTo(1e-6);
        double[] delta = a.convergenceDelta().orElseThrow();
        for (int i = 0; i < targets.length; i++) {
            assertThat(a.logits().getDouble(i, targets[i])).isCloseTo(f.get("fx").getDouble(i),
                    org.assertj.core.data.Offset.offset(1e-12));
            assertThat(Math.abs(delta[i])).isLessThan(1e-9 * Math.max(1, Math.abs(f.get("fx").getDouble(i)
                    - f.get("fbaseline").getDouble(i))));
        }
    }

    @Test
    void settingsAndBadInputs() {
        Graph g = denseResidual(7);
        assertThat(Methods.deepLift(g).name()).isEqualTo("deeplift");
        assertThat(Methods.deepLift(g).settings()).isEqualTo("rescale, baseline zero, eps=1.0E-10");
        assertThat(Methods.names()).contains("deeplift");
        assertThatThrownBy(() -> Methods.deepLift(g).withBaseline(Nd4j.zeros(D, 6)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("baseline [6]");
        assertThatThrownBy(() -> Methods.deepLift(g).withBaseline(Nd4j.zeros(D, 2, 7)).attribute(Nd4j.zeros(D, 3, 7)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("baseline batch 2");
        assertThatThrownBy(() -> Methods.deepLift(g).attribute(Nd4j.zeros(D, 1, 7), 4))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("class 4");
        assertThatThrownBy(() -> Methods.deepLift(g).withEps(-1)).hasMessageContaining("eps");
        // float32 works and agrees with float64 to float32 precision
        INDArray x = randn(3, 2, 7);
        INDArray a64 = deepLift(g).attribute(x, 0).attribution();
        INDArray a32 = Methods.deepLift(g).attribute(x.castTo(DataType.FLOAT), 0).attribution();
        assertThat(a32.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(maxAbs(a32.castTo(D).sub(a64))).isLessThan(1e-4 * maxAbs(a64));
    }
}
