package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Class activation mapping (Zhou et al. 2016, "Learning Deep Features for Discriminative Localization"): for a
 * network that ends in global average pooling of its last maps {@code A_k} ({@code [C,h,w]}), an optional
 * Flatten, and one Dense layer {@code f_c = Σ_k w_kc · mean(A_k) + b_c}, the map of class c is
 * {@code M_c(i,j) = Σ_k w_kc A_k(i,j)}, so that {@code mean(M_c) + b_c = f_c}. It is upsampled to the input's
 * {@code H×W} bilinearly ({@link LayerMaps#bilinear}, as {@code torch.nn.functional.interpolate(...,
 * mode='bilinear', align_corners=False)}): the attribution is {@code [N,1,H,W]} and the map at the layer's
 * resolution is {@code extras().get("layer-map")}, {@code [N,1,h,w]}. No ReLU and no normalisation, as in the
 * paper's definition; a relevance tensor at the output gives {@code Σ_c r_c M_c}.
 *
 * <p>Which graphs: the output node is a Dense whose input is, through any Flatten, Reshape, Identity or Dropout, a
 * GlobalAvgPool or an AdaptiveAvgPool2d to 1×1 of a node with a spatial output; anything else is a
 * {@link ConfigurationException} naming the graph's tail (use {@link GradCam}, which takes any graph). Cost: one
 * forward pass. Known failure modes: the map has the last layer's coarse resolution; it is a class score
 * decomposition over positions only, and says nothing about the pixels inside a position's receptive field. On
 * such a network Grad-CAM without its ReLU is this map divided by {@code h·w}.
 */
public final class Cam implements Attribution {
    private final Graph graph;
    private final Precision precision;
    private final String layer;
    private final String dense;
    private final Explainer forward;

    Cam(Graph graph, Precision precision) {
        if (graph == null || precision == null) {
            throw new ConfigurationException("cam: graph and precision are required");
        }
        LayerMaps.imageInput(graph, "cam");
        this.graph = graph;
        this.precision = precision;
        Node out = graph.node(graph.outputName()).orElseThrow();
        String pool = null;
        if (out.layer() instanceof Dense) {
            String at = out.inputs().get(0);
            while (!at.equals(graph.inputName()) && isReshaping(graph.node(at).orElseThrow().layer())) {
                at = graph.node(at).orElseThrow().inputs().get(0);
            }
            if (!at.equals(graph.inputName()) && isGlobalAverage(graph.node(at).orElseThrow().layer())) {
                pool = at;
            }
        }
        if (pool == null) {
            throw new ConfigurationException("cam: needs a graph that ends in global average pooling (GlobalAvgPool or "
                    + "AdaptiveAvgPool2d to 1x1), an optional Flatten, then one Dense; this graph ends in " + tail(graph)
                    + " (Grad-CAM takes any graph)");
        }
        String maps = graph.node(pool).orElseThrow().inputs().get(0);
        this.layer = maps;
        this.dense = out.name();
        this.forward = Backward.explainer(graph, precision, Backward.ReluMode.GRADIENT);
    }

    private static boolean isReshaping(Layer l) {
        return l instanceof Flatten || l instanceof Reshape || l instanceof Identity || l instanceof Dropout;
    }

    private static boolean isGlobalAverage(Layer l) {
        return l instanceof GlobalAvgPool || (l instanceof AdaptiveAvgPool2d a && a.outH() == 1 && a.outW() == 1);
    }

    /** {@return the last nodes of the graph, "'a' (Kind) → 'b' (Kind)"} */
    static String tail(Graph g) {
        List<String> parts = new ArrayList<>();
        String at = g.outputName();
        while (parts.size() < 4 && !at.equals(g.inputName())) {
            Node n = g.node(at).orElseThrow();
            parts.add("'" + n.name() + "' (" + n.kind() + ")");
            at = n.inputs().get(0);
        }
        if (parts.size() < 4) {
            parts.add("the input '" + g.inputName() + "'");
        } else {
            parts.add("...");
        }
        Collections.reverse(parts);
        return String.join(" → ", parts);
    }

    /** {@return the node whose maps are weighted: the input of the global average pooling} */
    public String layer() {
        return layer;
    }

    /** {@return a copy in another precision} @param p float32 or float64 */
    public Cam withPrecision(Precision p) {
        return new Cam(graph, p);
    }

    @Override
    public String name() {
        return "cam";
    }

    @Override
    public String settings() {
        return "layer " + layer + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        Map<String, INDArray> acts = forward.activations(x);
        INDArray logits = acts.get(graph.outputName());
        INDArray a = acts.get(layer);
        DataType t = logits.dataType();
        INDArray w = Targets.weights(start, logits, name());
        Dense d = (Dense) forward.compiledGraph().node(dense).orElseThrow().layer();
        // v[n,k] = Σ_c w_kc r_nc: the weight of map k for what element n explains
        double[] v = LayerMaps.doubles(w.castTo(DataType.DOUBLE).mmul(d.weight().castTo(DataType.DOUBLE).transpose()));
        double[] av = LayerMaps.doubles(a);
        int n = (int) a.size(0);
        int c = (int) a.size(1);
        int hw = (int) (a.size(2) * a.size(3));
        double[] m = new double[n * hw];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                double vk = v[i * c + k];
                int base = (i * c + k) * hw;
                for (int p = 0; p < hw; p++) {
                    m[i * hw + p] += vk * av[base + p];
                }
            }
        }
        INDArray map = LayerMaps.array(m, t, n, 1, a.size(2), a.size(3));
        Shape in = graph.inputShape();
        INDArray up = LayerMaps.bilinear(map, (int) in.dim(1), (int) in.dim(2));
        return new Attributions(name(), up, logits, Targets.of(w), Map.of("layer-map", map), null, null);
    }
}
