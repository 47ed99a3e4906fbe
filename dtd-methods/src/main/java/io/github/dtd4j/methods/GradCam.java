package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient-weighted class activation maps at a layer {@code A} ({@code [C,h,w]}, by default the last node with a
 * spatial output before the network pools to a vector, {@link LayerMaps#defaultLayer}):
 * <ul>
 *   <li>{@code grad-cam} (Selvaraju et al. 2017): {@code α_k = (1/(h·w)) Σ_ij ∂f_c/∂A_k(i,j)},
 *   {@code map = ReLU(Σ_k α_k A_k)};</li>
 *   <li>{@code grad-cam-pp} (Chattopadhay et al. 2018, "Grad-CAM++"): {@code map = ReLU(Σ_k w_k A_k)} with
 *   {@code w_k = Σ_ij ReLU(g_ij) a_ij}, {@code a_ij = g_ij² / (2 g_ij² + (Σ_ab A_k(a,b)) g_ij³ + 10⁻⁶)} and
 *   {@code g = ∂f_c/∂A_k}: the paper's closed form for an exponential output {@code exp(f_c)} (its Eq. 19, whose
 *   second and third derivatives are powers of the first), computed as pytorch-grad-cam's
 *   {@code GradCAMPlusPlus} computes it, from the gradient of the score itself (the factor {@code exp(f_c)} of the
 *   paper's weights is dropped: it scales the map, not its shape) with its 10⁻⁶ in the denominator (Captum has
 *   no Grad-CAM++);</li>
 *   <li>{@code guided-grad-cam}: guided backpropagation ({@link GradientMethod.Kind#GUIDED_BACKPROP}) times the
 *   upsampled Grad-CAM map, as Captum's {@code GuidedGradCam}; its attribution is shaped like the input
 *   {@code [N,C,H,W]}.</li>
 * </ul>
 * The layer is taken as the model was imported: BatchNorm is not folded, so a convolution's output is the
 * convolution's (as a PyTorch hook on the Conv2d module sees it). {@code ∂f_c/∂A} is dtd4j's reverse sweep stopped
 * at the layer ({@link Explainer#stopAt}, started from 1 at the class), {@code A} the same explainer's
 * {@link Explainer#activations}. The map is upsampled to the input's {@code H×W} bilinearly, as
 * {@code torch.nn.functional.interpolate(map, (H, W), mode='bilinear', align_corners=False)} (the original paper's
 * choice; Captum's {@code GuidedGradCam} defaults to "nearest"). The attribution of {@code grad-cam} and
 * {@code grad-cam-pp} is {@code [N,1,H,W]}; {@code extras().get("layer-map")} is the map at the layer's resolution,
 * {@code [N,1,h,w]}. Defaults: ReLU on (the papers' and pytorch-grad-cam's; Captum's {@code LayerGradCam} returns
 * the signed sum unless {@code relu_attributions=True}, {@link #withRelu(boolean) withRelu(false)}). Cost: two
 * forward passes and a backward sweep down to the layer (guided: one more forward pass and a full backward sweep).
 * Known failure modes: the map has the layer's coarse resolution; Grad-CAM averages gradients that can cancel, and
 * on a layer far from the output (or a negative class evidence) the ReLU leaves an empty map.
 */
public final class GradCam implements Attribution {
    /** The three methods. */
    public enum Kind {
        /** Grad-CAM. */
        GRAD_CAM("grad-cam"),
        /** Grad-CAM++. */
        GRAD_CAM_PP("grad-cam-pp"),
        /** Guided Grad-CAM. */
        GUIDED_GRAD_CAM("guided-grad-cam");

        private final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        /** {@return the name as the command line spells it} */
        public String spelling() {
            return spelling;
        }
    }

    /** Grad-CAM++'s stabilizer, as pytorch-grad-cam adds it to the denominator of its weights. */
    static final double PP_EPS = 1e-6;

    private final Kind kind;
    private final Graph graph;
    private final Precision precision;
    private final String layer;
    private final boolean relu;
    private final Explainer backward;
    private final Explainer toLayer;
    private final Explainer guided;
    private final io.github.dtd4j.ExplanationEngine engine;

    GradCam(Kind kind, Graph graph, Precision precision, String layer, boolean relu) {
        this(kind, graph, precision, layer, relu, io.github.dtd4j.ExplanationEngine.ND4J);
    }

    private GradCam(Kind kind, Graph graph, Precision precision, String layer, boolean relu,
                    io.github.dtd4j.ExplanationEngine engine) {
        if (kind == null || graph == null || precision == null || engine == null) {
            throw new ConfigurationException("grad-cam: kind, graph, precision and engine are required");
        }
        String method = kind.spelling();
        LayerMaps.imageInput(graph, method);
        this.kind = kind;
        this.graph = graph;
        this.precision = precision;
        this.layer = layer == null ? LayerMaps.defaultLayer(graph, method) : LayerMaps.checkLayer(graph, layer, method);
        this.relu = relu;
        this.engine = engine;
        this.backward = Backward.explainer(graph, precision, Backward.ReluMode.GRADIENT);
        this.toLayer = backward.stopAt(this.layer).engine(engine);
        this.guided = kind == Kind.GUIDED_GRAD_CAM ? Backward.explainer(graph, precision, Backward.ReluMode.GUIDED)
                .engine(engine) : null;
    }

    /**
     * {@return a copy on another engine}: {@code ONNX_RUNTIME} runs the gradient down to the layer (and guided
     * backprop's, for guided Grad-CAM) as the backward pass compiled into one ONNX graph that stops at the layer
     * (needs {@code dtd-ort}); the layer's activations come from the ND4J engine's forward pass, and the weighting
     * and upsampling stay on the JVM, so the map is the ND4J engine's to float rounding
     *
     * @param e the engine
     */
    public GradCam withEngine(io.github.dtd4j.ExplanationEngine e) {
        return new GradCam(kind, graph, precision, layer, relu, e);
    }

    /** {@return which of the three} */
    public Kind kind() {
        return kind;
    }

    /** {@return the node whose output is weighted} */
    public String layer() {
        return layer;
    }

    /**
     * {@return a copy at another layer}
     *
     * @param node a node with a spatial output {@code [N,C,h,w]} (or the input's name)
     * @throws ConfigurationException naming the node and the graph's spatial nodes if it has none or another shape
     */
    public GradCam withLayer(String node) {
        return new GradCam(kind, graph, precision, LayerMaps.checkLayer(graph, node, kind.spelling()), relu, engine);
    }

    /** {@return a copy with or without the ReLU on the map} @param on false for Captum's signed default */
    public GradCam withRelu(boolean on) {
        return new GradCam(kind, graph, precision, layer, on, engine);
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public GradCam withPrecision(Precision p) {
        return new GradCam(kind, graph, p, layer, relu, engine);
    }

    @Override
    public String name() {
        return kind.spelling();
    }

    @Override
    public String settings() {
        return String.format(Locale.ROOT, "layer %s%s, %s", layer, relu ? "" : ", no relu",
                precision.name().toLowerCase(Locale.ROOT))
                + Backward.engineLabel(engine);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        if (start instanceof Start.Tensor t && t.node() != null) {
            throw new ConfigurationException(name() + ": a start at an intermediate node is not supported");
        }
        Map<String, INDArray> acts = backward.activations(x);
        INDArray a = acts.get(layer);
        if (a == null) {
            throw new ConfigurationException(name() + ": the explainer's forward pass has no output of '" + layer
                    + "'");
        }
        Explanation e = Backward.run(toLayer, x, start);
        INDArray g = e.inputRelevance();
        if (!java.util.Arrays.equals(g.shape(), a.shape())) {
            throw new ConfigurationException(name() + ": the gradient at '" + layer + "' is " + Shape.format(g.shape())
                    + ", its output " + Shape.format(a.shape()));
        }
        DataType t = g.dataType();
        INDArray map = LayerMaps.array(map(LayerMaps.doubles(a), LayerMaps.doubles(g), (int) a.size(0),
                (int) a.size(1), (int) (a.size(2) * a.size(3))), t, a.size(0), 1, a.size(2), a.size(3));
        Shape in = graph.inputShape();
        INDArray up = LayerMaps.bilinear(map, (int) in.dim(1), (int) in.dim(2));
        Map<String, INDArray> extras = new LinkedHashMap<>();
        extras.put("layer-map", map);
        INDArray attribution = up;
        if (kind == Kind.GUIDED_GRAD_CAM) {
            INDArray gb = Backward.run(guided, x, start).inputRelevance();
            attribution = LayerMaps.array(product(LayerMaps.doubles(gb), LayerMaps.doubles(up), (int) gb.size(0),
                    (int) gb.size(1)), gb.dataType(), gb.shape());
            extras.put("grad-cam", up);
            extras.put("guided-backprop", gb);
        }
        return new Attributions(name(), attribution, e.logits(), e.targets(), extras, null, null);
    }

    /** {@return {@code gb[n,c,p]·up[n,p]}} @param gb {@code [N,C,H·W]} @param up {@code [N,H·W]} */
    private static double[] product(double[] gb, double[] up, int n, int c) {
        int hw = up.length / n;
        double[] out = new double[gb.length];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                int base = (i * c + k) * hw;
                for (int p = 0; p < hw; p++) {
                    out[base + p] = gb[base + p] * up[i * hw + p];
                }
            }
        }
        return out;
    }

    /** {@return the layer-resolution map {@code [N·h·w]} from activations and gradients {@code [N,C,h·w]}} */
    private double[] map(double[] a, double[] g, int n, int c, int hw) {
        double[] m = new double[n * hw];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                int base = (i * c + k) * hw;
                double weight = 0;
                if (kind == Kind.GRAD_CAM_PP) {
                    double sumA = 0;
                    for (int p = 0; p < hw; p++) {
                        sumA += a[base + p];
                    }
                    for (int p = 0; p < hw; p++) {
                        double gp = g[base + p];
                        if (gp != 0) {
                            double g2 = gp * gp;
                            double aij = g2 / (2 * g2 + sumA * g2 * gp + PP_EPS);
                            weight += Math.max(gp, 0) * aij;
                        }
                    }
                } else {
                    for (int p = 0; p < hw; p++) {
                        weight += g[base + p];
                    }
                    weight /= hw;
                }
                for (int p = 0; p < hw; p++) {
                    m[i * hw + p] += weight * a[base + p];
                }
            }
            if (relu) {
                for (int p = 0; p < hw; p++) {
                    m[i * hw + p] = Math.max(m[i * hw + p], 0);
                }
            }
        }
        return m;
    }
}
