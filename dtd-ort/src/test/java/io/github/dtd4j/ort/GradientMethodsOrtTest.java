package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.GradientMethod;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.onnx.OnnxModels;
import java.nio.file.Path;
import java.util.List;
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
}
