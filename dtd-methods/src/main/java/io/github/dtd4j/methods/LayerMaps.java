package io.github.dtd4j.methods;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the CAM family shares: which nodes have a spatial output, and the upsampling of a layer-resolution map to the
 * input's height and width.
 */
final class LayerMaps {
    private LayerMaps() {
    }

    /** {@return whether a per-sample shape is a stack of maps {@code [C,h,w]}} @param s shape */
    static boolean spatial(Shape s) {
        return s.rank() == 3;
    }

    /** {@return the nodes with a per-sample output {@code [C,h,w]}, in topological order} @param g graph */
    static List<String> spatialNodes(Graph g) {
        List<String> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (spatial(n.outputShape())) {
                out.add(n.name());
            }
        }
        return out;
    }

    /**
     * {@return the default layer of Grad-CAM: the last node, in topological order, whose output is {@code [C,h,w]}
     * with more than one position} (the last convolutional block's output, before pooling to a vector)
     *
     * @param g      the model
     * @param method for messages
     */
    static String defaultLayer(Graph g, String method) {
        String last = null;
        for (Node n : g.nodes()) {
            Shape s = n.outputShape();
            if (spatial(s) && s.dim(1) * s.dim(2) > 1) {
                last = n.name();
            }
        }
        if (last == null) {
            throw new ConfigurationException(method + ": no node of the graph has a spatial output [N,C,h,w] with more "
                    + "than one position (the input is " + g.inputShape().toBatchString() + ")");
        }
        return last;
    }

    /**
     * {@return the layer checked: a node (or the input) with a spatial output}
     *
     * @param g      the model
     * @param layer  a node name
     * @param method for messages
     */
    static String checkLayer(Graph g, String layer, String method) {
        if (layer == null) {
            throw new ConfigurationException(method + ": the layer is null");
        }
        if (!layer.equals(g.inputName()) && g.node(layer).isEmpty()) {
            throw new ConfigurationException(method + ": the graph has no node named '" + layer + "'; nodes with a "
                    + "spatial output: " + spatialNodes(g));
        }
        Shape s = g.shapeOf(layer);
        if (!spatial(s)) {
            throw new ConfigurationException(method + ": layer '" + layer + "' outputs " + s.toBatchString()
                    + ", not maps [N,C,h,w]; nodes with a spatial output: " + spatialNodes(g));
        }
        return layer;
    }

    /** {@return the input's per-sample shape checked to be an image {@code [C,H,W]}} */
    static Shape imageInput(Graph g, String method) {
        if (!spatial(g.inputShape())) {
            throw new ConfigurationException(method + ": needs image inputs [N,C,H,W]; the input '" + g.inputName()
                    + "' is " + g.inputShape().toBatchString());
        }
        return g.inputShape();
    }

    /**
     * Bilinear resampling as {@code torch.nn.functional.interpolate(m, size=(H, W), mode='bilinear',
     * align_corners=False)} (without antialiasing): output pixel {@code d} reads the input at
     * {@code s = (d + 0.5)·in/out − 0.5}, clamped below at 0, between {@code floor(s)} and the next pixel (the last
     * one repeated at the edge), weighted by the fractional part. Up- and downsampling alike; the same size is the
     * identity.
     *
     * @param m    {@code [N,C,h,w]}
     * @param outH H ≥ 1
     * @param outW W ≥ 1
     * @return {@code [N,C,H,W]}, in m's data type
     */
    static INDArray bilinear(INDArray m, int outH, int outW) {
        if (m == null || m.rank() != 4) {
            throw new InvalidInputException("bilinear: needs maps [N,C,h,w], got "
                    + (m == null ? "null" : Shape.format(m.shape())));
        }
        if (outH < 1 || outW < 1) {
            throw new InvalidInputException("bilinear: the output size must be >= 1, got " + outH + "x" + outW);
        }
        int n = (int) m.size(0);
        int c = (int) m.size(1);
        int h = (int) m.size(2);
        int w = (int) m.size(3);
        double[] src = m.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        int[] r0 = new int[outH];
        int[] r1 = new int[outH];
        double[] rl = new double[outH];
        axis(h, outH, r0, r1, rl);
        int[] c0 = new int[outW];
        int[] c1 = new int[outW];
        double[] cl = new double[outW];
        axis(w, outW, c0, c1, cl);
        double[] out = new double[n * c * outH * outW];
        int o = 0;
        for (int plane = 0; plane < n * c; plane++) {
            int base = plane * h * w;
            for (int y = 0; y < outH; y++) {
                int top = base + r0[y] * w;
                int bottom = base + r1[y] * w;
                double ly = rl[y];
                for (int x = 0; x < outW; x++) {
                    double lx = cl[x];
                    double upper = (1 - lx) * src[top + c0[x]] + lx * src[top + c1[x]];
                    double lower = (1 - lx) * src[bottom + c0[x]] + lx * src[bottom + c1[x]];
                    out[o++] = (1 - ly) * upper + ly * lower;
                }
            }
        }
        return Nd4j.create(out, new long[]{n, c, outH, outW}, 'c').castTo(m.dataType());
    }

    /** The source pixels and weight of each output pixel along one axis (half-pixel centers, edge clamp). */
    private static void axis(int in, int out, int[] i0, int[] i1, double[] lambda) {
        double scale = (double) in / out;
        for (int d = 0; d < out; d++) {
            double s = Math.max(scale * (d + 0.5) - 0.5, 0.0);
            int lo = Math.min((int) s, in - 1);
            i0[d] = lo;
            i1[d] = Math.min(lo + 1, in - 1);
            lambda[d] = s - lo;
        }
    }

    /** {@return the values of a c-ordered array as doubles} @param a any array */
    static double[] doubles(INDArray a) {
        return a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    /** {@return an array of a precision's data type from c-ordered doubles} */
    static INDArray array(double[] values, DataType type, long... shape) {
        return Nd4j.create(values, shape, 'c').castTo(type);
    }
}
