package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Preset;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.spi.Tensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A rule composite of one's own: γ on the lower convolutions, α1β0 on one layer picked by name, ε on the dense
 * layer, flat on the first layer — and a custom rule written against the SPI (the "|w|-rule": relevance in
 * proportion to |w_ij|, a cousin of the paper's w²-rule).
 */
public final class CustomCompositeExample {
    private CustomCompositeExample() {
    }

    /** R_i = Σ_j |w_ij| / Σ_i' |w_i'j| · R_j (taps inside the image only). */
    record AbsWeightRule() implements LinearRule {
        @Override
        public String name() {
            return "|w|";
        }

        @Override
        public INDArray propagate(RuleContext ctx) {
            LinearLayer l = ctx.layer();
            INDArray abs = l.derivedWeight("|W|", w -> org.nd4j.linalg.ops.transforms.Transforms.abs(w, true));
            INDArray s = ctx.divide(ctx.relevance(), l.forward(Tensors.onesLike(ctx.input()), abs), null);
            return l.transpose(s, abs);
        }
    }

    /** @param args ignored */
    public static void main(String[] args) {
        Nd4j.getRandom().setSeed(1);
        Graph net = Graph.sequential(Shape.of(1, 12, 12))
                .conv("conv1", Conv2d.of(Nd4j.randn(DataType.FLOAT, 4, 1, 3, 3), null).withPadding(1)).relu()
                .conv("conv2", Conv2d.of(Nd4j.randn(DataType.FLOAT, 8, 4, 3, 3).muli(0.3), null).withPadding(1)).relu()
                .maxPool(2, 2)
                .conv("conv3", Conv2d.of(Nd4j.randn(DataType.FLOAT, 8, 8, 3, 3).muli(0.3), null).withPadding(1)).relu()
                .flatten()
                .dense("fc", Nd4j.randn(DataType.FLOAT, 8 * 36, 3).muli(0.1), null)
                .build();
        Preset mine = Preset.of("mine",
                Preset.Assignment.of(Selector.conv(), Rules.gamma(0.25)),
                Preset.Assignment.of(Selector.name("conv3"), Rules.ALPHA1_BETA0),
                Preset.Assignment.of(Selector.dense(), Rules.epsilon(0.25)),
                Preset.Assignment.of(Selector.first(), new AbsWeightRule()));
        Explainer ex = Explainer.of(net).preset(mine);
        System.out.println(mine.assignments());
        System.out.println(ex.coverage());
        try (Explanation e = ex.explain(Nd4j.rand(DataType.FLOAT, 1, 1, 12, 12))) {
            System.out.println(e.ledger());
        }
    }
}
