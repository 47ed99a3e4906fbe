package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The flat rule: each output's relevance is spread evenly over its receptive field,
 * {@code R_i = Σ_j 1 / fan-in_j · R_j} (taps inside the image only). No bias. Conservative; ignores both the input
 * and the weights, so it is used for the first layer when only the receptive field should matter.
 */
public record FlatRule() implements LinearRule {
    @Override
    public String name() {
        return "flat";
    }

    /** {@return true: a position's relevance depends on that position alone} */
    @Override
    public boolean positionwise() {
        return true;
    }

    /** {@return false: the denominators come from the input, never from the recorded output} */
    @Override
    public boolean usesOutput() {
        return false;
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer l = ctx.layer();
        INDArray w1 = DerivedWeights.ones(l);
        INDArray ones = io.github.dtd4j.spi.Tensors.onesLike(ctx.input());
        INDArray s = ctx.divideNonNegative(ctx.relevance(), l.forward(ones, w1), null);
        return l.transpose(s, w1);
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        INDArray w1 = DerivedWeights.ones(l);
        Symbol ones = ctx.ops().add(ctx.ops().mul(ctx.input(), 0), ctx.ops().scalar(1));
        Symbol s = ctx.divideNonNegative(ctx.relevance(), ctx.layer().forward(ones, w1), null);
        return Optional.of(ctx.layer().transpose(s, w1));
    }
}
