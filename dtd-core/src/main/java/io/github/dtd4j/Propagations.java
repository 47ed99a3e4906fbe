package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.CustomLayer;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.internal.Ops;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.NodeInfo;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The propagations of the nodes that have no weights, as rules: what every such node gets by default, and what a
 * selector can give any node instead. The defaults (docs/conventions.md#other-layers):
 *
 * <table>
 * <caption>Default propagation by node kind</caption>
 * <tr><th>kind</th><th>default</th></tr>
 * <tr><td>Relu, Dropout, Identity, Flatten, Reshape</td><td>{@link #pass()}</td></tr>
 * <tr><td>BatchNorm (not folded), LocalResponseNorm, LayerNorm</td><td>{@link #bypass()}</td></tr>
 * <tr><td>ConstantMul (a layer scale)</td><td>{@link #pass()}</td></tr>
 * <tr><td>Add, SumPool, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool, Resize</td><td>{@link #proportional()}, or
 * {@link #proportionalPositive()} with {@code sumSplit(POSITIVE)}</td></tr>
 * <tr><td>MaxPool2d</td><td>{@link #winnerTakesAll()}, or {@link #maxPoolAsSum()} with
 * {@code maxPool(PROPORTIONAL)}</td></tr>
 * <tr><td>Concat</td><td>{@link #exactSplit()}</td></tr>
 * <tr><td>Activation (ReLU6, sigmoid, GELU, ...)</td><td>{@link #pass()}</td></tr>
 * <tr><td>Permute, Slice</td><td>{@link #route()}</td></tr>
 * <tr><td>Mul/Div with a gate</td><td>{@link #gate()}; without one {@link #uniform()}</td></tr>
 * <tr><td>MatMul (two activations: attention)</td><td>{@link #uniform()}</td></tr>
 * <tr><td>Softmax (inside the network)</td><td>{@link #softmax()}</td></tr>
 * <tr><td>ConstantAdd, ConstantConcat</td><td>{@link #constant()}</td></tr>
 * </table>
 *
 * <pre>{@code
 * Explainer.of(graph).rule(Rules.Z_PLUS)
 *     .rule(Selector.kind(Add.class), Propagations.proportionalPositive())   // z⁺ at residual sums only
 *     .rule(Selector.name("features.4"), Propagations.maxPoolAsSum());       // one max-pool as a sum-pool
 * }</pre>
 */
public final class Propagations {
    private Propagations() {
    }

    private static final Rule PASS = new Pass("pass-through");
    private static final Rule BYPASS = new Pass("bypass");
    private static final Rule PROPORTIONAL = new Proportional(false);
    private static final Rule PROPORTIONAL_POSITIVE = new Proportional(true);
    private static final Rule WINNER = new WinnerTakesAll();
    private static final Rule MAX_AS_SUM = new MaxAsSum(false);
    private static final Rule MAX_AS_SUM_POSITIVE = new MaxAsSum(true);
    private static final Rule SPLIT = new Routing("split (exact)", true);
    private static final Rule GRADIENT = new Gradient();
    private static final Rule ROUTE = new Routing("routing (exact)", false);
    private static final Rule GATE = new Product(true);
    private static final Rule UNIFORM = new Product(false);
    private static final Rule SOFTMAX = new SoftmaxTaylor();
    private static final Rule CONSTANT = new ConstantTerm(false);
    private static final Rule CONSTANT_IGNORED = new ConstantTerm(true);

    /**
     * {@return relevance passes unchanged (reshaped to the input's shape)}: ReLU, Dropout, Identity, Flatten,
     * Reshape, and any single-input node whose input has as many elements as its output. Conservative.
     */
    public static Rule pass() {
        return PASS;
    }

    /** {@return as {@link #pass()}, named "bypass": for a normalisation treated as the identity} */
    public static Rule bypass() {
        return BYPASS;
    }

    /**
     * {@return the signed proportional split of a sum or average: {@code R_i = x_i · Σ_j a_ji R_j / (y_j + ε·sign(y_j))}
     * with {@code y = A x}} (Zennit's {@code Norm}); at a residual Add {@code R_k = x_k / (Σ x + ε·sign) · R}
     */
    public static Rule proportional() {
        return PROPORTIONAL;
    }

    /**
     * {@return z⁺ on the unit weights of a sum or average: as {@link #proportional()} with {@code x⁺} and
     * {@code y⁺ = A x⁺} in place of x and y}; relevance stays positive (docs/conventions.md#sums-and-average-pooling)
     */
    public static Rule proportionalPositive() {
        return PROPORTIONAL_POSITIVE;
    }

    /** {@return max-pooling gives each window's relevance to the window's first maximum (the forward's choice)} */
    public static Rule winnerTakesAll() {
        return WINNER;
    }

    /** {@return max-pooling explained as a sum-pooling over the same windows, signed proportional split} */
    public static Rule maxPoolAsSum() {
        return MAX_AS_SUM;
    }

    /** {@return max-pooling explained as a sum-pooling over the same windows, positive parts} */
    public static Rule maxPoolAsSumPositive() {
        return MAX_AS_SUM_POSITIVE;
    }

    /** {@return Concat: each input gets exactly its slice of the relevance} */
    public static Rule exactSplit() {
        return SPLIT;
    }

    /**
     * {@return the relevance follows the node's vector-Jacobian product: {@code R_in = Jᵀ R}}; for routing nodes
     * (reshapes, concatenation, max-pooling) this is exact routing, for a linear map its transpose
     */
    public static Rule gradient() {
        return GRADIENT;
    }

    /**
     * {@return exact routing: each input element gets the relevance of the output elements it was copied to}
     * (Permute, Slice: {@code R_in = Jᵀ R} for a 0/1 Jacobian); conservative to the last bit, except that a
     * slice's input elements that were not taken get none
     */
    public static Rule route() {
        return ROUTE;
    }

    /**
     * {@return a gated product {@code y = x·g} (or {@code x / g}) gives all its relevance to the gated signal
     * {@code x} and none to the gate {@code g}}, which it treats as a constant: a diagonal linear map of x, whose
     * z-rules all give {@code R_x = R} (docs/conventions.md#products). Where x was broadcast, its relevance is the sum
     * over the broadcast axes.
     */
    public static Rule gate() {
        return GATE;
    }

    /**
     * {@return AttnLRP's uniform rule for a product of two activations: each factor gets half the relevance of
     * each output element ({@code R_a = R_b = R/2}, summed over the axes a factor was broadcast along)}
     * (Achtibat et al. 2024, the element-wise multiplication rule); for a gated product, the proportional
     * alternative to {@link #gate()}
     */
    public static Rule uniform() {
        return UNIFORM;
    }

    /**
     * {@return AttnLRP's softmax rule, a Taylor expansion at the input: {@code R_in,i = x_i·(R_i − s_i·Σ_j R_j)} over
     * the softmax axis} (Achtibat et al. 2024, Prop. 3.1); what it does not pass on, the expansion's zero-order
     * term, is booked as absorbed
     */
    public static Rule softmax() {
        return SOFTMAX;
    }

    /**
     * {@return a constant term takes its share: at {@code y = x + c} (ConstantAdd) {@code R_x = x·R/(y + ε·sign(y))},
     * at a ConstantConcat the input's part of the relevance routed back exactly}; the constant's share is booked as
     * absorbed, as a bias's is
     */
    public static Rule constant() {
        return CONSTANT;
    }

    /**
     * {@return {@link #constant()} under {@code BiasPolicy.IGNORE}: an added constant is left out of the denominator,
     * {@code R_x = x·R/(x + ε·sign(x))}, so that the input keeps the relevance (less the stabilizer's share)}; a
     * ConstantConcat's block, which has no input to give it to, still absorbs its part
     */
    public static Rule constantIgnored() {
        return CONSTANT_IGNORED;
    }

    /** {@return the default rule of a node kind that has no weights, or null for kinds that need an assignment} */
    static Rule defaultFor(Layer layer, SumSplit split, MaxPoolMode maxPool, BiasPolicy biasPolicy) {
        boolean positive = split == SumSplit.POSITIVE;
        if (layer instanceof Relu || layer instanceof Dropout || layer instanceof Identity || layer instanceof Flatten
                || layer instanceof Reshape) {
            return PASS;
        } else if (layer instanceof BatchNorm || layer instanceof LocalResponseNorm
                || layer instanceof io.github.dtd4j.graph.LayerNorm) {
            return BYPASS;
        } else if (layer instanceof io.github.dtd4j.graph.ConstantMul) {
            return PASS;
        } else if (Proportional.isSum(layer)) {
            return positive ? PROPORTIONAL_POSITIVE : PROPORTIONAL;
        } else if (layer instanceof MaxPool2d) {
            if (maxPool == MaxPoolMode.PROPORTIONAL) {
                return positive ? MAX_AS_SUM_POSITIVE : MAX_AS_SUM;
            }
            return WINNER;
        } else if (layer instanceof Concat) {
            return SPLIT;
        } else if (layer instanceof io.github.dtd4j.graph.Activation) {
            return PASS;
        } else if (layer instanceof io.github.dtd4j.graph.Permute || layer instanceof io.github.dtd4j.graph.Slice) {
            return ROUTE;
        } else if (layer instanceof io.github.dtd4j.graph.Mul m) {
            return m.gate() >= 0 ? GATE : UNIFORM;
        } else if (layer instanceof io.github.dtd4j.graph.MatMul) {
            return UNIFORM;
        } else if (layer instanceof io.github.dtd4j.graph.Softmax) {
            return SOFTMAX;
        } else if (layer instanceof io.github.dtd4j.graph.ConstantAdd
                || layer instanceof io.github.dtd4j.graph.ConstantConcat) {
            return biasPolicy == BiasPolicy.IGNORE ? CONSTANT_IGNORED : CONSTANT;
        }
        return null;
    }

    /** Relevance unchanged, reshaped where the node reshapes. */
    /** {@return whether the rule hands the relevance on unchanged, reading no input value (pass-through, bypass)} */
    static boolean passesThrough(Rule r) {
        return r instanceof Pass;
    }

    private record Pass(String name) implements Rule {
        @Override
        public boolean accepts(Layer layer) {
            return layer.arity() == 1 && !(layer instanceof io.github.dtd4j.graph.Dense)
                    && !(layer instanceof io.github.dtd4j.graph.Conv2d)
                    && !(layer instanceof io.github.dtd4j.graph.Permute);
        }

        @Override
        public void check(NodeInfo node) {
            if (node.inputShapes().get(0).size() != node.outputShape().size()) {
                throw new ConfigurationException("rule " + name + " on node '" + node.name() + "' (" + node.kind()
                        + "): the input " + node.inputShapes().get(0).toBatchString() + " and the output "
                        + node.outputShape().toBatchString() + " differ in size; relevance cannot pass unchanged");
            }
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            INDArray x = ctx.inputs().get(0);
            INDArray r = ctx.relevance();
            // relevance arrays are never written once made: hand it on (a reshaped view if the shape changes)
            return List.of(java.util.Arrays.equals(r.shape(), x.shape()) ? r : r.reshape('c', x.shape()));
        }
    }

    /**
     * R_i = x_i · (Aᵀ s)_i, s = R / stab(A x), for a linear map A with unit (or averaging) weights; with
     * {@code positive}, x⁺ and A x⁺ take the places of x and A x (z⁺ on the map's weights).
     */
    private record Proportional(boolean positive) implements Rule {
        static boolean isSum(Layer l) {
            return l instanceof Add || l instanceof SumPool || l instanceof AvgPool2d || l instanceof AdaptiveAvgPool2d
                    || l instanceof GlobalAvgPool || l instanceof io.github.dtd4j.graph.Resize;
        }

        @Override
        public String name() {
            return positive ? "proportional, positive parts" : "proportional";
        }

        @Override
        public boolean accepts(Layer layer) {
            return isSum(layer) || layer instanceof CustomLayer;
        }

        @Override
        public boolean usesOutput() {
            return !positive;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            List<INDArray> xs = ctx.inputs();
            INDArray y = ctx.output();
            if (positive) {
                List<INDArray> pos = new ArrayList<>(xs.size());
                for (INDArray x : xs) {
                    pos.add(Transforms.relu(x, true));
                }
                xs = pos;
                y = ctx.forward(xs);
            }
            if (!positive && ctx.layer() instanceof Add && ctx instanceof Context own) {
                // a residual sum: one loop over the arrays, the general path's bits (Accounts.splitSum)
                List<INDArray> split = own.splitSum(xs, y);
                if (split != null) {
                    return split;
                }
            }
            INDArray s = ctx.divide(ctx.relevance(), y);
            List<INDArray> c = ctx.vjp(xs, s);
            List<INDArray> out = new ArrayList<>(xs.size());
            for (int k = 0; k < xs.size(); k++) {
                out.add(c.get(k).muli(xs.get(k)));
            }
            return out;
        }
    }

    /** Max-pooling as sum-pooling over the same windows (paper §5.2), then the proportional split. */
    private record MaxAsSum(boolean positive) implements Rule {
        @Override
        public String name() {
            return positive ? "proportional (as sum), positive parts" : "proportional (as sum)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof MaxPool2d;
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            Ops.Window w = Ops.Window.of((MaxPool2d) ctx.layer());
            INDArray x = positive ? Transforms.relu(ctx.inputs().get(0), true) : ctx.inputs().get(0);
            INDArray s = ctx.divide(ctx.relevance(), Ops.sumPool(x, w));
            return List.of(Ops.sumPoolTranspose(x, s, w).muli(x));
        }
    }

    /** Each window's relevance to its winner. */
    private record WinnerTakesAll() implements Rule {
        @Override
        public String name() {
            return "winner-take-all";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof MaxPool2d;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return List.of(Ops.maxPoolWinner(ctx.inputs().get(0), ctx.relevance(), (MaxPool2d) ctx.layer()));
        }
    }

    /** Concat, Permute, Slice: R_in = Jᵀ R for a 0/1 Jacobian (slices of the relevance, or its elements moved). */
    private record Routing(String name, boolean concat) implements Rule {
        @Override
        public boolean accepts(Layer layer) {
            return concat ? layer instanceof Concat
                    : layer instanceof io.github.dtd4j.graph.Permute || layer instanceof io.github.dtd4j.graph.Slice;
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return ctx.vjp(ctx.relevance());
        }
    }

    /**
     * A product of two activations: each input gets a share of the relevance (summed where it was broadcast): with a
     * gate, 1 for the signal and 0 for the gate; without, AttnLRP's half each. For a matrix product, whose outputs
     * are sums of products, each product {@code a_il·b_lj} first takes its ε-share of {@code R_ij}
     * ({@code s = R/(2y + ε·sign(y))}, then {@code R_a = a ⊙ s·bᵀ}, {@code R_b = b ⊙ aᵀ·s}).
     */
    private record Product(boolean gated) implements Rule {
        @Override
        public String name() {
            return gated ? "gate (to the signal)" : "uniform (half each)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof io.github.dtd4j.graph.Mul m && (!gated || m.gate() >= 0)
                    || !gated && layer instanceof io.github.dtd4j.graph.MatMul;
        }

        @Override
        public void check(NodeInfo node) {
            if (!accepts(node.layer())) {
                throw new ConfigurationException("rule " + name() + " on node '" + node.name() + "' (" + node.kind()
                        + "): the node has no gate input");
            }
        }

        @Override
        public boolean usesOutput() {
            return !gated;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            if (ctx.layer() instanceof io.github.dtd4j.graph.MatMul) {
                INDArray s = ctx.divide(ctx.relevance(), ctx.output().mul(2.0));
                List<INDArray> c = ctx.vjp(s);
                return List.of(c.get(0).muli(ctx.inputs().get(0)), c.get(1).muli(ctx.inputs().get(1)));
            }
            int signal = ((io.github.dtd4j.graph.Mul) ctx.layer()).signal();
            List<INDArray> out = new ArrayList<>(2);
            for (int k = 0; k < 2; k++) {
                long[] shape = ctx.inputs().get(k).shape();
                double share = gated ? (k == signal ? 1 : 0) : 0.5;
                out.add(share == 0 ? org.nd4j.linalg.factory.Nd4j.zeros(ctx.relevance().dataType(), shape)
                        : io.github.dtd4j.internal.Elementwise.reduceTo(ctx.relevance().mul(share), shape));
            }
            return out;
        }
    }

    /** AttnLRP's softmax rule: R_in = x ⊙ (R − s ⊙ Σ R) over the last axis; the rest is booked as absorbed. */
    private record SoftmaxTaylor() implements Rule {
        @Override
        public String name() {
            return "softmax (Taylor at x)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof io.github.dtd4j.graph.Softmax;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            INDArray x = ctx.inputs().get(0);
            INDArray r = ctx.relevance();
            INDArray in = io.github.dtd4j.internal.Elementwise.softmaxTaylor(r, ctx.output()).muli(x);
            ctx.absorb(r.sub(in));
            return List.of(in);
        }
    }

    /**
     * A constant term's share: the proportional split at a ConstantAdd (the constant left out of the denominator when
     * {@code ignored}), the exact split at a ConstantConcat.
     */
    private record ConstantTerm(boolean ignored) implements Rule {
        @Override
        public String name() {
            return ignored ? "constant (ignored: bias policy)" : "constant (absorbs its share)";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof io.github.dtd4j.graph.ConstantAdd
                    || layer instanceof io.github.dtd4j.graph.ConstantConcat;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            INDArray x = ctx.inputs().get(0);
            INDArray r = ctx.relevance();
            if (ctx.layer() instanceof io.github.dtd4j.graph.ConstantConcat c) {
                ctx.absorb(io.github.dtd4j.internal.Elementwise.constantConcatPart(c, x.shape(), r));
                return ctx.vjp(r);
            }
            if (ignored) {
                return List.of(ctx.divide(r, x).muli(x));
            }
            io.github.dtd4j.graph.ConstantAdd a = (io.github.dtd4j.graph.ConstantAdd) ctx.layer();
            INDArray s = ctx.divide(r, ctx.output());
            ctx.absorb(io.github.dtd4j.internal.Elementwise.constantTerm(a, x).muli(s));
            return List.of(s.mul(x));
        }
    }

    /** R_in = Jᵀ R. */
    private record Gradient() implements Rule {
        @Override
        public String name() {
            return "gradient";
        }

        @Override
        public boolean accepts(Layer layer) {
            return true;
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            return ctx.vjp(ctx.relevance());
        }
    }
}
