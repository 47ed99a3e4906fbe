package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The speed-ups the engine's layers and context offer rules (a bias added in the map's own pass, a split input's
 * stacked product, z^B's two transposes stacked into one, kept constants, the static non-negativity of an input, a
 * denominator computed whole, the sent relevance made in the sweep's own memory) give what their defaults in {@link LinearLayer} and {@link RuleContext}
 * give, which are written with the basic methods only: each rule run through a view that implements nothing but the abstract methods equals the rule run directly,
 * relevance and every ledger account, to 1e-10 in float64, on a network with signed and never-negative inputs to
 * 3×3, 1×1 (stacked), depthwise and dense layers.
 */
class SpiDefaultsTest {
    private static INDArray randn(Random rng, long... shape) {
        return Nd4j.randn(rng, shape).castTo(DataType.DOUBLE).muli(0.5);
    }

    private static Graph network() {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(17);
        return Graph.builder(Shape.of(3, 9, 9))
                .add("c1", Conv2d.of(randn(rng, 8, 3, 3, 3), randn(rng, 8)).withPadding(1), "input")
                .add("relu6", new Activation(Activation.Function.CLIP, 0, 6), "c1")
                .add("dw", Conv2d.of(randn(rng, 8, 1, 3, 3), randn(rng, 8)).withPadding(1).withGroups(8), "relu6")
                .add("project", Conv2d.of(randn(rng, 4, 8, 1, 1), randn(rng, 4)), "dw")
                .add("expand", Conv2d.of(randn(rng, 12, 4, 1, 1), randn(rng, 12)), "project")
                .add("relu", new Relu(), "expand")
                .add("pw", Conv2d.of(randn(rng, 6, 12, 1, 1), randn(rng, 6)), "relu")
                .add("gap", new GlobalAvgPool(), "pw")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(randn(rng, 6, 5), randn(rng, 5)), "flat")
                .build();
    }

    @Test
    void theRulesThroughTheDefaultsGiveWhatTheyGiveDirectly() {
        Graph g = network();
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(5), 3, 3, 9, 9).castTo(DataType.DOUBLE)
                .muli(2).subi(1);
        List<LinearRule> rules = List.of(Rules.Z_PLUS, Rules.ALPHA2_BETA1, Rules.gamma(0.25), Rules.epsilon(0.1),
                Rules.W_SQUARE);
        for (LinearRule rule : rules) {
            check(g, x, e -> e.rule(rule).rule(io.github.dtd4j.Selector.first(), Rules.zBox(-1, 1)),
                    e -> e.rule(new ThroughDefaults(rule)).rule(io.github.dtd4j.Selector.first(),
                            new ThroughDefaults(Rules.zBox(-1, 1))), rule.name());
        }
    }

    private static void check(Graph g, INDArray x, UnaryOperator<Explainer> direct, UnaryOperator<Explainer> defaults,
                              String what) {
        Explainer base = Explainer.of(g).precision(Precision.FLOAT64);
        try (Explanation a = direct.apply(base).explain(x); Explanation b = defaults.apply(base).explain(x)) {
            double scale = a.inputRelevance().amaxNumber().doubleValue();
            assertThat(scale).as(what).isPositive();
            assertThat(b.inputRelevance().sub(a.inputRelevance()).amaxNumber().doubleValue() / scale).as(what)
                    .isLessThanOrEqualTo(1e-10);
            List<LedgerEntry> ea = a.ledger().entries();
            List<LedgerEntry> eb = b.ledger().entries();
            assertThat(eb).hasSameSizeAs(ea);
            double start = a.ledger().start()[0];
            for (int k = 0; k < ea.size(); k++) {
                String where = what + " " + ea.get(k).node();
                for (int i = 0; i < ea.get(k).bias().length; i++) {
                    assertThat(eb.get(k).bias()[i]).as(where + " bias")
                            .isCloseTo(ea.get(k).bias()[i], org.assertj.core.data.Offset.offset(1e-10 * Math.abs(start)));
                    assertThat(eb.get(k).stabilizer()[i]).as(where + " stabilizer")
                            .isCloseTo(ea.get(k).stabilizer()[i], org.assertj.core.data.Offset.offset(1e-10 * Math.abs(start)));
                    assertThat(eb.get(k).out()[i]).as(where + " out")
                            .isCloseTo(ea.get(k).out()[i], org.assertj.core.data.Offset.offset(1e-10 * Math.abs(start)));
                }
            }
        }
    }

    /** A rule run through a context and a layer that implement the abstract methods only. */
    private record ThroughDefaults(LinearRule rule) implements LinearRule {
        @Override
        public String name() {
            return rule.name();
        }

        @Override
        public void checkInput(LinearLayer layer, INDArray input) {
            rule.checkInput(layer, input);
        }

        @Override
        public INDArray propagate(RuleContext ctx) {
            LinearLayer basic = new BasicLayer(ctx.layer());
            return rule.propagate(new RuleContext() {
                @Override
                public LinearLayer layer() {
                    return basic;
                }

                @Override
                public INDArray input() {
                    return ctx.input();
                }

                @Override
                public INDArray output() {
                    return ctx.output();
                }

                @Override
                public INDArray relevance() {
                    return ctx.relevance();
                }

                @Override
                public INDArray bias() {
                    return ctx.bias();
                }

                @Override
                public double stabilizer() {
                    return ctx.stabilizer();
                }

                @Override
                public INDArray divide(INDArray relevance, INDArray numeratorSum, INDArray biasTerm) {
                    return ctx.divide(relevance, numeratorSum, biasTerm);
                }

                @Override
                public INDArray divide(INDArray relevance, INDArray numeratorSum, INDArray biasTerm, double epsilon) {
                    return ctx.divide(relevance, numeratorSum, biasTerm, epsilon);
                }
            });
        }
    }

    /** The engine's layer seen through its abstract methods only. */
    private record BasicLayer(LinearLayer l) implements LinearLayer {
        @Override
        public String name() {
            return l.name();
        }

        @Override
        public String kind() {
            return l.kind();
        }

        @Override
        public Shape inputShape() {
            return l.inputShape();
        }

        @Override
        public Shape outputShape() {
            return l.outputShape();
        }

        @Override
        public INDArray weight() {
            return l.weight();
        }

        @Override
        public INDArray bias() {
            return l.bias();
        }

        @Override
        public boolean hasBias() {
            return l.hasBias();
        }

        @Override
        public INDArray derivedWeight(String key, UnaryOperator<INDArray> derive) {
            return l.derivedWeight(key, derive);
        }

        @Override
        public INDArray forward(INDArray x, INDArray w) {
            return l.forward(x, w);
        }

        @Override
        public INDArray transpose(INDArray s, INDArray w) {
            return l.transpose(s, w);
        }

        @Override
        public INDArray addBias(INDArray z, INDArray b) {
            return l.addBias(z, b);
        }
    }
}
