package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Selector;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.CustomLayer;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A node kind of your own, and a rule for it, both outside dtd-core: a leaky ReLU ({@code y = x} for x ≥ 0,
 * {@code y = a·x} below; dtd4j has one built in, {@code Activation.leakyRelu(a)}, which this example redefines to
 * show the extension points) and the rule that passes its relevance through, as Zennit's
 * {@code Pass} does for activations. The layer is a {@link CustomLayer}; the rule a {@link Rule} given to every node
 * of that kind by {@code Selector.kind(LeakyRelu.class)}. Without the assignment the explainer refuses to run and
 * names the node.
 */
public final class CustomLayerExample {
    private CustomLayerExample() {
    }

    /** {@code y = max(x, a·x)}, element-wise. @param slope a, in [0, 1) */
    public record LeakyRelu(double slope) implements CustomLayer {
        /** Checks the slope. */
        public LeakyRelu {
            if (!(slope >= 0 && slope < 1)) {
                throw new ConfigurationException("LeakyRelu: slope must be in [0, 1), got " + slope);
            }
        }

        @Override
        public Shape outputShape(String node, List<Shape> inputs) {
            return inputs.get(0);
        }

        @Override
        public INDArray forward(List<INDArray> inputs) {
            INDArray x = inputs.get(0);
            return Transforms.max(x, x.mul(slope), true);
        }

        @Override
        public List<INDArray> vjp(List<INDArray> inputs, INDArray s) {
            INDArray positive = inputs.get(0).gte(0.0).castTo(s.dataType());
            return List.of(s.mul(positive.mul(1 - slope).addi(slope)));
        }
    }

    /** Relevance at a leaky ReLU's output goes to its input unchanged. */
    public record PassLeaky() implements Rule {
        @Override
        public String name() {
            return "pass (leaky relu)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof LeakyRelu;
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return List.of(ctx.relevance());
        }
    }

    /** {@return a small net with a leaky ReLU between two dense layers} @param seed weights */
    public static Graph network(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray w1 = Nd4j.randn(DataType.DOUBLE, 6, 5);
        INDArray w2 = Nd4j.randn(DataType.DOUBLE, 5, 3);
        return Graph.builder(Shape.of(6))
                .add("fc1", io.github.dtd4j.graph.Dense.of(w1, null), "input")
                .add("leaky", new LeakyRelu(0.1), "fc1")
                .add("fc2", io.github.dtd4j.graph.Dense.of(w2, null), "leaky")
                .build();
    }

    /**
     * Explains one input.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Graph net = network(7);
        Explainer ex = Explainer.of(net).precision(Precision.FLOAT64)
                .rule(Rules.epsilon(0.01))
                .rule(Selector.kind(LeakyRelu.class), new PassLeaky());
        System.out.println(ex.coverage());
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 6);
        try (Explanation e = ex.explain(x)) {
            System.out.printf(Locale.ROOT, "class %d, f(x) = %.4f, Σ R = %.4f%n", e.targets()[0],
                    e.explainedScores()[0], e.ledger().inputSums()[0]);
        }
        try {
            Explainer.of(net).rule(Rules.epsilon(0.01)).coverage();
        } catch (ConfigurationException e) {
            System.out.println("without a rule for it: " + e.getMessage());
        }
    }
}
