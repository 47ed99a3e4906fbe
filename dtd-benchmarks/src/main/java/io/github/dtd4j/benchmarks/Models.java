package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Preset;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.models.TorchVision;
import io.github.dtd4j.models.Weights;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** The benchmarked models (torchvision architectures, seeded random weights) and inputs. */
final class Models {
    private Models() {
    }

    static Graph graph(String name) {
        return switch (name) {
            case "vgg16" -> TorchVision.vgg16(Weights.random(16));
            case "resnet50" -> TorchVision.resnet50(Weights.random(50));
            default -> throw new IllegalArgumentException("unknown model " + name);
        };
    }

    /** ImageNet-normalised pixels drawn uniformly from [0,1]: inside the z^B box of the first layer. */
    static INDArray input(int batch) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(7);
        INDArray u = Nd4j.rand(rng, new long[]{batch, 3, 224, 224}).castTo(DataType.FLOAT);
        INDArray mean = Nd4j.create(new double[]{0.485, 0.456, 0.406}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1);
        INDArray std = Nd4j.create(new double[]{0.229, 0.224, 0.225}).castTo(DataType.FLOAT).reshape(1, 3, 1, 1);
        return u.sub(mean).divi(std);
    }

    static Preset preset(String name) {
        var box = Rules.zBoxImageNet();
        return switch (name) {
            case "dtd" -> Presets.dtd(box);
            case "epsilon-zplus" -> Presets.epsilonZPlus(0.25);
            case "epsilon-alphabeta" -> Presets.epsilonAlphaBeta(box, 0.25);
            default -> throw new IllegalArgumentException("unknown preset " + name);
        };
    }

    static Explainer explainer(Graph g, String preset) {
        return Explainer.of(g).preset(preset(preset));
    }

    /**
     * {@return a method of the gradient family (the CLI's spelling), with the library's defaults}
     *
     * @param name  gradient, gradient-input, guided-backprop or deconvnet
     * @param model vgg16 or resnet50 (for the methods that read a layer)
     * @param g     its graph
     */
    static Attribution method(String name, String model, Graph g) {
        return switch (name) {
            case "gradient" -> Methods.gradient(g);
            case "gradient-input" -> Methods.gradientInput(g);
            case "guided-backprop" -> Methods.guidedBackprop(g);
            case "deconvnet" -> Methods.deconvnet(g);
            // at the library's default layer: the last node with a spatial output (the last block's)
            case "grad-cam" -> Methods.gradCam(g);
            default -> throw new IllegalArgumentException("unknown method " + name + " (model " + model + ")");
        };
    }
}
