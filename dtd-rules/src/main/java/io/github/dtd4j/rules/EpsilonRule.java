package io.github.dtd4j.rules;

import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.util.Optional;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.RuleContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LRP-ε: {@code R_i = Σ_j x_i w_ij / (z_j + ε·sign(z_j)) · R_j} with {@code z_j = Σ_i x_i w_ij + b_j}. With ε = 0
 * (the explainer's tiny stabilizer still applies) it is LRP-0, which on a ReLU network without biases equals
 * gradient × input. Use it for the dense layers at the top of a network; a larger ε (0.25) absorbs weak, noisy
 * contributions. Not conservative: the bias and ε absorb relevance (the ledger shows how much).
 *
 * <p>Cost: only the transposed pass; z is the forward pass's own output.
 *
 * @param epsilon the additive term ε ≥ 0
 */
public record EpsilonRule(double epsilon) implements LinearRule {
    /** Validates ε. */
    public EpsilonRule {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new ConfigurationException("EpsilonRule: epsilon must be finite and >= 0, got " + epsilon);
        }
    }

    @Override
    public String name() {
        return epsilon == 0 ? "lrp0" : "epsilon(" + epsilon + ")";
    }

    /** {@return true: a position's relevance depends on that position alone} */
    @Override
    public boolean positionwise() {
        return true;
    }

    @Override
    public INDArray propagate(RuleContext ctx) {
        LinearLayer l = ctx.layer();
        // Σ_i x_i w_ij = z_j − b_j: the recorded output, no second forward
        INDArray zq = l.hasBias() ? ctx.output().sub(l.addBias(ctx.output().mul(0), l.bias())) : ctx.output();
        double eps = epsilon == 0 ? ctx.stabilizer() : epsilon;
        INDArray s = ctx.divide(ctx.relevance(), zq, ctx.bias(), eps);
        return l.transpose(s, l.weight()).muli(ctx.input());
    }

    @Override
    public Optional<Symbol> compile(SymbolicRuleContext ctx) {
        LinearLayer l = ctx.layer().layer();
        Symbol zq = l.hasBias() ? ctx.ops().sub(ctx.output(), ctx.layer().perOutput(l.bias())) : ctx.output();
        double eps = epsilon == 0 ? ctx.stabilizer() : epsilon;
        Symbol s = ctx.divide(ctx.relevance(), zq, ctx.layer().perOutput(ctx.bias()), eps);
        return Optional.of(ctx.ops().mul(ctx.layer().transpose(s, l.weight()), ctx.input()));
    }
}
