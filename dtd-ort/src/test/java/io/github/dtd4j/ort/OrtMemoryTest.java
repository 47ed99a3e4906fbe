package io.github.dtd4j.ort;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * 10,000 explanations on the ONNX Runtime engine keep the resident memory flat: at most 1.1 times its value after
 * the first 1,000 (this JVM's heap is allocated and touched at start, so only native memory can grow: ONNX
 * Runtime's tensors and ND4J's arrays, which every explanation must free).
 */
class OrtMemoryTest {
    private static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void tenThousandExplanationsKeepTheResidentMemoryFlat() throws Exception {
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray images = Npy.read(fashion.resolve("sample-images.npy")).castTo(DataType.FLOAT);
        long n = images.size(0);
        long after1000 = 0;
        try (Explainer ort = Explainer.of(OnnxModels.load(fashion.resolve("resnet.onnx")))
                .preset(Presets.dtd(Rules.zBox(0, 1))).engine(ExplanationEngine.ONNX_RUNTIME)) {
            for (int i = 0; i < 10_000; i++) {
                INDArray x = images.get(NDArrayIndex.interval(i % n, i % n + 1)).dup();
                try (Explanation e = ort.explain(x)) {
                    assertThat(e.targets()).hasSize(1);
                }
                x.close();
                if (i == 999) {
                    after1000 = rss();
                }
            }
        }
        long end = rss();
        assertThat((double) end / after1000).as("RSS after 10,000 over RSS after 1,000 (" + end / (1 << 20) + " MB / "
                + after1000 / (1 << 20) + " MB)").isLessThanOrEqualTo(1.1);
    }
}
