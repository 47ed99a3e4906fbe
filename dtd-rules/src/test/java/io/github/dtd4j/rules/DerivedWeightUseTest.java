package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A rule asks for the derived weights its formula uses for the input at hand and no others: each one is a copy of the
 * layer's weight kept for the explainer's life (for ViT-B/16's dense layers, 340 MB each). γ on an input of both
 * signs works with W and |W| (docs/conventions.md), so it makes neither W + γW⁺ nor W + γW⁻; on a ReLU's output it
 * makes those two and not |W|. α = 1, β = 0 on a ReLU's output uses W⁺ alone.
 */
class DerivedWeightUseTest {
    private static Graph network() {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(3);
        // fc1 sees the signed input, fc2 fc1's signed output, fc3 a ReLU's output
        return Graph.builder(Shape.of(6))
                .add("fc1", Dense.of(Nd4j.randn(rng, 6, 5).castTo(DataType.DOUBLE), Nd4j.randn(rng, 5)
                        .castTo(DataType.DOUBLE)), "input")
                .add("fc2", Dense.of(Nd4j.randn(rng, 5, 5).castTo(DataType.DOUBLE), Nd4j.randn(rng, 5)
                        .castTo(DataType.DOUBLE)), "fc1")
                .add("relu", new Relu(), "fc2")
                .add("fc3", Dense.of(Nd4j.randn(rng, 5, 3).castTo(DataType.DOUBLE), Nd4j.randn(rng, 3)
                        .castTo(DataType.DOUBLE)), "relu")
                .build();
    }

    /** {@return the keys of the derived weights the rule asked for, by layer, over one explanation} */
    private static Map<String, Set<String>> keysAskedFor(LinearRule rule) {
        Map<String, Set<String>> asked = new TreeMap<>();
        LinearRule recording = new LinearRule() {
            @Override
            public String name() {
                return rule.name();
            }

            @Override
            public INDArray propagate(RuleContext ctx) {
                Set<String> keys = asked.computeIfAbsent(ctx.layer().name(), k -> new TreeSet<>());
                LinearLayer layer = delegate(LinearLayer.class, ctx.layer(), (m, a) -> {
                    if (m.getName().equals("derivedWeight")) {
                        keys.add((String) a[0]);
                    }
                });
                return rule.propagate(delegate(RuleContext.class, ctx, (m, a) -> { }, layer));
            }
        };
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(5), 4, 6).castTo(DataType.DOUBLE)
                .muli(2).subi(1);
        try (Explanation e = Explainer.of(network()).precision(Precision.FLOAT64).rule(recording).explain(x)) {
            assertThat(e.inputRelevance().sumNumber().doubleValue()).isFinite();
        }
        return asked;
    }

    @SuppressWarnings("unchecked")
    private static <T> T delegate(Class<T> type, T target, java.util.function.BiConsumer<Method, Object[]> seen,
                                  Object... layer) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (p, m, a) -> {
            seen.accept(m, a);
            if (layer.length == 1 && m.getName().equals("layer") && m.getParameterCount() == 0) {
                return layer[0];
            }
            try {
                return m.invoke(target, a);
            } catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
        });
    }

    @Test
    void gammaMakesTheCopiesOfItsBranchOnly() {
        Map<String, Set<String>> asked = keysAskedFor(Rules.gamma(0.25));
        assertThat(asked.get("fc1")).containsExactly("|W|");
        assertThat(asked.get("fc2")).containsExactly("|W|");
        assertThat(asked.get("fc3")).containsExactlyInAnyOrder("W+gW+0.25", "W+gW-0.25");
    }

    @Test
    void alphaOneBetaZeroOnAReluOutputUsesThePositiveWeightsAlone() {
        Map<String, Set<String>> asked = keysAskedFor(Rules.ALPHA1_BETA0);
        assertThat(asked.get("fc3")).containsExactly("W+");
        assertThat(asked.get("fc1")).containsExactlyInAnyOrder("W+", "W-");
        assertThat(keysAskedFor(Rules.ALPHA2_BETA1).get("fc3")).containsExactlyInAnyOrder("W+", "W-");
    }
}
