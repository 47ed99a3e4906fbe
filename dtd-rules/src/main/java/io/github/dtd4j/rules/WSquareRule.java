package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The w²-rule (paper §4.1) for unconstrained inputs: {@code R_i = Σ_j w_ij² / Σ_i' w_i'j² · R_j}, independent of
 * the input; for convolutions only taps inside the image count. No bias. Conservative and positive everywhere.
 * Use it for the first layer when inputs are not bounded.
 */
public record WSquareRule() implements LinearRule {
    @Override
    public String name() {
        return "w^2";
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
        INDArray w2 = DerivedWeights.squared(l);
        INDArray ones = io.github.dtd4j.spi.Tensors.onesLike(ctx.input());
        // a ones image through the convolution counts exactly the taps that fall inside the image
        INDArray s = ctx.divideNonNegative(ctx.relevance(), l.forward(ones, w2), null);
        return l.transpose(s, w2);
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        INDArray w2 = DerivedWeights.squared(l);
        Symbol ones = ctx.ops().add(ctx.ops().mul(ctx.input(), 0), ctx.ops().scalar(1));
        Symbol s = ctx.divideNonNegative(ctx.relevance(), ctx.layer().forward(ones, w2), null);
        return Optional.of(ctx.layer().transpose(s, w2));
    }
}
