package io.github.dtd4j.internal;

import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The {@link LinearLayer} views of Dense, Conv2d and affine BatchNorm nodes. */
public final class LinearLayers {
    private LinearLayers() {
    }

    /** {@return the view of a Dense, Conv2d or BatchNorm node} @param node node @param inputShape its input shape */
    public static LinearLayer of(Node node, Shape inputShape) {
        if (node.layer() instanceof Dense d) {
            return new DenseView(node.name(), inputShape, node.outputShape(), d);
        } else if (node.layer() instanceof Conv2d c) {
            return new ConvView(node.name(), inputShape, node.outputShape(), c);
        } else if (node.layer() instanceof BatchNorm b) {
            return new AffineView(node.name(), inputShape, b);
        }
        throw new io.github.dtd4j.errors.ConfigurationException(node.kind() + " is not a linear layer");
    }

    private abstract static class Base implements LinearLayer {
        private final String name;
        private final Shape in;
        private final Shape out;
        private final INDArray weight;
        private final INDArray bias;
        private final boolean hasBias;
        private final Map<String, INDArray> derived = new ConcurrentHashMap<>();
        private final Map<String, INDArray> constants = new ConcurrentHashMap<>();

        Base(String name, Shape in, Shape out, INDArray weight, INDArray bias, long outChannels) {
            this.name = name;
            this.in = in;
            this.out = out;
            this.weight = weight;
            this.hasBias = bias != null;
            this.bias = bias != null ? bias : Nd4j.zeros(weight.dataType(), outChannels);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Shape inputShape() {
            return in;
        }

        @Override
        public Shape outputShape() {
            return out;
        }

        @Override
        public INDArray weight() {
            return weight;
        }

        @Override
        public INDArray bias() {
            return bias;
        }

        @Override
        public boolean hasBias() {
            return hasBias;
        }

        @Override
        public INDArray derivedConstant(String key, java.util.function.Function<LinearLayer, INDArray> compute) {
            return cached(constants, key, () -> {
                INDArray a = compute.apply(this);
                return a.isView() ? a.dup() : a;
            });
        }

        @Override
        public INDArray derivedWeight(String key, UnaryOperator<INDArray> derive) {
            return cached(derived, key, () -> {
                INDArray d = derive.apply(weight);
                if (d == weight) {
                    return weight;
                }
                if (!java.util.Arrays.equals(d.shape(), weight.shape())) {
                    throw new io.github.dtd4j.errors.ConfigurationException("derived weight '" + key + "' of layer '"
                            + name + "' has shape " + Shape.format(d.shape()) + ", expected "
                            + Shape.format(weight.shape()));
                }
                return d.castTo(weight.dataType());
            });
        }

        /** {@return the key a weight is kept under ("" for the layer's own), or null for an array not kept} */
        String keyOf(INDArray w) {
            if (w == weight) {
                return "";
            }
            for (Map.Entry<String, INDArray> e : derived.entrySet()) {
                if (e.getValue() == w) {
                    return e.getKey();
                }
            }
            return null;
        }

        /** {@return the array cached under the key, computed outside every workspace the first time} */
        private static INDArray cached(Map<String, INDArray> cache, String key,
                                       java.util.function.Supplier<INDArray> compute) {
            INDArray a = cache.get(key);
            if (a != null) {
                return a;
            }
            return cache.computeIfAbsent(key, k -> {
                // cached across explanations: must live outside any workspace the caller has open
                try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    return compute.get();
                }
            });
        }

        @Override
        public String toString() {
            return kind() + " '" + name + "' " + in.toBatchString() + " -> " + out.toBatchString();
        }
    }

    private static final class DenseView extends Base {
        DenseView(String name, Shape in, Shape out, Dense d) {
            super(name, in, out, d.weight(), d.bias(), d.outFeatures());
        }

        @Override
        public String kind() {
            return "Dense";
        }

        @Override
        public INDArray forward(INDArray x, INDArray w) {
            INDArray z = Ops.matmul(Forward.lastAxis(x), w, false, false);
            return x.rank() == 2 ? z : z.reshape('c', Forward.withLast(x.shape(), w.size(1)));
        }

        @Override
        public INDArray transpose(INDArray s, INDArray w) {
            INDArray g = Ops.matmul(Forward.lastAxis(s), w, false, true);
            return s.rank() == 2 ? g : g.reshape('c', Forward.withLast(s.shape(), w.size(0)));
        }

        @Override
        public INDArray addBias(INDArray z, INDArray b) {
            return z.rank() == 2 ? z.addRowVector(b) : Forward.lastAxis(z).addRowVector(b).reshape('c', z.shape());
        }

        @Override
        public int outputAxis(int rank) {
            return rank - 1;
        }
    }

    private static final class ConvView extends Base {
        private final Conv2d conv;

        ConvView(String name, Shape in, Shape out, Conv2d c) {
            super(name, in, out, c.weight(), c.bias(), c.outChannels());
            this.conv = c;
        }

        @Override
        public String kind() {
            return "Conv2d";
        }

        @Override
        public INDArray forward(INDArray x, INDArray w) {
            return Ops.conv2d(x, w, null, conv, keptDepthwise(w, false));
        }

