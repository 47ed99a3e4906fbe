package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The shipped trained Fashion-MNIST ResNet and VGG (torch-trained, exported to ONNX) explained on ONNX Runtime
 * equal the reference engine's explanations for the presets users run, on real pictures; eight threads on one
 * explainer give the serial result bit for bit.
 */
class TrainedModelsOrtTest {
    private static final Path FASHION = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();

    @Test
    void thePresetsOnTheTrainedModelsGiveTheReferenceEnginesRelevance() {
        INDArray x = Npy.read(FASHION.resolve("sample-images.npy")).get(NDArrayIndex.interval(0, 8))
                .castTo(DataType.FLOAT).dup();
        List<UnaryOperator<Explainer>> presets = List.of(e -> e.preset(Presets.dtd(Rules.zBox(0, 1))),
                e -> e.preset(Presets.epsilonZPlus(0.25)),
                e -> e.preset(Presets.epsilonAlphaBeta(Rules.zBox(0, 1), 0.25)));
        for (String model : List.of("resnet.onnx", "vgg.onnx")) {
            Graph g = OnnxModels.load(FASHION.resolve(model));
            for (int p = 0; p < presets.size(); p++) {
                Explainer ref = presets.get(p).apply(Explainer.of(g));
                try (Explainer ort = ref.engine(ExplanationEngine.ONNX_RUNTIME);
                     Explanation a = ref.explain(x); Explanation b = ort.explain(x)) {
                    assertThat(b.targets()).containsExactly(a.targets());
                    // the forward pass on the engine too: ONNX Runtime's logits, the reference's to float rounding
                    INDArray za = ref.forward(x);
                    INDArray zb = ort.forward(x);
                    assertThat(zb.sub(za).amaxNumber().doubleValue())
                            .isLessThanOrEqualTo(1e-5 * za.amaxNumber().doubleValue());
                    assertThat(zb.sub(b.logits()).amaxNumber().doubleValue())
                            .isLessThanOrEqualTo(1e-5 * za.amaxNumber().doubleValue());
                    double scale = a.inputRelevance().amaxNumber().doubleValue();
                    double diff = b.inputRelevance().sub(a.inputRelevance()).amaxNumber().doubleValue();
                    assertThat(diff / scale).as(model + " preset " + p).isLessThanOrEqualTo(1e-5);
                    for (int i = 0; i < 8; i++) {
                        assertThat(Math.abs(b.ledger().start()[i] - a.ledger().start()[i]))
                                .isLessThanOrEqualTo(1e-5 * Math.abs(a.ledger().start()[i]));
                    }
                }
            }
        }
    }

    @Test
    void eightThreadsOnOneExplainerGiveTheSerialBits() throws Exception {
        Graph g = OnnxModels.load(FASHION.resolve("resnet.onnx"));
        INDArray images = Npy.read(FASHION.resolve("sample-images.npy")).castTo(DataType.FLOAT);
        try (Explainer ort = Explainer.of(g).preset(Presets.dtd(Rules.zBox(0, 1)))
                .engine(ExplanationEngine.ONNX_RUNTIME)) {
            List<float[]> serial = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                try (Explanation e = ort.explain(images.get(NDArrayIndex.interval(i, i + 1)).dup())) {
                    serial.add(e.inputRelevance().data().asFloat());
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Boolean>> done = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    final int offset = t;
                    done.add(pool.submit(() -> {
                        for (int k = 0; k < 16; k++) {
                            int i = (k + offset) % 16;
                            try (Explanation e = ort.explain(images.get(NDArrayIndex.interval(i, i + 1)).dup())) {
                                if (!java.util.Arrays.equals(e.inputRelevance().data().asFloat(), serial.get(i))) {
                                    return false;
                                }
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> f : done) {
                    assertThat(f.get()).isTrue();
                }
            } finally {
                pool.shutdown();
            }
        }
    }
}
