package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.GradientMethod;
import io.github.dtd4j.methods.IntegratedGradients;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.SmoothGrad;
import io.github.dtd4j.onnx.OnnxModels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gradient family compiled into one ONNX graph (the nodes' vector-Jacobian products, the guided and deconvnet
 * ReLUs) and run on ONNX Runtime gives the ND4J engine's attributions: gradient, sensitivity, gradient × input,
 * guided backprop and deconvnet, on the network with every compiled node kind (BatchNorm bypassed and folded) and
 * on the shipped trained Fashion-MNIST ResNet and VGG.
 */
class GradientMethodsOrtTest {
    private static void assertSame(GradientMethod m, INDArray x, String what) {
        for (Start start : List.of(Start.topClass(), Start.classes(new int[(int) x.size(0)]))) {
            try (Attributions a = m.attribute(x, start);
                 Attributions b = m.withEngine(ExplanationEngine.ONNX_RUNTIME).attribute(x, start)) {
                assertThat(b.targets()).as(what).containsExactly(a.targets());
                double scale = Math.max(1e-30, a.attribution().amaxNumber().doubleValue());
                double diff = b.attribution().castTo(DataType.DOUBLE).sub(a.attribution().castTo(DataType.DOUBLE))
                        .amaxNumber().doubleValue();
                assertThat(diff / scale).as(what + " " + start).isLessThanOrEqualTo(1e-5);
            }
        }
    }

