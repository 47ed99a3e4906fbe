package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Explains an ONNX model: {@code OnnxFileExample model.onnx input.npy relevance.npy}. Without arguments it uses the
 * reduced-width torchvision ResNet-18 fixture of the test suite (run from the repository root).
 */
public final class OnnxFileExample {
    private OnnxFileExample() {
    }

    /** @param args model, input .npy, output .npy */
    public static void main(String[] args) {
        Path fixtures = Path.of("dtd-models/src/test/resources/torchvision");
        Path model = args.length > 0 ? Path.of(args[0]) : fixtures.resolve("resnet18.onnx");
        Path input = args.length > 1 ? Path.of(args[1]) : fixtures.resolve("resnet18.input.npy");
        Path out = args.length > 2 ? Path.of(args[2]) : Path.of("target/resnet18-relevance.npy");

        Graph net = OnnxModels.load(model);                   // a final Softmax would be removed and recorded
        System.out.println(net.provenance());
        INDArray x = Npy.read(input);                          // pixels in [0,1]
        Explainer ex = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1)));
        System.out.println(ex.coverage());
        try (Explanation e = ex.explain(x)) {
            System.out.printf("classes %s, f(x) = %s, relevance sums %s%n", java.util.Arrays.toString(e.targets()),
                    java.util.Arrays.toString(e.explainedScores()), java.util.Arrays.toString(e.ledger().inputSums()));
            Npy.write(e.inputRelevance(), out);
            System.out.println("wrote " + out);
        }
    }
}
