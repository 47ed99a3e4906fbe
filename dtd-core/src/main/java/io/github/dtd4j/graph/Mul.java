package io.github.dtd4j.graph;

import io.github.dtd4j.errors.InvalidGraphException;
import java.util.List;

/**
 * The element-wise product {@code y = a·b} (or quotient {@code y = a / b}) of two activations, with broadcasting:
 * per-sample shapes of equal rank whose dimensions are equal or 1 ({@code [C,H,W]·[C,1,1]}). A squeeze-and-excitation
 * block multiplies a feature map by a gate {@code [C,1,1]}; SiLU is often exported as {@code x·σ(x)}; a decomposed
 * normalisation divides by a standard deviation.
 *
 * <p>When one input is a <em>gate</em>, the default rule gives the whole relevance to the other input, the gated
 * signal, and treats the gate as a constant (its branch receives none; docs/conventions.md#products). Without a gate,
 * the default is the uniform rule of AttnLRP, each factor receiving half.
 *
 * @param gate   which input is the gate: 0, 1, or −1 when neither is
 * @param divide {@code y = a / b} instead of {@code a·b}; then only input 1 can be the gate
 */
public record Mul(int gate, boolean divide) implements Layer {
    /** Validates the gate index. */
    public Mul {
        if (gate < -1 || gate > 1) {
            throw new InvalidGraphException("Mul gate must be 0, 1 or -1 (none), got " + gate);
        }
        if (divide && gate == 0) {
            throw new InvalidGraphException("Div: only the divisor (input 1) can be the gate");
        }
    }

    /** {@return a product of two signals, no gate} */
    public static Mul product() {
        return new Mul(-1, false);
    }

    /** {@return a product whose input {@code gate} is a gate} @param gate 0 or 1 */
    public static Mul gated(int gate) {
        return new Mul(gate, false);
    }

    /** {@return the quotient {@code a / b} by a gate {@code b}} */
    public static Mul divideByGate() {
        return new Mul(1, true);
    }

    /** {@return the index of the gated signal, or −1 when there is no gate} */
    public int signal() {
        return gate < 0 ? -1 : 1 - gate;
    }

    @Override
    public String kind() {
        return divide ? "Div" : "Mul";
    }

    @Override
    public int arity() {
        return 2;
    }

    @Override
    public Shape outputShape(String node, List<Shape> inputs) {
        Shape a = inputs.get(0);
        Shape b = inputs.get(1);
        if (a.rank() != b.rank()) {
            throw Layer.invalid(node, this, "inputs " + a.toBatchString() + " and " + b.toBatchString()
                    + " differ in rank");
        }
        long[] out = new long[a.rank()];
        for (int d = 0; d < out.length; d++) {
            if (a.dim(d) != b.dim(d) && a.dim(d) != 1 && b.dim(d) != 1) {
                throw Layer.invalid(node, this, "inputs " + a.toBatchString() + " and " + b.toBatchString()
                        + " do not broadcast (axis " + (d + 1) + ")");
            }
            out[d] = Math.max(a.dim(d), b.dim(d));
        }
        return Shape.of(out);
    }
}
