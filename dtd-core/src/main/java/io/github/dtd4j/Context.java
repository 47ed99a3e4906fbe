package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.internal.Forward;
import io.github.dtd4j.internal.Gradients;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.NodeInfo;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The {@link NodeContext} of one node in one sweep, and the {@link RuleContext} of a linear node. */
final class Context implements NodeContext {
    private final Info info;
    private final List<INDArray> inputs;
    private final INDArray output;
    private final INDArray relevance;
    private final INDArray bias;
    private final double stabilizer;
    private final Accounts accounts;
    private final boolean inputKnownNonNegative;

    /**
     * @param info       the compiled node
     * @param inputs     what it received
     * @param output     what it produced
     * @param relevance  relevance at its output
     * @param bias       for a linear node, the bias after the bias policy; null otherwise
     * @param stabilizer ε
     * @param accounts   where absorbed relevance is booked
     * @param inputKnownNonNegative whether the (first) input is never negative by construction (a ReLU's output...)
     */
    Context(Info info, List<INDArray> inputs, INDArray output, INDArray relevance, INDArray bias, double stabilizer,
            Accounts accounts, boolean inputKnownNonNegative) {
        this.inputKnownNonNegative = inputKnownNonNegative;
        this.info = info;
        this.inputs = inputs;
        this.output = output;
        this.relevance = relevance;
        this.bias = bias;
        this.stabilizer = stabilizer;
        this.accounts = accounts;
    }

    @Override
    public String name() {
        return info.name();
    }

    @Override
    public Layer layer() {
        return info.layer();
    }

    @Override
    public List<String> inputNames() {
        return info.inputNames();
    }

    @Override
    public List<Shape> inputShapes() {
        return info.inputShapes();
    }

    @Override
    public Shape outputShape() {
        return info.outputShape();
    }

    @Override
    public int position() {
        return info.position();
    }

    @Override
    public boolean isLinear() {
        return info.isLinear();
    }

    @Override
    public LinearLayer linear() {
        return info.linear();
    }

    @Override
    public List<INDArray> inputs() {
        return inputs;
    }

    @Override
    public INDArray output() {
        return output;
    }

    @Override
    public INDArray relevance() {
        return relevance;
    }

    @Override
    public double stabilizer() {
        return stabilizer;
    }

    @Override
    public INDArray forward(List<INDArray> in) {
        checkArity(in, "forward");
        return Forward.apply(info.layer(), in);
    }

    @Override
    public List<INDArray> vjp(List<INDArray> at, INDArray s) {
        checkArity(at, "vjp");
        if (!java.util.Arrays.equals(s.shape(), output.shape())) {
            throw new InvalidInputException("node '" + name() + "' (" + kind() + "): vjp of " + Shape.format(s.shape())
                    + ", the output is " + Shape.format(output.shape()));
        }
        try {
            return Gradients.vjp(info.layer(), at, s);
        } catch (ConfigurationException e) {
            throw new ConfigurationException("node '" + name() + "' (" + kind() + "): " + e.getMessage(), e);
        }
    }

    private void checkArity(List<INDArray> in, String what) {
        if (in == null || in.size() != inputs.size()) {
            throw new InvalidInputException("node '" + name() + "' (" + kind() + "): " + what + " needs "
                    + inputs.size() + " input(s), got " + (in == null ? "null" : in.size()));
        }
    }

    @Override
    public INDArray divide(INDArray r, INDArray denominator) {
        return accounts.divide(null, r, denominator, null, stabilizer);
    }

    /** {@return the proportional split of a sum node's relevance by {@link Accounts#splitSum}, or null} */
    List<INDArray> splitSum(List<INDArray> xs, INDArray y) {
        return accounts.splitSum(xs, y, relevance, stabilizer);
    }

    @Override
    public void absorb(INDArray absorbed) {
        accounts.absorb(absorbed);
    }

    @Override
    public RuleContext linearContext() {
        LinearLayer layer = info.linear();
        if (bias == null) {
            throw new ConfigurationException("node '" + name() + "' (" + kind() + ") is not treated as a linear layer");
        }
        return new RuleContext() {
            @Override
            public LinearLayer layer() {
                return layer;
            }

            @Override
            public INDArray input() {
                return inputs.get(0);
            }

            @Override
            public INDArray output() {
                return output;
            }

            @Override
            public INDArray relevance() {
                return relevance;
            }

            @Override
            public INDArray bias() {
                return bias;
            }

            @Override
            public double stabilizer() {
                return stabilizer;
            }

            @Override
            public INDArray newSentRelevance() {
                INDArray x = inputs.get(0);
                return Engine.newSentArray(x.dataType(), x.shape());
            }

            private Boolean inputNonNegative;

            @Override
            public boolean inputNonNegative() {
                if (inputNonNegative == null) {
                    inputNonNegative = inputKnownNonNegative || Tensors.nonNegative(inputs.get(0));
                }
                return inputNonNegative;
            }

            @Override
            public INDArray divide(INDArray r, INDArray numeratorSum, INDArray biasTerm) {
                return accounts.divide(layer, r, numeratorSum, biasTerm, stabilizer);
            }

            @Override
            public INDArray divideNonNegative(INDArray r, INDArray numeratorSum, INDArray biasTerm) {
                return accounts.divideNonNegative(layer, r, numeratorSum, biasTerm, stabilizer);
            }

            @Override
            public INDArray divideNonNegativeDenominator(INDArray r, INDArray denominator, INDArray biasTerm) {
                return accounts.divideNonNegativeDenominator(layer, r, denominator, biasTerm, stabilizer);
            }

            @Override
            public INDArray divide(INDArray r, INDArray numeratorSum, INDArray biasTerm, double epsilon) {
                if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
                    throw new ConfigurationException("node '" + layer.name() + "': epsilon must be finite and >= 0, got "
                            + epsilon);
                }
                return accounts.divide(layer, r, numeratorSum, biasTerm, epsilon);
            }
        };
    }

    /**
     * A node as a rule sees it when the explainer is compiled.
     *
     * @param name        node name
     * @param layer       its layer
     * @param inputNames  the nodes it reads
     * @param inputShapes their per-sample shapes
     * @param outputShape its per-sample shape
     * @param position    its index in topological order
     * @param view        its linear view, or null if it is not treated as linear
     */
    record Info(String name, Layer layer, List<String> inputNames, List<Shape> inputShapes, Shape outputShape,
                int position, LinearLayer view) implements NodeInfo {
        Info {
            inputNames = List.copyOf(inputNames);
            inputShapes = List.copyOf(inputShapes);
        }

        @Override
        public boolean isLinear() {
            return view != null;
        }

        @Override
        public LinearLayer linear() {
            if (view == null) {
                throw new ConfigurationException("node '" + name + "' (" + layer.kind() + ") is not treated as a linear "
                        + "layer; a linear rule cannot apply to it");
            }
            return view;
        }
    }
}