    @Test
    void theFiveGradientMethodsGiveTheReferenceEnginesAttributions() {
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(3), 3, 3, 12, 12)
                .castTo(DataType.FLOAT).muli(3).subi(1);
        Graph g = OrtExplainerTest.cnn(7);
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray pictures = Npy.read(fashion.resolve("sample-images.npy")).get(NDArrayIndex.interval(0, 4))
                .castTo(DataType.FLOAT).dup();
        List<java.util.function.Function<Graph, GradientMethod>> methods = List.of(Methods::gradient,
                Methods::sensitivity, Methods::gradientInput, Methods::guidedBackprop, Methods::deconvnet);
        List<Graph> models = List.of(OnnxModels.load(fashion.resolve("resnet.onnx")),
                OnnxModels.load(fashion.resolve("vgg.onnx")));
        for (java.util.function.Function<Graph, GradientMethod> method : methods) {
            GradientMethod m = method.apply(g);
            assertSame(m, x, m.name() + " on the test network");
            for (Graph model : models) {
                assertSame(method.apply(model), pictures, m.name() + " on " + model.provenance());
            }
        }
    }

    private static void assertClose(Attributions a, Attributions b, String what) {
        assertThat(b.targets()).as(what).containsExactly(a.targets());
        double scale = Math.max(1e-30, a.attribution().amaxNumber().doubleValue());
        double diff = b.attribution().castTo(DataType.DOUBLE).sub(a.attribution().castTo(DataType.DOUBLE))
                .amaxNumber().doubleValue();
        assertThat(diff / scale).as(what).isLessThanOrEqualTo(1e-5);
    }

    /**
     * {@return the test network with every compiled node kind and {@code rows} random inputs in [−1, 2], then the
     * shipped Fashion-MNIST ResNet with two sample pictures}
     */
    private static Map<Graph, INDArray> networksAndInputs(long seed, int rows) {
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(seed), rows, 3, 12, 12)
                .castTo(DataType.FLOAT).muli(3).subi(1);
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray pictures = Npy.read(fashion.resolve("sample-images.npy")).get(NDArrayIndex.interval(0, 2))
                .castTo(DataType.FLOAT).dup();
        Map<Graph, INDArray> cases = new LinkedHashMap<>();
        cases.put(OrtExplainerTest.cnn(7), x);
        cases.put(OnnxModels.load(fashion.resolve("resnet.onnx")), pictures);
        return cases;
    }

    /**
     * Integrated Gradients (its steps as batches through the compiled gradient: one run when the internal batch holds
     * every step, several otherwise) and SmoothGrad's three variants (the noisy copies as one batch) give the ND4J
     * engine's attributions, and IG's convergence delta; the settings say which engine ran.
     */
    @Test
    void integratedGradientsAndSmoothGradRunTheirBatchesOnOnnxRuntime() {
        Map<Graph, INDArray> cases = networksAndInputs(5, 3);
        INDArray x = cases.values().iterator().next();
        // the compiled engine really runs: ONNX Runtime's CPU build has no float64 convolution, and says so
        Graph cnn = OrtExplainerTest.cnn(7);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Methods.integratedGradients(cnn).withSteps(4)
                        .withPrecision(io.github.dtd4j.graph.Precision.FLOAT64)
                        .withEngine(ExplanationEngine.ONNX_RUNTIME).attribute(x, Start.topClass()).close())
                .isInstanceOf(io.github.dtd4j.errors.ConfigurationException.class).hasMessageContaining("float64");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Methods.smoothGrad(cnn).withSamples(2)
                        .withPrecision(io.github.dtd4j.graph.Precision.FLOAT64)
                        .withEngine(ExplanationEngine.ONNX_RUNTIME).attribute(x, Start.topClass()).close())
                .isInstanceOf(io.github.dtd4j.errors.ConfigurationException.class).hasMessageContaining("float64");
        for (Map.Entry<Graph, INDArray> c : cases.entrySet()) {
            Graph g = c.getKey();
            INDArray in = c.getValue();
            for (int rows : new int[]{64, 5}) {
                IntegratedGradients ig = Methods.integratedGradients(g).withSteps(16).withInternalBatchSize(rows);
                IntegratedGradients onOrt = ig.withEngine(ExplanationEngine.ONNX_RUNTIME);
                assertThat(onOrt.settings()).endsWith("onnxruntime");
                try (Attributions a = ig.attribute(in, Start.topClass());
                     Attributions b = onOrt.attribute(in, Start.topClass())) {
                    String what = "integrated gradients, internal batch " + rows + ", on " + g.provenance();
                    assertClose(a, b, what);
                    double[] da = a.convergenceDelta().orElseThrow();
                    double[] db = b.convergenceDelta().orElseThrow();
                    for (int i = 0; i < da.length; i++) {
                        assertThat(db[i]).as(what).isCloseTo(da[i],
                                org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(da[i]))));
                    }
                }
            }
            for (SmoothGrad.Variant v : SmoothGrad.Variant.values()) {
                SmoothGrad sg = Methods.smoothGrad(g).withSamples(6).withSeed(3).withVariant(v);
                SmoothGrad onOrt = sg.withEngine(ExplanationEngine.ONNX_RUNTIME);
                assertThat(onOrt.settings()).endsWith("onnxruntime");
                try (Attributions a = sg.attribute(in, Start.classes(new int[(int) in.size(0)]));
                     Attributions b = onOrt.attribute(in, Start.classes(new int[(int) in.size(0)]))) {
                    assertClose(a, b, "smoothgrad " + v + " on " + g.provenance());
                }
            }
        }
    }

    /**
     * Grad-CAM, Grad-CAM++ and guided Grad-CAM on ONNX Runtime (the gradient down to the layer as a compiled graph that
     * stops there) give the ND4J engine's maps, at the default layer and at an inner one, on the test network and on
     * the shipped ResNet; the layer map too.
     */
    @Test
    void gradCamRunsItsBackwardPassOnOnnxRuntime() {
        Map<Graph, INDArray> cases = networksAndInputs(9, 2);
        INDArray x = cases.values().iterator().next();
        for (Map.Entry<Graph, INDArray> c : cases.entrySet()) {
            Graph g = c.getKey();
            List<io.github.dtd4j.methods.GradCam> methods = new java.util.ArrayList<>(List.of(Methods.gradCam(g),
                    Methods.gradCamPlusPlus(g), Methods.guidedGradCam(g)));
            if (g.node("conv3").isPresent()) {
                methods.add(Methods.gradCam(g).withLayer("conv3"));
                methods.add(Methods.gradCam(g).withLayer("relu2").withRelu(false));
            }
            for (io.github.dtd4j.methods.GradCam m : methods) {
                io.github.dtd4j.methods.GradCam onOrt = m.withEngine(ExplanationEngine.ONNX_RUNTIME);
                assertThat(onOrt.settings()).endsWith("onnxruntime");
                String what = m.name() + " at " + m.layer() + " on " + g.provenance();
                try (Attributions a = m.attribute(c.getValue(), Start.topClass());
                     Attributions b = onOrt.attribute(c.getValue(), Start.topClass())) {
                    assertClose(a, b, what);
                    INDArray la = a.extras().get("layer-map");
                    INDArray lb = b.extras().get("layer-map");
                    double scale = Math.max(1e-30, la.amaxNumber().doubleValue());
                    assertThat(lb.castTo(DataType.DOUBLE).sub(la.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
                            / scale).as(what + " layer map").isLessThanOrEqualTo(1e-5);
                }
            }
        }
        Graph cnn = OrtExplainerTest.cnn(7);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Methods.gradCam(cnn)
                        .withPrecision(io.github.dtd4j.graph.Precision.FLOAT64)
                        .withEngine(ExplanationEngine.ONNX_RUNTIME).attribute(x, Start.topClass()).close())
                .isInstanceOf(io.github.dtd4j.errors.ConfigurationException.class).hasMessageContaining("float64");
    }
}
