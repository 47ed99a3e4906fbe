package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Rewrites;
import io.github.dtd4j.internal.Forward;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 * <p>Every node gets a rule through selectors ({@link #rule(Selector, Rule)}); linear layers must be given one,
 * every other kind has a default ({@link Propagations}). The precedence of selectors is in {@link Selector}.
 *
 * <p>An explainer is immutable and thread-safe: every setting method returns a new explainer, and one explainer
 * may serve {@link #explain} calls from many threads. It is strict: before anything runs, every Dense/Conv2d must
 * have a rule, or one {@link ConfigurationException} lists every node without one. The first {@code explain} (or
 * {@link #coverage()}, {@link #compile()}) compiles the settings once: it takes its own copy of the model's
 * weights in the precision, folds BatchNorm, chooses the rules; so changing the model's arrays afterwards changes
 * nothing in this explainer (a new explainer sees the change). A {@linkplain Graph#frozen() frozen} graph's arrays
 * are used without a copy instead. Explainers derived from a compiled one by settings
 * that leave the graph as it is (rules, stabilizer, bias policy, ...) share its copy; a new precision or BatchNorm
 * treatment takes a new copy. The copy's arrays ({@link #compiledGraph()}) must not be modified: ND4J has no
 * read-only arrays, so this is a contract, not a check.
 */
public final class Explainer implements AutoCloseable {
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    private final Graph graph;
    private final Settings settings;
    private final ExplanationEngine engine;
    private volatile Plan.Prepared prepared;
    private volatile Plan plan;
    /** The compiled graph's session, opened at the first explanation on ONNX Runtime. */
    private volatile Compiled compiled;

    private Explainer(Graph graph, Settings settings, Plan.Prepared prepared) {
        this(graph, settings, prepared, ExplanationEngine.ND4J);
    }

    private Explainer(Graph graph, Settings settings, Plan.Prepared prepared, ExplanationEngine engine) {
        this.graph = graph;
        this.settings = settings;
        this.prepared = prepared;
        this.engine = engine;
    }

    /** A compiled graph's session and what reads its ledger; closed by {@link #close()} or when unreachable. */
    private record Compiled(io.github.dtd4j.spi.CompiledRuntime.Session session, List<String[]> ledgerLayout,
                            java.lang.ref.Cleaner.Cleanable cleanable) {
    }

    /**
     * {@return an explainer for a graph, with no rules yet, float32, the defaults of docs/conventions.md}
     *
     * @param graph the model; never modified
     */
    public static Explainer of(Graph graph) {
        if (graph == null) {
            throw new ConfigurationException("Explainer.of: the graph is null");
        }
        return new Explainer(graph, Settings.DEFAULTS, null);
    }

    private static <T> T require(T value, String what) {
        if (value == null) {
            throw new ConfigurationException("Explainer: " + what + " is null");
        }
        return value;
    }

    private Explainer with(Settings s) {
        // the copied, rewritten graph is shared while the settings that shape it stay the same
        return new Explainer(graph, s, s.sameGraph(settings) ? prepared : null, engine);
    }

    /**
     * {@return a copy that computes its explanations with another engine}: {@link ExplanationEngine#ND4J} (the
     * default, the reference) or {@link ExplanationEngine#ONNX_RUNTIME} (the explainer compiled into one ONNX graph,
     * {@link #toOnnx()}, run by ONNX Runtime; needs {@code dtd-ort}) or {@link ExplanationEngine#AUTO} (ONNX Runtime
     * where it runs this explainer, else ND4J; {@link #engineChoice()} says which and why). The session is opened at
     * the first explanation, reused by every call and thread, and closed by {@link #close()} (or when the explainer
     * is unreachable).
     *
     * @param e the engine
     */
    public Explainer engine(ExplanationEngine e) {
        Explainer copy = new Explainer(graph, settings, prepared, require(e, "the engine"));
        copy.plan = plan;
        return copy;
    }

    /** {@return the engine that computes this explainer's explanations, as chosen ({@code AUTO} stays AUTO)} */
    public ExplanationEngine engine() {
        return engine;
    }

    /** For {@link ExplanationEngine#AUTO}: the engine it resolved to, and why; null until resolved. */
    private volatile String[] autoChoice;

    /**
     * {@return the engine that runs this explainer's explanations from the output: {@code ND4J} or
     * {@code ONNX_RUNTIME}} For {@link ExplanationEngine#AUTO}, decided at the first call (which compiles the
     * explainer and opens ONNX Runtime's session when it can) and kept: ONNX Runtime when {@code dtd-ort} is present,
     * the precision is float32, {@code recordLayers} is off and every node and rule compiles; else ND4J.
     */
    public ExplanationEngine engineInUse() {
        if (engine != ExplanationEngine.AUTO) {
            return engine;
        }
        return ExplanationEngine.valueOf(resolveAuto()[0]);
    }

    /**
     * {@return which engine runs this explainer and why, in one line}: for example {@code "onnxruntime"},
     * {@code "nd4j"}, or {@code "nd4j (auto: float64, which ONNX Runtime's CPU build does not convolve)"}
     */
    public String engineChoice() {
        ExplanationEngine e = engineInUse();
        String name = e == ExplanationEngine.ND4J ? "nd4j" : "onnxruntime";
        return engine == ExplanationEngine.AUTO ? name + " (auto: " + resolveAuto()[1] + ")" : name;
    }

    private String[] resolveAuto() {
        String[] c = autoChoice;
        if (c == null) {
            synchronized (this) {
                c = autoChoice;
                if (c == null) {
                    c = decideAuto();
                    autoChoice = c;
                }
            }
        }
        return c;
    }

    private String[] decideAuto() {
        String nd4j = ExplanationEngine.ND4J.name();
        if (settings.precision() != io.github.dtd4j.graph.Precision.FLOAT32) {
            return new String[]{nd4j, "float64, which ONNX Runtime's CPU build does not convolve"};
        }
        if (settings.recordLayers()) {
            return new String[]{nd4j, "recordLayers, which the compiled graph does not record"};
        }
        if (java.util.ServiceLoader.load(io.github.dtd4j.spi.CompiledRuntime.class).findFirst().isEmpty()) {
            return new String[]{nd4j, "dtd-ort is not on the class or module path"};
        }
        try {
            // compiled now (the weights stay outside the model), the session opened at the first explanation
            pendingModel = OnnxCompiler.compile(plan(), onnxMetadata(), WEIGHTS_FILE);
        } catch (io.github.dtd4j.errors.ConfigurationException e) {
            // what the compiler cannot write (listed in the message) runs on the reference engine
            return new String[]{nd4j, e.getMessage()};
        }
        return new String[]{ExplanationEngine.ONNX_RUNTIME.name(), "every node compiles, float32"};
    }

    /** The model AUTO compiled to decide, taken by the session when it opens. */
    private OnnxCompiler.Output pendingModel;
    private static final String WEIGHTS_FILE = "dtd4j-weights.data";

    /**
     * Closes the ONNX Runtime session of an explainer on {@link ExplanationEngine#ONNX_RUNTIME}, if one is open (a
     * later explanation opens a new one); nothing for the ND4J engine.
     */
    @Override
    public void close() {
        Compiled c;
        ForwardSession f;
        synchronized (this) {
            c = compiled;
            compiled = null;
            f = forwardSession;
            forwardSession = null;
        }
        if (c != null) {
            c.cleanable().clean();
        }
        if (f != null) {
            f.cleanable().clean();
        }
    }

    private Compiled compiled() {
        Compiled c = compiled;
        if (c == null) {
            synchronized (this) {
                c = compiled;
                if (c == null) {
                    if (plan().settings.recordLayers()) {
                        throw new ConfigurationException("the ONNX Runtime engine does not record the layers'"
                                + " relevances; use ExplanationEngine.ND4J with recordLayers(true)");
                    }
                    // the weights stay in ND4J's memory: the session takes them as external initializers
                    OnnxCompiler.Output model = pendingModel != null ? pendingModel
                            : OnnxCompiler.compile(plan(), onnxMetadata(), WEIGHTS_FILE);
                    pendingModel = null;
                    io.github.dtd4j.spi.CompiledRuntime runtime = runtime();
                    io.github.dtd4j.spi.CompiledRuntime.Session session = runtime.open(model.model(),
                            model.external(), settings.precision());
                    List<String[]> layout = new java.util.ArrayList<>();
                    for (String line : session.metadata().getOrDefault(OnnxCompiler.LEDGER_LAYOUT, "").split("\n")) {
                        if (!line.isEmpty()) {
                            layout.add(line.split("\t", -1));
                        }
                    }
                    java.lang.ref.Cleaner.Cleanable cleanable = CLEANER.register(this, session::close);
                    c = new Compiled(session, List.copyOf(layout), cleanable);
                    compiled = c;
                }
            }
        }
        return c;
    }

    /** An explanation on the compiled graph: the start as target codes, the ledger from its columns. */
    private Explanation explainCompiled(INDArray x, Start start) {
        if (start instanceof Start.Tensor t && t.node() != null) {
            throw new ConfigurationException("the ONNX Runtime engine starts at the output; a start at node '"
                    + t.node() + "' needs ExplanationEngine.ND4J");
        }
        Plan p = plan();
        long k = p.graph.outputShape().dim(0);
        long n = x == null || x.rank() == 0 ? 0 : x.size(0);
        int[] classes = null;
        long[] codes = new long[(int) n];
        INDArray startRows = null;
        if (start instanceof Start.TopClass) {
            java.util.Arrays.fill(codes, -1);
        } else if (start instanceof Start.Classes c) {
            classes = c.classes().length == 1 && n != 1 ? filled((int) n, c.classes()[0]) : c.classes();
        } else if (start instanceof Start.OneHot o) {
            if (o.classes() == null) {
                java.util.Arrays.fill(codes, -3);
            } else {
                classes = o.classes().length == 1 && n != 1 ? filled((int) n, o.classes()[0]) : o.classes();
            }
        }
        INDArray xc = checkInput(x, classes);
        if (start instanceof Start.Tensor t) {
            startRows = Engine.checkStart(p.graph, t, n, settings.precision());
            java.util.Arrays.fill(codes, -2);
        }
        if (classes != null) {
            for (int i = 0; i < n; i++) {
                codes[i] = start instanceof Start.OneHot ? -2 : classes[i];
            }
            if (start instanceof Start.OneHot) {
                startRows = Nd4j.zeros(settings.precision().dataType(), n, k);
                for (int i = 0; i < n; i++) {
                    startRows.putScalar(i, classes[i], 1.0);
                }
            }
        }
        INDArray startIn = startRows == null ? Nd4j.zeros(settings.precision().dataType(), n, k)
                : startRows.castTo(settings.precision().dataType());
        Compiled c = compiled();
        INDArray xd = xc.dup('c');
        io.github.dtd4j.spi.CompiledRuntime.Outputs o;
        try {
            o = c.session().run(xd, codes, startIn);
        } finally {
            xd.close();
            startIn.close();
            if (xc != x) {
                xc.close();
            }
        }
        int[] targets = new int[(int) n];
        for (int i = 0; i < n; i++) {
            targets[i] = (int) o.targets()[i];
        }
        return new Explanation(o.relevance(), o.logits(), targets, ledger(o.ledger(), c.ledgerLayout(), (int) n),
                java.util.Map.of(), settings.stopAt() == null ? p.graph.inputName() : settings.stopAt());
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** {@return the ledger from the compiled graph's columns (start, input, then per node in, out, bias, ...)} */
    private static Ledger ledger(double[][] columns, List<String[]> layout, int n) {
        double[] startSum = column(columns, 0, n);
        double[] input = column(columns, 1, n);
        List<LedgerEntry> entries = new java.util.ArrayList<>();
        int c = 2;
        for (String[] e : layout) {
            double[] in = column(columns, c++, n);
            double[] out = column(columns, c++, n);
            double[] bias = column(columns, c++, n);
            double[] stab = column(columns, c++, n);
            java.util.Map<String, double[]> branches = new java.util.LinkedHashMap<>();
            if (!e[3].isEmpty()) {
                for (String input1 : e[3].split(",")) {
                    branches.merge(input1, column(columns, c++, n), (a, b) -> {
                        double[] sum = a.clone();
                        for (int i = 0; i < sum.length; i++) {
                            sum[i] += b[i];
                        }
                        return sum;
                    });
                }
            }
            entries.add(new LedgerEntry(e[0], e[1], e[2], in, out, bias, stab, branches, 0));
        }
        return new Ledger(startSum, input, entries);
    }

    private static double[] column(double[][] columns, int c, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = columns[i][c];
        }
        return v;
    }

    /** {@return a copy that applies {@code rule} to every node whose kind it accepts, unless matched more specifically} */
    public Explainer rule(Rule rule) {
        return rule(Selector.all(), rule);
    }

    /**
     * {@return a copy that applies {@code rule} to the nodes {@code selector} picks and the rule accepts}; the most
     * specific selector wins, and among equals the one added last ({@link Selector})
     *
     * @param selector which nodes
     * @param rule     which rule
     */
    public Explainer rule(Selector selector, Rule rule) {
        return with(settings.withAssignments(List.of(Preset.Assignment.of(require(selector, "the selector"),
                require(rule, "the rule")))));
    }

    /** {@return a copy with a preset's assignments added} @param preset e.g. {@code Presets.dtd(...)} */
    public Explainer preset(Preset preset) {
        return with(settings.withAssignments(require(preset, "the preset").assignments()));
    }

    /** {@return a copy with another bias policy} @param policy RULE_DEFAULT or IGNORE */
    public Explainer biasPolicy(BiasPolicy policy) {
        return with(settings.withBiasPolicy(require(policy, "the bias policy")));
    }

    /** {@return a copy with another stabilizer ε (default 1e-6)} @param epsilon finite, ≥ 0 */
    public Explainer stabilizer(double epsilon) {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new ConfigurationException("stabilizer must be finite and >= 0, got " + epsilon);
        }
        return with(settings.withStabilizer(epsilon));
    }

    /**
     * {@return a copy with another default for max-pooling}: a preset of {@link Propagations#winnerTakesAll()}
     * (default) or {@link Propagations#maxPoolAsSum()}; a selector can still give single nodes another rule
     *
     * @param mode winner-take-all or proportional
     */
    public Explainer maxPool(MaxPoolMode mode) {
        return with(settings.withMaxPool(require(mode, "the max-pool mode")));
    }

    /**
     * {@return a copy with another default split at sums}: residual Add, sum/average pooling, proportional
     * max-pooling; a preset of {@link Propagations#proportional()} (default) or
     * {@link Propagations#proportionalPositive()}
     *
     * @param split SIGNED (default) or POSITIVE (z⁺ on the sum: relevance stays positive, and with biases ignored
     *              the pixels receive the whole logit in residual and dense-block networks too)
     */
    public Explainer sumSplit(SumSplit split) {
        return with(settings.withSumSplit(require(split, "the sum split")));
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
        return with(settings.withBatchNorm(require(mode, "the BatchNorm mode"), require(fallback, "the fallback")));
    }

    /** {@return a copy computing in another precision} @param precision FLOAT32 (default) or FLOAT64 */
    public Explainer precision(Precision precision) {
        return with(settings.withPrecision(require(precision, "the precision")));
    }

    /** {@return a copy that keeps the relevance at every node's output in each explanation} @param record on/off */
    public Explainer recordLayers(boolean record) {
        return with(settings.withRecordLayers(record));
    }

    /**
     * {@return a copy whose sweep stops at a node's output}: {@link Explanation#inputRelevance()} is then the
     * relevance at that node's output, and nodes below it are not propagated. Relevance that reaches the input by
     * paths that bypass the node (a residual shortcut around it) is not part of the result; the ledger's imbalance
     * shows it.
     *
     * @param node a node name; null (or the input's name) for the model's input (the default)
     */
    public Explainer stopAt(String node) {
        return with(settings.withStopAt(node));
    }

    /** {@return the assignments so far, in order} */
    public List<Preset.Assignment> assignments() {
        return settings.assignments();
    }

    /** {@return the precision explanations are computed in} */
    public Precision precision() {
        return settings.precision();
    }

    /** {@return the model as given} */
    public Graph model() {
        return graph;
    }

    /**
     * {@return the graph explanations run on: the explainer's own copy of the model in its precision, BatchNorm
     * folded if so configured}
     */
    public Graph compiledGraph() {
        return prepared().graph();
    }

    /**
     * {@return which propagation each node gets, and why}
     *
     * @throws ConfigurationException listing every node without a rule
     */
    public Coverage coverage() {
        return plan().coverage;
    }

    /**
     * Compiles the explainer now (it compiles on first use otherwise), so that configuration errors surface here.
     *
     * @return this explainer
     * @throws ConfigurationException listing every node without a rule, unknown node names, rules that do not fit
     */
    public Explainer compile() {
        plan();
        return this;
    }

    /**
     * Checks that the rewrites the explainer applies (BatchNorm folding, the precision cast) leave the model's
     * output unchanged: runs the model as given and the compiled graph in float64 on a seeded random input. This
     * is a check to run once for a model one does not trust, not on every explanation: the rewrites are exact up
     * to float rounding, and the library's tests check them.
     *
     * @return the largest absolute difference of the outputs, relative to the largest absolute output
     * @throws ConfigurationException if it exceeds 1e-5
     */
    public double verifyRewrites() {
        Graph a = Rewrites.copy(graph, Precision.FLOAT64);
        Graph b = Rewrites.copy(compiledGraph(), Precision.FLOAT64);
        org.nd4j.linalg.api.rng.Random rng = Nd4j.getRandomFactory().getNewRandomInstance(42);
        INDArray x = Nd4j.rand(rng, graph.inputShape().withBatch(1)).castTo(Precision.FLOAT64.dataType());
        INDArray ya = Forward.output(a, x);
        INDArray yb = Forward.output(b, x);
        double scale = Math.max(ya.amaxNumber().doubleValue(), 1e-300);
        double rel = ya.sub(yb).amaxNumber().doubleValue() / scale;
        if (!(rel <= 1e-5)) {
            throw new ConfigurationException("the rewrites (" + compiledGraph().provenance() + ") changed the model's "
                    + "output by " + rel + " relative");
        }
        return rel;
    }

    private Plan.Prepared prepared() {
        Plan.Prepared p = prepared;
        if (p == null) {
            synchronized (this) {
                p = prepared;
                if (p == null) {
                    p = Plan.Prepared.of(graph, settings);
                    prepared = p;
                }
            }
        }
        return p;
    }

    private Plan plan() {
        Plan p = plan;
        if (p == null) {
            synchronized (this) {
                p = plan;
                if (p == null) {
                    Plan.Prepared prep = prepared();
                    Plan.checkExplainableOutput(prep.graph());
                    p = Plan.compile(prep, settings);
                    plan = p;
                }
            }
        }
        return p;
    }

    /**
     * {@return this explainer as one ONNX model (opset 17): the forward pass, the start relevance and the relevance
     * sweep written as standard operators, so that ONNX Runtime (or any runtime that reads ONNX) computes the
     * explanation}. Inputs: {@code input} {@code [N, ...inputShape]} in the precision, and {@code target} int64
     * {@code [N]} (the class to explain, −1 for the element's top class). Outputs: {@code logits} {@code [N,K]},
     * {@code relevance} (the input relevance) and {@code targets} int64 {@code [N]}. The model's metadata
     * ({@link #onnxMetadata()}) names the conventions, the inputs and outputs and every node's rule.
     *
     * <p>Node kinds compiled: Dense, Conv2d, ReLU, MaxPool2d, AvgPool2d, GlobalAvgPool, Add, Flatten, Reshape,
     * Identity, Dropout, BatchNorm (folded, bypassed or affine); rules: those whose {@code LinearRule.compile} writes
     * them (all of dtd-rules'), pass-through, bypass, proportional (signed and positive), winner-take-all and max
     * pooling as a sum. The ledger is not part of the compiled graph.
     *
     * @throws ConfigurationException listing every node whose kind or rule cannot be compiled, or for an explainer
     *                                that stops at a node
     */
    public byte[] toOnnx() {
        return OnnxCompiler.compile(plan(), onnxMetadata());
    }

    /**
     * Checks an input and its classes as {@link #explain(INDArray, int[])} checks them before any relevance moves,
     * for an engine that runs the compiled graph ({@link #toOnnx()}): the shape, a floating-point type, finite
     * values, each class in range, and the domain of every rule on a node that reads the input directly (the z^B
     * box).
     *
     * @param x       {@code [N, ...inputShape]}; never modified
     * @param targets one class per element, or null for the top classes
     * @return {@code x} in the computation precision (x itself if it already is)
     * @throws InvalidInputException naming what is wrong
     */
    public INDArray checkInput(INDArray x, int[] targets) {
        Plan p = plan();
        INDArray xc = Engine.checkInput(p.graph, x, settings.precision().dataType());
        if (targets != null && targets.length == 1 && x.size(0) != 1) {
            throw new InvalidInputException("targets: 1 class given for a batch of " + x.size(0)
                    + " (use explain(x, int) for one class for all)");
        }
        if (targets != null) {
            long k = p.graph.outputShape().dim(0);
            if (targets.length != x.size(0)) {
                throw new InvalidInputException("targets: " + targets.length + " classes given for a batch of "
                        + x.size(0));
            }
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] < 0 || targets[i] >= k) {
                    throw new InvalidInputException("targets: class " + targets[i] + " for batch element " + i
                            + " is not in [0," + k + ") (output '" + p.graph.outputName() + "' has " + k
                            + " classes)");
                }
            }
        }
        for (io.github.dtd4j.graph.Node n : p.graph.nodes()) {
            if (n.inputs().stream().allMatch(i -> i.equals(p.graph.inputName()))) {
                Plan.Compiled c = p.nodes.get(n.name());
                java.util.List<INDArray> ins = java.util.Collections.nCopies(n.inputs().size(), xc);
                c.rule().checkInput(c.info(), ins);
            }
        }
        return xc;
    }

    /**
     * {@return the forward pass alone of the graph explanations run on ({@link #compiledGraph()}) as an ONNX model:
     * input {@code input}, output {@code logits}}; the basis of the compiled explanation's cost ({@code dtd bench})
     *
     * @throws ConfigurationException listing every node kind that has no ONNX form yet
     */
    public byte[] forwardToOnnx() {
        return OnnxCompiler.compileForward(compiledGraph(), settings.precision(), null).model();
    }

    /**
     * {@return the forward pass in the compiled engine's ONNX Runtime session: the model's logits for {@code x},
     * {@code [N,K]}, computed by ONNX Runtime on the graph {@link #forwardToOnnx()} writes}, in a session of its own
     * that shares the weights in memory; {@link #forward} for the reference engine. For measuring what the compiled
     * explanation costs over the fastest forward pass.
     *
     * @param x {@code [N, ...inputShape]}, finite; never modified
     */
    public INDArray forwardOnRuntime(INDArray x) {
        INDArray xc = Engine.checkInput(compiledGraph(), x, settings.precision().dataType());
        ForwardSession f = forwardSession();
        INDArray xd = xc.dup('c');
        try {
            return f.session().run(xd, new long[(int) xd.size(0)], Nd4j.zeros(settings.precision().dataType(),
                    xd.size(0), compiledGraph().outputShape().dim(0))).logits();
        } finally {
            xd.close();
        }
    }

    /** The forward pass's session ({@link #forwardOnRuntime}), opened once. */
    private record ForwardSession(io.github.dtd4j.spi.CompiledRuntime.Session session,
                                  java.lang.ref.Cleaner.Cleanable cleanable) {
    }

    private volatile ForwardSession forwardSession;

    private ForwardSession forwardSession() {
        ForwardSession f = forwardSession;
        if (f == null) {
            synchronized (this) {
                f = forwardSession;
                if (f == null) {
                    OnnxCompiler.Output model = OnnxCompiler.compileForward(compiledGraph(), settings.precision(),
                            "dtd4j-weights.data");
                    io.github.dtd4j.spi.CompiledRuntime.Session session = runtime().open(model.model(),
                            model.external(), settings.precision());
                    f = new ForwardSession(session, CLEANER.register(this, session::close));
                    forwardSession = f;
                }
            }
        }
        return f;
    }

    private static io.github.dtd4j.spi.CompiledRuntime runtime() {
        return java.util.ServiceLoader.load(io.github.dtd4j.spi.CompiledRuntime.class).findFirst()
                .orElseThrow(() -> new ConfigurationException("the ONNX Runtime engine needs the module dtd-ort"
                        + " (io.github.dtd4j:dtd-ort) on the class or module path"));
    }

    /**
     * Writes {@link #toOnnx()}'s model to a file; when its weights would make the file larger than 1 GB (ONNX files
     * hold at most 2 GB), they go into {@code FILE.data} beside it, as ONNX's external data (which ONNX Runtime,
     * onnx.load and other runtimes read from the model's directory). Each file is written under a temporary name
     * and renamed: no half-written file is left.
     *
     * @param file the model file, e.g. {@code explainer.onnx}
     * @return the files written
     * @throws InvalidInputException if a file cannot be written (naming it and why)
     */
    public List<java.nio.file.Path> writeOnnx(java.nio.file.Path file) {
        require(file, "the file");
        long weightBytes = 0;
        for (io.github.dtd4j.graph.Node n : compiledGraph().nodes()) {
            INDArray w = n.layer() instanceof io.github.dtd4j.graph.Dense d ? d.weight()
                    : n.layer() instanceof io.github.dtd4j.graph.Conv2d c ? c.weight() : null;
            weightBytes += w == null ? 0 : w.length() * (settings.precision() == Precision.FLOAT64 ? 8 : 4);
        }
        String dataName = file.getFileName() + ".data";
        OnnxCompiler.Output out = OnnxCompiler.compile(plan(), onnxMetadata(), 3 * weightBytes > (1L << 30)
                ? dataName : null);
        List<java.nio.file.Path> written = new java.util.ArrayList<>();
        try {
            if (!out.external().isEmpty()) {
                java.nio.file.Path data = file.resolveSibling(dataName);
                java.nio.file.Path tmp = data.resolveSibling(dataName + ".part");
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    for (INDArray a : out.external().values()) {
                        java.nio.ByteBuffer b = a.data().asNio().order(java.nio.ByteOrder.nativeOrder());
                        java.nio.ByteBuffer le = java.nio.ByteBuffer.allocateDirect(b.remaining())
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        if (settings.precision() == Precision.FLOAT64) {
                            le.asDoubleBuffer().put(b.asDoubleBuffer());
                        } else {
                            le.asFloatBuffer().put(b.asFloatBuffer());
                        }
                        while (le.hasRemaining()) {
                            ch.write(le);
                        }
                    }
                }
                java.nio.file.Files.move(tmp, data, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                written.add(data);
            }
            java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".part");
            java.nio.file.Files.write(tmp, out.model());
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            written.add(0, file);
        } catch (java.io.IOException e) {
            throw new InvalidInputException(file + ": cannot write the compiled explainer (" + e + ")");
        }
        return written;
    }

    /** {@return what {@link #toOnnx()} stores in the model's metadata, in order} */
    public java.util.Map<String, String> onnxMetadata() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        Graph g = compiledGraph();
        String dt = settings.precision() == Precision.FLOAT64 ? "float64" : "float32";
        m.put("dtd4j.conventions", "dtd4j-conventions 1");
        m.put("dtd4j.inputs", "input " + dt + " " + g.inputShape().toBatchString()
                + "; target int64 [N] (class to explain, -1: the element's top class)");
        m.put("dtd4j.outputs", "logits " + dt + " " + g.outputShape().toBatchString() + "; relevance " + dt + " "
                + g.inputShape().toBatchString() + "; targets int64 [N]");
        m.put("dtd4j.settings", "stabilizer " + settings.stabilizer() + ", bias policy " + settings.biasPolicy()
                + ", sum split " + settings.sumSplit() + ", max pooling " + settings.maxPool() + ", BatchNorm "
                + settings.batchNorm() + ", precision " + settings.precision());
        StringBuilder rules = new StringBuilder();
        for (Coverage.Row r : coverage().rows()) {
            rules.append(r.node()).append(" (").append(r.kind()).append("): ").append(r.propagation()).append('\n');
        }
        m.put("dtd4j.rules", rules.toString().strip());
        m.put("dtd4j.model", String.valueOf(graph.provenance()));
        return m;
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
        return explain(x, Start.topClass());
    }

    /**
     * Explains one class for every batch element.
     *
     * @param x      {@code [N, ...inputShape]}
     * @param target class index
     * @return the explanation
     */
    public Explanation explain(INDArray x, int target) {
        return explain(x, Start.classes(target));
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
        return explain(x, Start.classes(targets));
    }

    /**
     * Explains with a start relevance given at the output: soft targets, one-hot vectors, class A against class B.
     *
     * @param x                 {@code [N, ...inputShape]}
     * @param outputRelevance   {@code [N,K]}, finite; never modified
     * @return the explanation; its targets are the classes where the start relevance is largest
     */
    public Explanation explain(INDArray x, INDArray outputRelevance) {
        return explain(x, Start.relevance(outputRelevance));
    }

    /**
     * Explains from a given start: a class, a relevance tensor at the output, or a relevance tensor at an
     * intermediate node.
     *
     * @param x     {@code [N, ...inputShape]}, finite; never modified
     * @param start where the sweep starts and with what relevance
     * @return the explanation
     */
    public Explanation explain(INDArray x, Start start) {
        if (start == null) {
            throw new InvalidInputException("explain: the start is null (use explain(x) for the top class)");
        }
        if (engine == ExplanationEngine.ONNX_RUNTIME || (engine == ExplanationEngine.AUTO
                && !(start instanceof Start.Tensor t && t.node() != null)
                && engineInUse() == ExplanationEngine.ONNX_RUNTIME)) {
            return explainCompiled(x, start);
        }
        Engine.Result r = Engine.explain(plan(), x, start);
        return new Explanation(r.inputRelevance(), r.logits(), r.targets(), r.ledger(), r.layers(), r.end());
    }

    /**
     * {@return the model's output for {@code x}, {@code [N,K]}, computed as {@link #explain} computes it (same
     * graph, precision, input checks and engine: on {@link ExplanationEngine#ONNX_RUNTIME} by ONNX Runtime,
     * {@link #forwardOnRuntime}) but without propagating relevance; needs no rules}
     *
     * @param x {@code [N, ...inputShape]}, finite; never modified
     */
    public INDArray forward(INDArray x) {
        if (engineInUse() == ExplanationEngine.ONNX_RUNTIME) {
            return forwardOnRuntime(x);
        }
        Graph g = compiledGraph();
        return Engine.forward(g, settings.precision(), x);
    }

    /**
     * {@return every node's output for {@code x}, by node name in topological order, the input (cast to the
     * precision) under the input's name}: the forward pass of the compiled graph, with the same checks as
     * {@link #forward}; needs no rules. Folded BatchNorms have no entry of their own.
     *
     * @param x {@code [N, ...inputShape]}, finite; never modified
     */
    public java.util.Map<String, INDArray> activations(INDArray x) {
        Graph g = compiledGraph();
        INDArray xc = Engine.checkInput(g, x, settings.precision().dataType());
        return java.util.Collections.unmodifiableMap(Forward.run(g, xc == x ? x.dup() : xc));
    }

    @Override
    public String toString() {
        return "Explainer[" + settings + "]";
    }
}