        @Override
        public INDArray forward(INDArray x, INDArray w, INDArray bias) {
            return Ops.conv2d(x, w, bias == null ? null : bias.castTo(w.dataType()), conv, keptDepthwise(w, false));
        }

        @Override
        public INDArray forwardSplit(INDArray x, INDArray wa, INDArray wb, INDArray bias) {
            if (!Ops.stacksSplitInput(wa, conv)) {
                return super.forwardSplit(x, wa, wb, bias);
            }
            INDArray y = Ops.conv2d(Ops.stackSigns(x), stacked(wa, wb), null, conv);
            return bias == null ? y : Forward.broadcastChannels(y, bias.castTo(y.dataType()), false);
        }

        @Override
        public INDArray transposeSplit(INDArray s, INDArray x, INDArray wa, INDArray wb) {
            if (!Ops.stacksSplitInput(wa, conv)) {
                return super.transposeSplit(s, x, wa, wb);
            }
            long c = x.size(1);
            long[] stackedShape = inputShape().withBatch(s.size(0));
            stackedShape[1] = 2 * c;
            INDArray t = Ops.conv2dTranspose(s, stacked(wa, wb), conv, stackedShape);
            if (Flat.leading(t) && Flat.leading(x) && t.dataType() == x.dataType()) {
                // x⁺ and x⁻ taken from x as the loop goes: one pass (the product with the stacked signs and the
                // sum of the halves took two operations over twice the input, and the signs were kept from the map)
                return Flat.sumOfSignedHalves(t, x);
            }
            t.muli(Ops.stackSigns(x));
            return Ops.channelView(t, 0, c).add(Ops.channelView(t, c, 2 * c));
        }

        @Override
        public INDArray transposePair(INDArray s, INDArray wa, INDArray a, INDArray wb, INDArray b) {
            if (conv.groups() != 1) {
                return super.transposePair(s, wa, a, wb, b);
            }
            long c = inputShape().dim(0);
            long[] stackedShape = inputShape().withBatch(s.size(0));
            stackedShape[1] = 2 * c;
            INDArray t = Ops.conv2dTranspose(s, stacked(wa, wb), conv, stackedShape);
            INDArray ta = Ops.channelView(t, 0, c).muli(a);
            return ta.add(Ops.channelView(t, c, 2 * c).muli(b));
        }

        /** {@return {@code [wa, wb]} along the input-channel axis, kept where both weights are} */
        private INDArray stacked(INDArray wa, INDArray wb) {
            String ka = keyOf(wa);
            String kb = keyOf(wb);
            if (ka == null || kb == null) {
                return Nd4j.concat(1, wa, wb);
            }
            return derivedConstant("stacked " + ka + " | " + kb, v -> Nd4j.concat(1, wa, wb));
        }

        @Override
        public INDArray transpose(INDArray s, INDArray w) {
            return Ops.conv2dTranspose(s, w, conv, inputShape().withBatch(s.size(0)),
                    Ops.transposesWithFlippedKernel(w, conv) ? keptDepthwise(w, true) : null);
        }

        /**
         * {@return a depthwise kernel in libnd4j's layout (its taps flipped for the transpose), kept beside the
         * weight where {@code w} is the layer's weight or one of its derived weights (a reversal per call cost a
         * stride-1 depthwise layer about as much as its convolution, and the permuted copy an operation and two
         * arrays per call); null for other layers and weights}
         */
        private INDArray keptDepthwise(INDArray w, boolean flipped) {
            if (!Ops.depthwise(conv)) {
                return null;
            }
            String key = keyOf(w);
            return key == null ? null : flipped
                    ? derivedConstant("depthwise flipped " + key, v -> Ops.flippedDepthwiseKernel(w))
                    : derivedConstant("depthwise " + key, v -> Ops.depthwiseKernel(w));
        }

        @Override
        public INDArray addBias(INDArray z, INDArray b) {
            return Forward.addPerChannel(z, b);
        }

        @Override
        public int outputAxis(int rank) {
            return rank > 1 ? 1 : -1;
        }
    }

    /** BatchNorm as {@code z_c = x_c·scale_c + shift_c}: weight = scale {@code [C]}, bias = shift. */
    private static final class AffineView extends Base {
        AffineView(String name, Shape in, BatchNorm b) {
            this(name, in, Forward.batchNormAffine(b));
        }

        private AffineView(String name, Shape in, INDArray[] affine) {
            super(name, in, in, affine[0], affine[1], affine[0].length());
        }

        @Override
        public String kind() {
            return "BatchNorm";
        }

        @Override
        public INDArray forward(INDArray x, INDArray w) {
            return x.mul(Forward.channelShape(w, x.rank()));
        }

        @Override
        public INDArray transpose(INDArray s, INDArray w) {
            return s.mul(Forward.channelShape(w, s.rank()));
        }

        @Override
        public INDArray addBias(INDArray z, INDArray b) {
            return z.add(Forward.channelShape(b, z.rank()));
        }

        @Override
        public int outputAxis(int rank) {
            return rank > 1 ? 1 : -1;
        }
    }
}
