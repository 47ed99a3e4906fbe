package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Renders a heatmap three ways: alone (red-blue, scaled by the 99.5th percentile of |R|), overlaid on the input,
 * and as an input | heatmap | overlay panel, enlarged 4×. Uses the ResNet-18 test fixture (run from the
 * repository root); writes {@code target/overlay.png}.
 */
public final class OverlayExample {
    private OverlayExample() {
    }

    /** @param args optional output path */
    public static void main(String[] args) {
        Path fixtures = Path.of("dtd-models/src/test/resources/torchvision");
        Graph net = OnnxModels.load(fixtures.resolve("resnet18.onnx"));
        INDArray x = Npy.read(fixtures.resolve("resnet18.input.npy")).slice(0).reshape(1, 3, 64, 64);
        try (Explanation e = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            BufferedImage input = Images.toImage(x, 0, 1);
            BufferedImage heat = Heatmaps.render(e.inputRelevance(), ColorMap.RED_BLUE, Heatmaps.Scale.percentile(99.5));
            BufferedImage overlay = Heatmaps.overlay(input, heat, 0.6);
            Path out = Path.of(args.length > 0 ? args[0] : "target/overlay.png");
            Heatmaps.writePng(Heatmaps.enlarge(Heatmaps.panels(List.of(input, heat, overlay)), 4), out);
            System.out.println("wrote " + out);
        }
    }
}
