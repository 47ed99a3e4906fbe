package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import java.util.List;

/**
 * Makes every method of dtd4j. Each returns an immutable {@link Attribution} with the defaults its javadoc states
 * (Captum's wherever Captum has the method); {@code with} methods change them.
 *
 * <pre>{@code
 * List<Attribution> methods = List.of(
 *     Methods.lrp(Explainer.of(graph).preset(Presets.dtd(0, 1))),
 *     Methods.gradient(graph),
 *     Methods.integratedGradients(graph).withSteps(64),
 *     Methods.smoothGrad(graph).withSamples(20).withSeed(7));
 * for (Attribution m : methods) {
 *     try (Attributions a = m.attribute(x)) {
 *         System.out.println(m.name() + " (" + m.settings() + "): " + a.attribution().sumNumber());
 *     }
 * }
 * }</pre>
 */
public final class Methods {
    private Methods() {
    }

    /** {@return LRP/DTD with an explainer's rules} @param explainer e.g. {@code Explainer.of(g).preset(...)} */
    public static LrpMethod lrp(Explainer explainer) {
        return new LrpMethod(explainer);
    }

    /** {@return ∂f_c/∂x, signed} @param graph the model */
    public static GradientMethod gradient(Graph graph) {
        return new GradientMethod(GradientMethod.Kind.GRADIENT, graph, Precision.FLOAT32);
    }

    /** {@return (∂f_c/∂x)², sensitivity analysis} @param graph the model */
    public static GradientMethod sensitivity(Graph graph) {
        return new GradientMethod(GradientMethod.Kind.SENSITIVITY, graph, Precision.FLOAT32);
    }

    /** {@return x ⊙ ∂f_c/∂x} @param graph the model */
    public static GradientMethod gradientInput(Graph graph) {
        return new GradientMethod(GradientMethod.Kind.GRADIENT_INPUT, graph, Precision.FLOAT32);
    }

    /** {@return guided backpropagation} @param graph the model */
    public static GradientMethod guidedBackprop(Graph graph) {
        return new GradientMethod(GradientMethod.Kind.GUIDED_BACKPROP, graph, Precision.FLOAT32);
    }

    /** {@return deconvnet} @param graph the model */
    public static GradientMethod deconvnet(Graph graph) {
        return new GradientMethod(GradientMethod.Kind.DECONVNET, graph, Precision.FLOAT32);
    }

    /** {@return Integrated Gradients: 50 Gauss–Legendre steps from a zero baseline} @param graph the model */
    public static IntegratedGradients integratedGradients(Graph graph) {
        return new IntegratedGradients(graph, Precision.FLOAT32, 50, Quadrature.GAUSS_LEGENDRE, null, 50);
    }

    /** {@return SmoothGrad: 5 samples, noise 0.15 of the input's range, seed 0} @param graph the model */
    public static SmoothGrad smoothGrad(Graph graph) {
        return new SmoothGrad(graph, Precision.FLOAT32, 5, 0.15, 0, SmoothGrad.Variant.SMOOTHGRAD);
    }

    /**
     * {@return CAM: the class's Dense weights over the maps that the network global-average-pools, upsampled
     * bilinearly} (only for graphs ending in global average pooling, an optional Flatten and one Dense)
     *
     * @param graph the model
     */
    public static Cam cam(Graph graph) {
        return new Cam(graph, Precision.FLOAT32);
    }

    /** {@return Grad-CAM at the last node with a spatial output, ReLU on, upsampled bilinearly} @param graph the model */
    public static GradCam gradCam(Graph graph) {
        return new GradCam(GradCam.Kind.GRAD_CAM, graph, Precision.FLOAT32, null, true);
    }

    /** {@return Grad-CAM++ at the last node with a spatial output (pytorch-grad-cam's weights)} @param graph the model */
    public static GradCam gradCamPlusPlus(Graph graph) {
        return new GradCam(GradCam.Kind.GRAD_CAM_PP, graph, Precision.FLOAT32, null, true);
    }

    /** {@return guided backpropagation times the upsampled Grad-CAM map} @param graph the model */
    public static GradCam guidedGradCam(Graph graph) {
        return new GradCam(GradCam.Kind.GUIDED_GRAD_CAM, graph, Precision.FLOAT32, null, true);
    }

    /**
     * {@return occlusion: a window of min(8, H, W) pixels square, the stride half the window (at least 1, following
     * the window until set), baseline 0, 64 occluded inputs per forward pass}
     *
     * @param graph the model, with image inputs {@code [N,C,H,W]}
     */
    public static Occlusion occlusion(Graph graph) {
        if (graph == null) {
            throw new ConfigurationException("occlusion: the graph is null");
        }
        Shape in = LayerMaps.imageInput(graph, "occlusion");
        int k = (int) Math.min(8, Math.min(in.dim(1), in.dim(2)));
        return new Occlusion(graph, Precision.FLOAT32, k, k, 0, 0, null, 0.0, 64);
    }

    /**
     * {@return simple Taylor decomposition at a root found by Newton steps along the gradient: level 0, tolerance
     * 10⁻³, at most 100 steps, no box}
     *
     * @param graph the model
     */
    public static TaylorDecomposition taylor(Graph graph) {
        return new TaylorDecomposition(graph, Precision.FLOAT32, 0.0, 1e-3, 100, Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY);
    }

    /** {@return DeepLIFT with the rescale rule, as Captum's: zero baseline, eps 1e-10} @param graph the model */
    public static DeepLift deepLift(Graph graph) {
        return new DeepLift(graph, Precision.FLOAT32, null, DeepLift.DEFAULT_EPS);
    }

    /**
     * {@return activation maximization of a classifier's logits: 200 steps, learning rate 0.1, λ = 0.01, no blur or
     * jitter, seed 0; {@code withGenerator} optimises in a generator's code space}
     *
     * @param classifier the model
     */
    public static ActivationMaximization activationMaximization(Graph classifier) {
        return new ActivationMaximization(classifier, null, Precision.FLOAT32, 200, 0.1, 0.01, 0, 0, 0, 1, 0, 0.01);
    }

    /**
     * {@return concept relevance propagation with an LRP explainer's rules; choose the layer with {@code withLayer},
     * the concepts with {@code withChannels} or {@code withConcepts} (default: every channel)}
     *
     * @param explainer e.g. {@code Explainer.of(g).preset(...)}
     */
    public static Crp crp(Explainer explainer) {
        return new Crp(explainer, null, null);
    }

    /** {@return the method names {@code dtd explain --method} takes, in the order of the methods reference} */
    public static List<String> names() {
        return List.of("lrp", "gradient", "sensitivity", "gradient-input", "integrated-gradients", "smoothgrad",
                "guided-backprop", "deconvnet", "cam", "grad-cam", "grad-cam-pp", "guided-grad-cam", "occlusion",
                "taylor", "deeplift", "activation-maximization", "crp");
    }
}
