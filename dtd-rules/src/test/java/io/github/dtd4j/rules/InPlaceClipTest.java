package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertSameValues;
import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The explanation's forward pass applies a clip (ReLU6) in place on its convolution's output where nothing reads that
 * output (the clip passes relevance through, the convolution's rule never looks at its output): the explanation is
 * the one without the shortcut bit for bit, the user's input is untouched, and a clip whose rule reads its input
 * sees the convolution's values, not the clipped ones.
 */
class InPlaceClipTest {
    private static Graph graph() {
        SplittableRandom rnd = new SplittableRandom(11);
        return Graph.builder(Shape.of(2, 6, 6))
                .add("conv1", Conv2d.of(gaussian(rnd, 1.5, 4, 2, 3, 3), gaussian(rnd, 0.5, 4)).withPadding(1), "input")
                .add("clip", new Activation(Activation.Function.CLIP, 0, 6), "conv1")
                .add("conv2", Conv2d.of(gaussian(rnd, 0.5, 3, 4, 3, 3), gaussian(rnd, 0.1, 3)), "clip")
                .add("relu", new io.github.dtd4j.graph.Relu(), "conv2")
                .add("gap", new GlobalAvgPool(), "relu")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(gaussian(rnd, 1.0, 3, 5), null), "flat")
                .build();
    }

    private static INDArray input() {
        return gaussian(new SplittableRandom(3), 3.0, 2, 2, 6, 6);
    }

    private static Explainer explainer(Graph g) {
        return Explainer.of(g).rule(Selector.conv(), Rules.Z_PLUS).rule(Selector.dense(), Rules.epsilon(1e-6));
    }

    @Test
    void theShortcutChangesNoBitAndNoInput() {
        Graph g = graph();
        INDArray x = input();
        INDArray copy = x.dup();
        Explanation fast = explainer(g).explain(x);
        Explanation plain = explainer(g).rule(Selector.name("clip"), new NodeSelectorTest.Tagged(
                "pass (not the engine's object)", Propagations.pass())).explain(x);
        assertSameValues("heatmap", fast.heatmap(), plain.heatmap());
        assertSameValues("logits", fast.logits(), plain.logits());
        assertSameValues("input", x, copy);
        assertThat(fast.heatmap().sumNumber().doubleValue()).isNotZero();
    }

    @Test
    void aClipWhoseRuleReadsItsInputSeesTheConvolutionsValues() {
        Graph g = graph();
        INDArray x = input();
        AtomicReference<double[]> seen = new AtomicReference<>();
        Rule pass = Propagations.pass();
        Rule reading = new Rule() {
            @Override
            public String name() {
                return "pass, reading the input";
            }

            @Override
            public boolean accepts(io.github.dtd4j.graph.Layer layer) {
                return pass.accepts(layer);
            }

            @Override
            public boolean usesOutput() {
                return false;
            }

            @Override
            public List<INDArray> propagate(NodeContext ctx) {
                seen.set(ctx.inputs().get(0).castTo(DataType.DOUBLE).data().asDouble());
                return pass.propagate(ctx);
            }
        };
        explainer(g).rule(Selector.name("clip"), reading).explain(x);
        double min = java.util.Arrays.stream(seen.get()).min().orElseThrow();
        double max = java.util.Arrays.stream(seen.get()).max().orElseThrow();
        // the convolution's output reaches below 0 and above 6 for this input; clipped values would not
        assertThat(min).isLessThan(0);
        assertThat(max).isGreaterThan(6);
    }
}
