package io.github.dtd4j.internal;

import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.SumPool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Our own forward pass on raw ND4J operations. Every node's output is a fresh array that no later operation
 * writes to, so the recorded values are exactly what each consumer received.
 */
public final class Forward {
    private Forward() {
    }

    /**
     * Runs the graph and records every node's output.
     *
     * @param graph a graph whose parameters are in {@code x}'s dtype
     * @param x     the input {@code [N, ...inputShape]}; not modified
     * @return the outputs by node name, in topological order, the input under the graph's input name
     */
    public static Map<String, INDArray> run(Graph graph, INDArray x) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(graph.inputName(), x);
        for (Node n : graph.nodes()) {
            out.put(n.name(), apply(n.layer(), inputsOf(n, out)));
        }
        return out;
    }

    /** {@return a node's inputs, in order, from the outputs computed so far} @param n node @param out outputs */
    public static List<INDArray> inputsOf(Node n, Map<String, INDArray> out) {
        List<INDArray> in = new ArrayList<>(n.inputs().size());
        for (String i : n.inputs()) {
            in.add(out.get(i));
        }
        return in;
    }

    /** {@return the graph's output for {@code x}} @param graph graph @param x input */
    public static INDArray output(Graph graph, INDArray x) {
        return run(graph, x).get(graph.outputName());
    }

    /** {@return one layer's output, a new array} @param layer the layer @param in its inputs, untouched */
    public static INDArray apply(Layer layer, List<INDArray> in) {
        INDArray x = in.get(0);
        if (layer instanceof Dense d) {
            INDArray z = Ops.matmul(lastAxis(x), d.weight(), false, false);
            if (d.bias() != null) {
                z.addiRowVector(d.bias());
            }
            return x.rank() == 2 ? z : z.reshape('c', withLast(x.shape(), d.outFeatures()));
        } else if (layer instanceof Conv2d c) {
            return Ops.conv2d(x, c.weight(), c.bias(), c);
        } else if (layer instanceof Relu) {
            return Transforms.relu(x, true);
        } else if (layer instanceof MaxPool2d p) {
            return Ops.maxPool(x, p);
        } else if (layer instanceof AvgPool2d p) {
            return Ops.avgPool(x, p);
        } else if (layer instanceof GlobalAvgPool) {
            return x.mean(2, 3).reshape(x.size(0), x.size(1), 1, 1);
        } else if (layer instanceof AdaptiveAvgPool2d p) {
            return Ops.adaptiveAvgPool(x, p);
        } else if (layer instanceof SumPool p) {
            return x.reshape(x.size(0), x.size(1) / p.groupSize(), p.groupSize()).sum(2);
        } else if (layer instanceof BatchNorm b) {
            INDArray[] affine = batchNormAffine(b);
            return broadcastChannels(x.dup(), affine[0], true).addi(channelShape(affine[1], x.rank()));
        } else if (layer instanceof Add) {
            INDArray sum = x.dup();
            for (int i = 1; i < in.size(); i++) {
                sum.addi(in.get(i));
            }
            return sum;
        } else if (layer instanceof Concat c) {
            return Nd4j.concat(c.axis() + 1, in.toArray(INDArray[]::new));
        } else if (layer instanceof Flatten) {
            return x.reshape('c', new long[]{x.size(0), x.length() / x.size(0)}).dup();
        } else if (layer instanceof Reshape r) {
            return x.reshape('c', r.shape().withBatch(x.size(0))).dup();
        } else if (layer instanceof Dropout || layer instanceof Identity) {
            return x.dup();
        } else if (layer instanceof LocalResponseNorm l) {
            return localResponseNorm(x, l);
        } else if (layer instanceof io.github.dtd4j.graph.Activation a) {
            return Elementwise.activation(a, x);
        } else if (layer instanceof io.github.dtd4j.graph.Mul m) {
            return Elementwise.mul(m, x, in.get(1));
        } else if (layer instanceof io.github.dtd4j.graph.Permute p) {
            return Elementwise.permute(p, x);
        } else if (layer instanceof io.github.dtd4j.graph.Slice sl) {
            return Elementwise.slice(sl, x);
        } else if (layer instanceof io.github.dtd4j.graph.LayerNorm l) {
            return Elementwise.layerNorm(l, x);
        } else if (layer instanceof io.github.dtd4j.graph.ConstantMul m) {
            return Elementwise.constantMul(m, x);
        } else if (layer instanceof io.github.dtd4j.graph.ConstantAdd a) {
            return Elementwise.constantAdd(a, x);
        } else if (layer instanceof io.github.dtd4j.graph.ConstantConcat c) {
            return Elementwise.constantConcat(c, x);
        } else if (layer instanceof io.github.dtd4j.graph.Resize r) {
            return Elementwise.resize(r, x, false);
        } else if (layer instanceof io.github.dtd4j.graph.MatMul) {
            return Elementwise.matMul(x, in.get(1));
        } else if (layer instanceof io.github.dtd4j.graph.Softmax) {
            return Elementwise.softmax(x);
        } else if (layer instanceof io.github.dtd4j.graph.CustomLayer c) {
            return custom(c, in);
        }
        throw new io.github.dtd4j.errors.InvalidGraphException("no forward pass for layer kind " + layer.kind());
    }

    /** {@return {@code x} as a matrix {@code [N·..., last]} (itself when it is one)} @param x any rank ≥ 2 */
    public static INDArray lastAxis(INDArray x) {
        return x.rank() == 2 ? x : x.reshape('c', -1, x.size(x.rank() - 1));
    }

    /** {@return the shape with its last dimension replaced} @param shape a shape @param last the new last dimension */
    public static long[] withLast(long[] shape, long last) {
        long[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /**
     * {@return {scale, shift} with {@code y = x·scale + shift} per channel: scale = γ/√(var+eps),
     * shift = β − mean·scale}
     */
    public static INDArray[] batchNormAffine(BatchNorm b) {
        return new INDArray[]{b.scale(), b.shift()};
    }

    /** A custom layer's forward pass, checked: it must return a new array of the shape it declared. */
    private static INDArray custom(io.github.dtd4j.graph.CustomLayer c, List<INDArray> in) {
        List<io.github.dtd4j.graph.Shape> shapes = new ArrayList<>();
        for (INDArray a : in) {
            shapes.add(io.github.dtd4j.graph.Shape.ofBatch(a.shape()));
        }
        long[] expected = c.outputShape(c.kind(), shapes).withBatch(in.get(0).size(0));
        INDArray y;
        try {
            y = c.forward(in);
        } catch (io.github.dtd4j.errors.Dtd4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new io.github.dtd4j.errors.InvalidGraphException("custom layer " + c.kind() + ": its forward pass "
                    + "failed: " + e, e);
        }
        if (y == null || !java.util.Arrays.equals(y.shape(), expected)) {
            throw new io.github.dtd4j.errors.InvalidGraphException("custom layer " + c.kind() + ": forward returned "
                    + (y == null ? "null" : io.github.dtd4j.graph.Shape.format(y.shape())) + ", its outputShape says "
                    + io.github.dtd4j.graph.Shape.format(expected));
        }
        for (INDArray a : in) {
            if (y == a) {
                throw new io.github.dtd4j.errors.InvalidGraphException("custom layer " + c.kind()
                        + ": forward returned its input array; it must return a new array");
            }
        }
        return y;
    }

    /** {@return a per-channel vector reshaped to broadcast along axis 1 of a rank-{@code rank} array} */
    static INDArray channelShape(INDArray v, int rank) {
        long[] s = new long[rank];
        java.util.Arrays.fill(s, 1);
        s[1] = v.length();
        return v.reshape(s);
    }

    /** Multiplies {@code target} in place by a per-channel vector and returns it. */
    /**
     * {@return {@code z + b} per channel, a new array} @param z {@code [N,C,H,W]} @param b {@code [C]}: the same as
     * broadcasting {@code b} shaped {@code [1,C,1,1]}, as a column vector added to the {@code [N·C, H·W]} rows (ND4J's
     * general broadcast is about 1.4× slower here)
     */
    public static INDArray addPerChannel(INDArray z, INDArray b) {
        long n = z.size(0);
        long c = z.size(1);
        INDArray col = b.castTo(z.dataType()).reshape('c', c, 1);
        if (n > 1) {
            col = Nd4j.tile(col, (int) n, 1);
        }
        return z.reshape('c', new long[]{n * c, z.length() / (n * c)}).addColumnVector(col).reshape('c', z.shape());
    }

    static INDArray broadcastChannels(INDArray target, INDArray v, boolean multiply) {
        INDArray b = channelShape(v, target.rank());
        return multiply ? target.muli(b) : target.addi(b);
    }

    private static INDArray localResponseNorm(INDArray x, LocalResponseNorm l) {
        long c = x.size(1);
        INDArray sq = x.mul(x);
        INDArray denom = Nd4j.create(x.dataType(), x.shape());
        int before = l.size() / 2;
        int after = (l.size() - 1) / 2;
        for (long ch = 0; ch < c; ch++) {
            long lo = Math.max(0, ch - before);
            long hi = Math.min(c, ch + after + 1);
            INDArray window = sq.get(NDArrayIndex.all(), NDArrayIndex.interval(lo, hi), NDArrayIndex.all(),
                    NDArrayIndex.all()).sum(true, 1);
            denom.get(NDArrayIndex.all(), NDArrayIndex.interval(ch, ch + 1), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(window);
        }
        denom.muli(l.alpha() / l.size()).addi(l.k());
        return x.div(Transforms.pow(denom, l.beta(), false));
    }
}
