package io.github.dtd4j;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.internal.Engine;
import io.github.dtd4j.internal.Plan;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Explains a model's decisions by Deep Taylor Decomposition / Layer-wise Relevance Propagation.
 *
 * <pre>{@code
 * Explanation e = Explainer.of(graph)
 *     .rule(Rules.Z_PLUS)                            // every Dense and Conv2d ...
 *     .rule(Selector.first(), Rules.zBox(-0.5, 1.5)) // ... but the first one
 *     .explain(x);                                   // top class of each batch element
 * INDArray heatmap = e.heatmap();
 * }</pre>
 *
 * <p>An explainer is immutable and thread-safe: every {@code with}-style method ({@link #rule}, {@link #dtype},
 * ...) returns a new explainer, and one explainer may serve {@link #explain} calls from many threads. It is
 * strict: before anything runs, every Dense/Conv2d must have a rule, or one {@link ConfigurationException} lists
 * every layer without one. The first {@code explain} (or {@link #coverage()}) compiles the settings once: weights
 * cast to the dtype, BatchNorm folded, rules chosen, derived weights cached.
 */
public final class Explainer {
    private final Graph graph;
    private final Plan.Settings settings;
    private volatile Plan plan;

    private Explainer(Graph graph, Plan.Settings settings) {
        this.graph = graph;
        this.settings = settings;
    }

    /**
     * {@return an explainer for a graph, with no rules yet, float32, RULES-SPEC defaults}
     *
     * @param graph the model; never modified
     */
    public static Explainer of(Graph graph) {
        if (graph == null) {
            throw new ConfigurationException("Explainer.of: the graph is null");
        }
        return new Explainer(graph, new Plan.Settings(List.of(), BiasPolicy.RULE_DEFAULT, 1e-6,
                MaxPoolMode.WINNER_TAKES_ALL, SumSplit.SIGNED, BatchNormMode.FOLD, BatchNormMode.BYPASS, DataType.FLOAT, false));
    }

    private static <T> T require(T value) {
        if (value == null) {
            throw new ConfigurationException("Explainer: a setting was null");
        }
        return value;
    }

    private Explainer with(Plan.Settings s) {
        return new Explainer(graph, s);
    }

    private Explainer withAssignments(List<Preset.Assignment> more) {
        List<Preset.Assignment> all = new ArrayList<>(settings.assignments());
        all.addAll(more);
        Plan.Settings s = settings;
        return with(new Plan.Settings(all, s.biasPolicy(), s.stabilizer(), s.maxPool(), s.sumSplit(), s.batchNorm(),
                s.batchNormFallback(), s.dtype(), s.recordLayers()));
    }

    /** {@return a copy that applies {@code rule} to every rule-taking layer not matched more specifically} */
    public Explainer rule(Rule rule) {
        return rule(Selector.all(), rule);
    }

    /**
     * {@return a copy that applies {@code rule} to the layers {@code selector} picks}; the most specific selector
     * wins (name, then first, then type, then all), and among equals the one added last
     *
     * @param selector which layers
     * @param rule     which rule
     */
    public Explainer rule(Selector selector, Rule rule) {
        require(selector);
        require(rule);
        return withAssignments(List.of(Preset.Assignment.of(selector, rule)));
    }

    /** {@return a copy with a preset's assignments added} @param preset e.g. {@code Presets.dtd(...)} */
    public Explainer preset(Preset preset) {
        require(preset);
        return withAssignments(preset.assignments());
    }

    /** {@return a copy with another bias policy} @param policy RULE_DEFAULT or IGNORE */
    public Explainer biasPolicy(BiasPolicy policy) {
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), require(policy), s.stabilizer(), s.maxPool(),
                s.sumSplit(), s.batchNorm(), s.batchNormFallback(), s.dtype(), s.recordLayers()));
    }

    /** {@return a copy with another stabilizer ε (default 1e-6)} @param epsilon finite, ≥ 0 */
    public Explainer stabilizer(double epsilon) {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new ConfigurationException("stabilizer must be finite and >= 0, got " + epsilon);
        }
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), epsilon, s.maxPool(), s.sumSplit(), s.batchNorm(),
                s.batchNormFallback(), s.dtype(), s.recordLayers()));
    }

    /** {@return a copy with another max-pooling treatment} @param mode winner-take-all (default) or proportional */
    public Explainer maxPool(MaxPoolMode mode) {
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), s.stabilizer(), require(mode),
                s.sumSplit(), s.batchNorm(), s.batchNormFallback(), s.dtype(), s.recordLayers()));
    }

    /**
     * {@return a copy with another split at sums}: residual Add, sum/average pooling, proportional max-pooling
     *
     * @param split SIGNED (RULES-SPEC default) or POSITIVE (z⁺ on the sum: relevance stays positive, and with
     *              biases ignored the pixels receive the whole logit in residual and dense-block networks too)
     */
    public Explainer sumSplit(SumSplit split) {
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), s.stabilizer(), s.maxPool(), require(split),
                s.batchNorm(), s.batchNormFallback(), s.dtype(), s.recordLayers()));
    }

    /**
     * {@return a copy with another BatchNorm treatment}; with {@link BatchNormMode#FOLD}, BatchNorms that cannot be
     * folded are bypassed (see {@link #batchNorm(BatchNormMode, BatchNormMode)})
     *
     * @param mode FOLD (default), BYPASS or AFFINE
     */
    public Explainer batchNorm(BatchNormMode mode) {
        return batchNorm(mode, settings.batchNormFallback());
    }

    /**
     * {@return a copy with another BatchNorm treatment and the treatment of BatchNorms that cannot be folded}
     *
     * @param mode     FOLD, BYPASS or AFFINE
     * @param fallback BYPASS or AFFINE, for BatchNorms FOLD cannot fold
     */
    public Explainer batchNorm(BatchNormMode mode, BatchNormMode fallback) {
        if (fallback == BatchNormMode.FOLD) {
            throw new ConfigurationException("the fallback for BatchNorms that cannot be folded must be BYPASS or AFFINE");
        }
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), s.stabilizer(), s.maxPool(),
                s.sumSplit(), require(mode), require(fallback), s.dtype(), s.recordLayers()));
    }

    /** {@return a copy computing in another dtype} @param dtype FLOAT (default) or DOUBLE */
    public Explainer dtype(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new ConfigurationException("dtype must be FLOAT or DOUBLE, got " + dtype);
        }
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), s.stabilizer(), s.maxPool(), s.sumSplit(), s.batchNorm(),
                s.batchNormFallback(), dtype, s.recordLayers()));
    }

    /** {@return a copy that keeps the relevance at every node's output in each explanation} @param record on/off */
    public Explainer recordLayers(boolean record) {
        Plan.Settings s = settings;
        return with(new Plan.Settings(s.assignments(), s.biasPolicy(), s.stabilizer(), s.maxPool(), s.sumSplit(), s.batchNorm(),
                s.batchNormFallback(), s.dtype(), record));
    }

    /** {@return the assignments so far, in order} */
    public List<Preset.Assignment> assignments() {
        return settings.assignments();
    }

    /** {@return the dtype explanations are computed in} */
    public DataType dtype() {
        return settings.dtype();
    }

    /** {@return the model as given} */
    public Graph model() {
        return graph;
    }

    /**
     * {@return the graph explanations run on: the model cast to the dtype, BatchNorm folded if so configured}
     *
     * @throws ConfigurationException if the settings do not fit the model
     */
    public Graph graph() {
        return plan().graph();
    }

    /**
     * {@return which propagation each node gets}
     *
     * @throws ConfigurationException listing every layer without a rule
     */
    public Coverage coverage() {
        return plan().coverage();
    }

    private Plan plan() {
        Plan p = plan;
        if (p == null) {
            synchronized (this) {
                p = plan;
                if (p == null) {
                    p = Plan.compile(graph, settings);
                    plan = p;
                }
            }
        }
        return p;
    }

    /**
     * Explains the top-scoring class of each batch element.
     *
     * @param x {@code [N, ...inputShape]}, finite; never modified
     * @return the explanation
     * @throws InvalidInputException  for a wrong shape, NaN/Inf, or values outside a rule's domain
     * @throws ConfigurationException for missing rules or rules that do not fit
     */
    public Explanation explain(INDArray x) {
        return toExplanation(Engine.explain(plan(), x, null));
    }

    /**
     * Explains one class for every batch element.
     *
     * @param x      {@code [N, ...inputShape]}
     * @param target class index
     * @return the explanation
     */
    public Explanation explain(INDArray x, int target) {
        return toExplanation(Engine.explain(plan(), x, new int[]{target}));
    }

    /**
     * Explains one class per batch element.
     *
     * @param x       {@code [N, ...inputShape]}
     * @param targets one class index per batch element
     * @return the explanation
     */
    public Explanation explain(INDArray x, int[] targets) {
        if (targets == null) {
            throw new InvalidInputException("targets: null (use explain(x) for the top class of each element)");
        }
        if (targets.length == 1 && x != null && x.rank() > 0 && x.size(0) != 1) {
            throw new InvalidInputException("targets: 1 class given for a batch of " + x.size(0)
                    + " (use explain(x, int) for one class for all)");
        }
        return toExplanation(Engine.explain(plan(), x, targets));
    }

    /**
     * {@return the model's output for {@code x}, {@code [N,K]}, computed as {@link #explain} computes it (same
     * graph, dtype and input checks) but without propagating relevance}
     *
     * @param x {@code [N, ...inputShape]}, finite; never modified
     */
    public INDArray forward(INDArray x) {
        return Engine.forward(plan(), x);
    }

    private static Explanation toExplanation(Engine.Result r) {
        return new Explanation(r.inputRelevance(), r.logits(), r.targets(), r.ledger(), r.layers());
    }

    @Override
    public String toString() {
        return "Explainer[" + settings + "]";
    }
}
