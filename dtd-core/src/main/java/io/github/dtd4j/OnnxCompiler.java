package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.OnnxOps;
import io.github.dtd4j.spi.Rule;
import io.github.dtd4j.spi.Symbol;
import io.github.dtd4j.spi.SymbolicLinearLayer;
import io.github.dtd4j.spi.SymbolicRuleContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.StringStringEntryProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;

/**
 * Writes a compiled explainer (its rewritten graph, every node's rule, the settings) as one ONNX graph (opset 17):
 * the forward pass, the start relevance and the relevance sweep, as standard operators. Inputs: {@code input}
 * {@code [N, ...]} and {@code target} int64 {@code [N]} (a class, or −1 for the element's top class). Outputs:
 * {@code logits} {@code [N,K]}, {@code relevance} (input-shaped), {@code targets} int64 {@code [N]}.
 */
final class OnnxCompiler implements OnnxOps {
    static final int OPSET = 17;

    private final Plan plan;
    private final DataType dtype;
    private final int elemType;
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<INDArray, Symbol> constants = new IdentityHashMap<>();
    private final Map<INDArray, INDArray> flippedKernels = new IdentityHashMap<>();
    /** The nodes whose output is never negative (ReLU outputs, and what pooling and routing make of them). */
    private java.util.Set<String> nonNegative = java.util.Set.of();
    private final Map<String, Symbol> scalars = new LinkedHashMap<>();
    private int counter;
    /** The ledger's columns, per sample {@code [N,1]}: start, input, then per node in, out, bias, stabilizer, branches. */
    private final List<Symbol> ledger = new ArrayList<>();
    /** The current node's shares absorbed by bias terms and by the stabilizer, per sample. */
    private final List<Symbol> biasShares = new ArrayList<>();
    private final List<Symbol> stabilizerShares = new ArrayList<>();
    /** One line per ledger entry: node, kind, propagation, inputs (when more than one), tab-separated. */
    private final StringBuilder layout = new StringBuilder();
    /** The nodes whose rule had no ONNX form, found while writing: listed together at the end. */
    private final List<String> failures = new ArrayList<>();
    /** Where external initializers live, or null to keep every constant inside the model. */
    private String dataFile;
    /** The external initializers, in the order of the data file. */
    private final Map<String, INDArray> external = new LinkedHashMap<>();
    private long externalOffset;
    /** Constants at least this large go outside when a data file is given. */
    private static final long EXTERNAL_ELEMENTS = 1024;
    /** The largest model protobuf can write inline. */
    private static final long INLINE_LIMIT = (1L << 31) - (64L << 20);
    private long inlineBytes;

    /** The metadata key of the ledger's layout. */
    static final String LEDGER_LAYOUT = "dtd4j.ledger";

    private OnnxCompiler(Plan plan, DataType dtype) {
        this.plan = plan;
        this.dtype = dtype;
        this.elemType = dtype == DataType.DOUBLE ? TensorProto.DataType.DOUBLE_VALUE : TensorProto.DataType.FLOAT_VALUE;
    }

    /**
     * {@return the ONNX model's bytes}
     *
     * @param plan     the compiled explainer
     * @param metadata key-value pairs stored in the model
     * @throws ConfigurationException listing every node whose layer or rule cannot be compiled
     */
    static byte[] compile(Plan plan, Map<String, String> metadata) {
        return compile(plan, metadata, null).model();
    }

    /**
     * A compiled model: the ONNX bytes and, when the weights are kept outside, the arrays the model's external
     * initializers name (in the order, and at the offsets, of its data file).
     *
     * @param model    the ModelProto's bytes
     * @param external initializer name to array (computation precision, C order); empty when all are inside
     */
    record Output(byte[] model, Map<String, INDArray> external) {
    }

    /**
     * {@return the model, its larger constants kept outside it when {@code dataFile} is given}
     *
     * @param plan     the compiled explainer
     * @param metadata stored in the model
     * @param dataFile the name of the file the external initializers refer to, or null to keep them inside
     */
    static Output compile(Plan plan, Map<String, String> metadata, String dataFile) {
        List<String> unsupported = new ArrayList<>();
        for (Node n : plan.graph.nodes()) {
            String why = unsupported(n, plan.nodes.get(n.name()));
            if (why != null) {
                unsupported.add("'" + n.name() + "' (" + n.kind() + "): " + why);
            }
        }
        if (!unsupported.isEmpty()) {
            throw new ConfigurationException("toOnnx: " + unsupported.size() + " node(s) cannot be compiled to ONNX: "
                    + String.join("; ", unsupported) + ". Explain them with the reference engine.");
        }
        OnnxCompiler c = new OnnxCompiler(plan, plan.settings.precision().dataType());
        c.dataFile = dataFile;
        return new Output(c.write(metadata), java.util.Collections.unmodifiableMap(c.external));
    }

    /**
     * {@return the forward pass alone of a graph as an ONNX model: input {@code input}, output {@code logits}}
     *
     * @param g         the graph (rewritten as the explainer runs it)
     * @param precision its precision
     * @throws ConfigurationException listing every node kind that cannot be compiled
     */
    static Output compileForward(Graph g, io.github.dtd4j.graph.Precision precision, String dataFile) {
        List<String> unsupported = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!forwardSupported(n.layer())) {
                unsupported.add("'" + n.name() + "' (" + n.kind() + ")");
            }
        }
        if (!unsupported.isEmpty()) {
            throw new ConfigurationException("forwardToOnnx: " + unsupported.size() + " node(s) have no ONNX form yet: "
                    + String.join(", ", unsupported));
        }
        OnnxCompiler c = new OnnxCompiler(null, precision.dataType());
        c.dataFile = dataFile;
        c.graph.setName("dtd4j-forward");
        c.graph.addInput(valueInfo("input", c.elemType, g.inputShape()));
        Map<String, Symbol> out = new LinkedHashMap<>();
        out.put(g.inputName(), new Symbol("input"));
        for (Node n : g.nodes()) {
            List<Symbol> in = n.inputs().stream().map(out::get).toList();
            out.put(n.name(), c.forward(n, in, new LinkedHashMap<>(), false));
        }
        c.named(out.get(g.outputName()), "logits");
        c.graph.addOutput(valueInfo("logits", c.elemType, g.outputShape()));
        return new Output(ModelProto.newBuilder().setIrVersion(8).setProducerName("dtd4j").setGraph(c.graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).build().toByteArray(),
                java.util.Collections.unmodifiableMap(c.external));
    }

    private static boolean forwardSupported(Layer l) {
        return l instanceof Dense || l instanceof Conv2d || l instanceof Relu || l instanceof MaxPool2d
                || l instanceof AvgPool2d || l instanceof GlobalAvgPool || l instanceof Add || l instanceof Flatten
                || l instanceof Reshape || l instanceof Identity || l instanceof Dropout || l instanceof BatchNorm
                || l instanceof io.github.dtd4j.graph.Activation;
    }

    /** {@return why a node cannot be compiled, or null} */
    private static String unsupported(Node n, Plan.Compiled c) {
        Layer l = n.layer();
        if (!forwardSupported(l)) {
            return "no ONNX form for this layer kind yet";
        }
        Rule r = c.rule();
        if (r instanceof LinearRule) {
            return null; // checked when written: compile() may return empty
        }
        if (r == Propagations.gradient() || !isBuiltIn(r)) {
            // the gradient compiles for every kind whose forward pass does (checked above); a rule of its own is
            // checked when written (its compile may return empty)
            return null;
        }
        boolean known = r == Propagations.pass() || r == Propagations.bypass()
                || ((r == Propagations.proportional() || r == Propagations.proportionalPositive())
                && (l instanceof Add || l instanceof AvgPool2d || l instanceof GlobalAvgPool))
                || ((r == Propagations.winnerTakesAll() || r == Propagations.maxPoolAsSum()
                || r == Propagations.maxPoolAsSumPositive()) && l instanceof MaxPool2d);
        return known ? null : "rule '" + r.name() + "' has no ONNX form";
    }

    private static boolean isBuiltIn(Rule r) {
        return r == Propagations.pass() || r == Propagations.bypass() || r == Propagations.proportional()
                || r == Propagations.proportionalPositive() || r == Propagations.winnerTakesAll()
                || r == Propagations.maxPoolAsSum() || r == Propagations.maxPoolAsSumPositive()
                || r == Propagations.gradient() || r == Propagations.exactSplit() || r == Propagations.route()
                || r == Propagations.gate() || r == Propagations.uniform() || r == Propagations.softmax()
                || r == Propagations.constant() || r == Propagations.constantIgnored();
    }

    // ------------------------------------------------------------------------------------------------ writing

    private byte[] write(Map<String, String> metadata) {
        Graph g = plan.graph;
        graph.setName("dtd4j-explanation");
        graph.addInput(valueInfo("input", elemType, g.inputShape()));
        graph.addInput(valueInfo("target", TensorProto.DataType.INT64_VALUE, null));
        graph.addInput(valueInfo("start", elemType, g.outputShape()));
        nonNegative = plan.nonNegative;
        Map<String, Symbol> out = new LinkedHashMap<>();
        Map<String, Symbol> maxIndices = new LinkedHashMap<>();
        out.put(g.inputName(), new Symbol("input"));
        for (Node n : g.nodes()) {
            List<Symbol> in = n.inputs().stream().map(out::get).toList();
            out.put(n.name(), forward(n, in, maxIndices, true));
        }
        Symbol logits = out.get(g.outputName());
        long classes = g.outputShape().dim(0);
        // target codes: c >= 0 the class c, -1 the top class (both start at the logit), -2 the given start row,
        // -3 one at the top class
        Symbol target = new Symbol("target");
        Symbol top = op("ArgMax", List.of(logits), Map.of("axis", 1L, "keepdims", 0L));
        Symbol idx = op("Where", List.of(op("GreaterOrEqual", List.of(target, int64(0)), Map.of()), target, top),
                Map.of());
        Symbol column = int64Vector(new long[]{-1, 1});
        // one-hot rows: the class index against 0..K-1 (ONNX Runtime's OneHot has no float64 kernel)
        long[] range = new long[(int) classes];
        for (int k = 0; k < range.length; k++) {
            range[k] = k;
        }
        Symbol oneHot = op("Cast", List.of(op("Equal", List.of(op("Reshape", List.of(idx, column), Map.of()),
                int64Tensor(range, new long[]{1, classes})), Map.of())), Map.of("to", (long) elemType));
        Symbol unit = op("Reshape", List.of(op("Equal", List.of(target, int64(-3)), Map.of()), column), Map.of());
        Symbol given = op("Reshape", List.of(op("Equal", List.of(target, int64(-2)), Map.of()), column), Map.of());
        Symbol start = op("Where", List.of(given, new Symbol("start"), op("Where", List.of(unit, oneHot,
                mul(logits, oneHot)), Map.of())), Map.of());
        Symbol startTop = op("ArgMax", List.of(new Symbol("start")), Map.of("axis", 1L, "keepdims", 0L));
        Symbol t = op("Where", List.of(op("Equal", List.of(target, int64(-2)), Map.of()), startTop, idx), Map.of());
        Symbol startSum = perSample(start);
        ledger.add(startSum);
        Map<String, List<Symbol>> arrivedSums = new LinkedHashMap<>();
        arrivedSums.computeIfAbsent(g.outputName(), k -> new ArrayList<>()).add(startSum);
        // the sweep: each node's relevance is the sum of what its consumers sent it
        Map<String, List<Symbol>> arrived = new LinkedHashMap<>();
        arrived.computeIfAbsent(g.outputName(), k -> new ArrayList<>()).add(start);
        List<Node> nodes = g.nodes();
        // the sweep passes through the nodes between the output and the end (the input, or the stop node, whose
        // output's relevance is the result), as the reference engine's
        String end = plan.settings.stopAt() == null ? g.inputName() : plan.settings.stopAt();
        Set<String> region = Engine.region(g, g.outputName(), end);
        for (int k = nodes.size() - 1; k >= 0; k--) {
            Node n = nodes.get(k);
            List<Symbol> parts = arrived.get(n.name());
            if (parts == null || !region.contains(n.name())) {
                continue;
            }
            Symbol r = sum(parts);
            List<Symbol> ins = n.inputs().stream().map(out::get).toList();
            biasShares.clear();
            stabilizerShares.clear();
            List<Symbol> sent = propagate(n, plan.nodes.get(n.name()), r, ins, out.get(n.name()),
                    maxIndices.get(n.name()));
            List<Symbol> sentSums = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) {
                arrived.computeIfAbsent(n.inputs().get(i), x -> new ArrayList<>()).add(sent.get(i));
                sentSums.add(perSample(sent.get(i)));
                arrivedSums.computeIfAbsent(n.inputs().get(i), x -> new ArrayList<>()).add(sentSums.get(i));
            }
            // what arrived, summed from what its readers sent (as the reference engine books it)
            ledger.add(sum(arrivedSums.get(n.name())));
            ledger.add(sumOrZero(sentSums, r));
            ledger.add(sumOrZero(biasShares, r));
            ledger.add(sumOrZero(stabilizerShares, r));
            if (sentSums.size() > 1) {
                ledger.addAll(sentSums);
            }
            layout.append(n.name()).append('\t').append(n.kind()).append('\t')
                    .append(Plan.describe(plan.nodes.get(n.name()).rule())).append('\t')
                    .append(n.inputs().size() > 1 ? String.join(",", n.inputs()) : "").append('\n');
        }
        if (!failures.isEmpty()) {
            throw new ConfigurationException("toOnnx: " + failures.size() + " node(s) cannot be compiled to ONNX: "
                    + String.join("; ", failures) + ". Explain them with the reference engine.");
        }
        List<Symbol> atInput = arrived.get(end);
        Symbol relevance = atInput == null ? mul(out.get(end), 0) : sum(atInput);
        List<Symbol> atInputSums = arrivedSums.get(end);
        ledger.add(1, atInputSums == null ? mul(startSum, 0) : sum(atInputSums));
        named(logits, "logits");
        named(relevance, "relevance");
        named(t, "targets");
        named(op("Cast", List.of(op("Concat", ledger, Map.of("axis", 1L))), Map.of("to",
                (long) TensorProto.DataType.DOUBLE_VALUE)), "ledger");
        graph.addOutput(valueInfo("logits", elemType, g.outputShape()));
        graph.addOutput(valueInfo("relevance", elemType, g.shapeOf(end)));
        graph.addOutput(valueInfo("targets", TensorProto.DataType.INT64_VALUE, null));
        graph.addOutput(valueInfo("ledger", TensorProto.DataType.DOUBLE_VALUE, Shape.of(ledger.size())));
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8).setProducerName("dtd4j")
                .setGraph(graph).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(LEDGER_LAYOUT, layout.toString());
        meta.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build().toByteArray();
    }

    /** {@return Σ over every axis but the batch axis, {@code [N,1]}} */
    private Symbol perSample(Symbol a) {
        return op("ReduceSum", List.of(op("Flatten", List.of(a), Map.of("axis", 1L)), int64Vector(new long[]{1})),
                Map.of("keepdims", 1L));
    }

    /** {@return the sum of per-sample columns, or a zero column shaped like {@code like}'s} */
    private Symbol sumOrZero(List<Symbol> columns, Symbol like) {
        return columns.isEmpty() ? mul(perSample(like), 0) : sum(new ArrayList<>(columns));
    }

    private void named(Symbol s, String name) {
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").addInput(s.name()).addOutput(name)
                .setName(name));
    }

    private Symbol sum(List<Symbol> parts) {
        return parts.size() == 1 ? parts.get(0) : op("Sum", parts, Map.of());
    }

    // ------------------------------------------------------------------------------------------------ forward

    private Symbol forward(Node n, List<Symbol> in, Map<String, Symbol> maxIndices, boolean indices) {
        Layer l = n.layer();
        Symbol x = in.isEmpty() ? null : in.get(0);
        if (l instanceof Dense d) {
            Symbol z = op("MatMul", List.of(x, constant(d.weight())), Map.of());
            return d.bias() == null ? z : add(z, constant(d.bias()));
        } else if (l instanceof Conv2d c) {
            List<Symbol> args = new ArrayList<>(List.of(x, constant(c.weight())));
            if (c.bias() != null) {
                args.add(constant(c.bias()));
            }
            return op("Conv", args, convAttributes(c));
        } else if (l instanceof Relu) {
            return op("Relu", List.of(x), Map.of());
        } else if (l instanceof MaxPool2d p && !indices) {
            return op("MaxPool", List.of(x), Map.of("kernel_shape", new long[]{p.kernelH(), p.kernelW()},
                    "strides", new long[]{p.strideH(), p.strideW()}, "pads", new long[]{p.padTop(), p.padLeft(),
                        p.padBottom(), p.padRight()}));
        } else if (l instanceof MaxPool2d p) {
            Symbol[] both = op2("MaxPool", List.of(x), Map.of("kernel_shape", new long[]{p.kernelH(), p.kernelW()},
                    "strides", new long[]{p.strideH(), p.strideW()}, "pads", new long[]{p.padTop(), p.padLeft(),
                        p.padBottom(), p.padRight()}));
            maxIndices.put(n.name(), both[1]);
            return both[0];
        } else if (l instanceof AvgPool2d p) {
            return op("AveragePool", List.of(x), avgAttributes(p));
        } else if (l instanceof GlobalAvgPool) {
            return op("GlobalAveragePool", List.of(x), Map.of());
        } else if (l instanceof Add) {
            return sum(in);
        } else if (l instanceof Flatten) {
            return op("Flatten", List.of(x), Map.of("axis", 1L));
        } else if (l instanceof Reshape) {
            return reshape(x, n.outputShape());
        } else if (l instanceof BatchNorm b) {
            return op("BatchNormalization", List.of(x, constant(b.gamma()), constant(b.beta()), constant(b.mean()),
                    constant(b.var())), Map.of("epsilon", b.eps()));
        } else if (l instanceof io.github.dtd4j.graph.Activation a) {
            return activation(a, x);
        }
        return op("Identity", List.of(x), Map.of());
    }

    /** {@return f(x) for an element-wise activation, as the reference engine's forward pass computes it} */
    private Symbol activation(io.github.dtd4j.graph.Activation a, Symbol x) {
        return switch (a.function()) {
            case CLIP -> clip(x, a.alpha(), a.beta());
            case LEAKY_RELU -> op("LeakyRelu", List.of(x), Map.of("alpha", a.alpha()));
            case ELU -> op("Elu", List.of(x), Map.of("alpha", a.alpha()));
            case SIGMOID -> op("Sigmoid", List.of(x), Map.of());
            case HARD_SIGMOID -> clip(add(mul(x, a.alpha()), scalar(a.beta())), 0, 1);
            case HARD_SWISH -> mul(clip(add(op("Div", List.of(x, scalar(6)), Map.of()), scalar(0.5)), 0, 1), x);
            case TANH -> op("Tanh", List.of(x), Map.of());
            case GELU -> mul(phi(x), x);
            case SILU -> mul(op("Sigmoid", List.of(x), Map.of()), x);
        };
    }

    /** {@return x clipped to [lo, hi], an infinite bound left out} */
    private Symbol clip(Symbol x, double lo, double hi) {
        if (Double.isFinite(lo) && Double.isFinite(hi)) {
            // one Clip, which ONNX Runtime fuses into a preceding convolution
            return op("Clip", List.of(x, scalar(lo), scalar(hi)), Map.of());
        }
        Symbol y = lo == Double.NEGATIVE_INFINITY ? x : op("Max", List.of(x, scalar(lo)), Map.of());
        return hi == Double.POSITIVE_INFINITY ? y : op("Min", List.of(y, scalar(hi)), Map.of());
    }

    /** {@return Φ(x) = (1 + erf(x/√2)) / 2} */
    private Symbol phi(Symbol x) {
        return mul(add(op("Erf", List.of(op("Div", List.of(x, scalar(Math.sqrt(2))), Map.of())), Map.of()), scalar(1)), 0.5);
    }

    /** {@return a 0/1 mask of the computation type from a boolean} */
    private Symbol mask(Symbol condition) {
        return op("Cast", List.of(condition), Map.of("to", (long) elemType));
    }

    /** {@return f′(x), with the reference engine's one-sided choices} */
    private Symbol activationDerivative(io.github.dtd4j.graph.Activation a, Symbol x) {
        return switch (a.function()) {
            case CLIP -> mul(mask(op("Greater", List.of(x, scalar(a.alpha())), Map.of())),
                    mask(op("Less", List.of(x, scalar(a.beta())), Map.of())));
            case LEAKY_RELU -> {
                Symbol pos = mask(op("Greater", List.of(x, scalar(0)), Map.of()));
                yield add(mul(sub(scalar(1), pos), a.alpha()), pos);
            }
            case ELU -> {
                Symbol pos = mask(op("Greater", List.of(x, scalar(0)), Map.of()));
                Symbol e = mul(op("Exp", List.of(op("Min", List.of(x, scalar(0)), Map.of())), Map.of()), a.alpha());
                yield add(mul(e, sub(scalar(1), pos)), pos);
            }
            case SIGMOID -> {
                Symbol sg = op("Sigmoid", List.of(x), Map.of());
                yield mul(sub(scalar(1), sg), sg);
            }
            case HARD_SIGMOID -> {
                Symbol z = add(mul(x, a.alpha()), scalar(a.beta()));
                yield mul(mul(mask(op("Greater", List.of(z, scalar(0)), Map.of())),
                        mask(op("Less", List.of(z, scalar(1)), Map.of()))), a.alpha());
            }
            case HARD_SWISH -> {
                Symbol mid = mul(mask(op("GreaterOrEqual", List.of(x, scalar(-3)), Map.of())),
                        mask(op("LessOrEqual", List.of(x, scalar(3)), Map.of())));
                Symbol above = mask(op("Greater", List.of(x, scalar(3)), Map.of()));
                yield add(mul(add(op("Div", List.of(x, scalar(3)), Map.of()), scalar(0.5)), mid), above);
            }
            case TANH -> {
                Symbol t = op("Tanh", List.of(x), Map.of());
                yield sub(scalar(1), mul(t, t));
            }
            case GELU -> {
                Symbol pdf = mul(op("Exp", List.of(mul(mul(x, x), -0.5)), Map.of()), 1 / Math.sqrt(2 * Math.PI));
                yield add(phi(x), mul(pdf, x));
            }
            case SILU -> {
                Symbol sg = op("Sigmoid", List.of(x), Map.of());
                yield mul(add(mul(sub(scalar(1), sg), x), scalar(1)), sg);
            }
        };
    }

    private Symbol reshape(Symbol x, Shape perSample) {
        long[] dims = new long[perSample.rank() + 1];
        dims[0] = -1;
        System.arraycopy(perSample.dims(), 0, dims, 1, perSample.rank());
        return op("Reshape", List.of(x, int64Vector(dims)), Map.of());
    }

    private static Map<String, Object> convAttributes(Conv2d c) {
        return Map.of("kernel_shape", new long[]{c.weight().size(2), c.weight().size(3)},
                "strides", new long[]{c.strideH(), c.strideW()},
                "pads", new long[]{c.padTop(), c.padLeft(), c.padBottom(), c.padRight()},
                "dilations", new long[]{c.dilationH(), c.dilationW()}, "group", (long) c.groups());
    }

    private static Map<String, Object> avgAttributes(AvgPool2d p) {
        return Map.of("kernel_shape", new long[]{p.kernelH(), p.kernelW()},
                "strides", new long[]{p.strideH(), p.strideW()},
                "pads", new long[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()},
                "count_include_pad", p.countIncludePad() ? 1L : 0L);
    }

    // ------------------------------------------------------------------------------------------------ sweep

    private List<Symbol> propagate(Node n, Plan.Compiled c, Symbol r, List<Symbol> ins, Symbol y, Symbol indices) {
        Rule rule = c.rule();
        Layer l = n.layer();
        if (rule instanceof LinearRule lr) {
            Ctx ctx = new Ctx(c, ins.get(0), y, r);
            Optional<Symbol> s = lr.compile(ctx);
            if (s.isEmpty()) {
                failures.add("'" + n.name() + "' (" + n.kind() + "): rule '" + rule.name() + "' has no ONNX form");
                return ins.stream().map(x -> mul(x, 0)).toList();
            }
            return List.of(s.get());
        }
        if (rule == Propagations.gradient()) {
            return gradient(n, r, ins, indices);
        }
        if (!isBuiltIn(rule)) {
            Optional<List<Symbol>> s = rule.compile(new NodeCtx(c.info(), ins, y, r));
            if (s.isEmpty() || s.get().size() != ins.size()) {
                failures.add("'" + n.name() + "' (" + n.kind() + "): rule '" + rule.name() + "' has no ONNX form");
                return ins.stream().map(x -> mul(x, 0)).toList();
            }
            return s.get();
        }
        if (rule == Propagations.pass() || rule == Propagations.bypass()) {
            Shape in = plan.graph.shapeOf(n.inputs().get(0));
            return List.of(in.equals(n.outputShape()) ? r : reshape(r, in));
        }
        if (rule == Propagations.winnerTakesAll()) {
            return List.of(toWinners(ins.get(0), r, indices));
        }
        boolean positive = rule == Propagations.proportionalPositive() || rule == Propagations.maxPoolAsSumPositive();
        // the denominator is a sum of non-negative terms when the parts are, or are made so
        boolean nonNegativeD = positive || n.inputs().stream().allMatch(nonNegative::contains);
        double eps = plan.settings.stabilizer();
        if (l instanceof Add) {
            List<Symbol> xs = positive ? ins.stream().map(this::positive).toList() : ins;
            Symbol s = stabilizedDivide(r, positive ? sum(xs) : y, null, eps, nonNegativeD);
            return xs.stream().map(x -> mul(x, s)).toList();
        }
        Symbol x = positive ? positive(ins.get(0)) : ins.get(0);
        if (l instanceof GlobalAvgPool) {
            Symbol z = positive ? op("GlobalAveragePool", List.of(x), Map.of()) : y;
            Shape in = plan.graph.shapeOf(n.inputs().get(0));
            Symbol s = stabilizedDivide(r, z, null, eps, nonNegativeD);
            return List.of(mul(x, mul(s, 1.0 / (in.dim(1) * in.dim(2)))));
        }
        if (l instanceof AvgPool2d p) {
            Symbol z = positive ? op("AveragePool", List.of(x), avgAttributes(p)) : y;
            Symbol s = stabilizedDivide(r, z, null, eps, nonNegativeD);
            Shape in = plan.graph.shapeOf(n.inputs().get(0));
            INDArray coefficient = avgCoefficients(p, in, n.outputShape());
            return List.of(mul(x, windowTranspose(mul(s, constant(coefficient)), in, p.kernelH(), p.kernelW(),
                    p.strideH(), p.strideW(), new long[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()},
                    n.outputShape())));
        }
        MaxPool2d p = (MaxPool2d) l;
        Shape in = plan.graph.shapeOf(n.inputs().get(0));
        long[] pads = {p.padTop(), p.padLeft(), p.padBottom(), p.padRight()};
        // the window sum, zero-padded: the average over the whole window times its size
        Symbol z = mul(op("AveragePool", List.of(x), Map.of("kernel_shape", new long[]{p.kernelH(), p.kernelW()},
                "strides", new long[]{p.strideH(), p.strideW()}, "pads", pads, "count_include_pad", 1L)),
                (double) p.kernelH() * p.kernelW());
        Symbol s = stabilizedDivide(r, z, null, eps, nonNegativeD);
        return List.of(mul(x, windowTranspose(s, in, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), pads,
                n.outputShape())));
    }

    /**
     * {@return a convolution kernel {@code [out, in/g, kh, kw]} as the kernel of its transpose written as a
     * convolution: {@code [in, out/g, kh, kw]}, the channel axes swapped within each group and the taps flipped}
     * (one array per kernel, made once)
     */
    private INDArray flipped(INDArray w, int groups) {
        return flippedKernels.computeIfAbsent(w, k -> {
            long out = w.size(0);
            long inG = w.size(1);
            long kh = w.size(2);
            long kw = w.size(3);
            long outG = out / groups;
            double[] src = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] dst = new double[src.length];
            for (long g = 0; g < groups; g++) {
                for (long o = 0; o < outG; o++) {
                    for (long i = 0; i < inG; i++) {
                        for (long y = 0; y < kh; y++) {
                            for (long x = 0; x < kw; x++) {
                                long from = (((g * outG + o) * inG + i) * kh + y) * kw + x;
                                long to = (((g * inG + i) * outG + o) * kh + (kh - 1 - y)) * kw + (kw - 1 - x);
                                dst[(int) to] = src[(int) from];
                            }
                        }
                    }
                }
            }
            return Nd4j.createFromArray(dst).reshape(groups * inG, outG, kh, kw).castTo(dtype);
        });
    }

    /** {@return each window's relevance added at its winner: the gradient's routing of a max pooling} */
    private Symbol toWinners(Symbol x, Symbol r, Symbol indices) {
        Symbol zeros = reshape1d(mul(x, 0));
        Symbol scattered = op("ScatterElements", List.of(zeros, reshape1d(indices), reshape1d(r)),
                Map.of("axis", 0L, "reduction", "add"));
        return op("Reshape", List.of(scattered, op("Shape", List.of(x), Map.of())), Map.of());
    }

    /** {@return the vector-Jacobian product of a node, as the reference engine's gradient rule computes it} */
    private List<Symbol> gradient(Node n, Symbol r, List<Symbol> ins, Symbol indices) {
        Layer l = n.layer();
        Symbol x = ins.get(0);
        Shape in = plan.graph.shapeOf(n.inputs().get(0));
        if (l instanceof Dense || l instanceof Conv2d) {
            Plan.Compiled c = plan.nodes.get(n.name());
            LinearLayer view = c.info().linear();
            return List.of(new Linear(c).transpose(r, view.weight()));
        } else if (l instanceof Relu) {
            Symbol open = op("Cast", List.of(op("Greater", List.of(x, scalar(0)), Map.of())),
                    Map.of("to", (long) elemType));
            return List.of(mul(r, open));
        } else if (l instanceof io.github.dtd4j.graph.Activation a) {
            return List.of(mul(activationDerivative(a, x), r));
        } else if (l instanceof MaxPool2d) {
            return List.of(toWinners(x, r, indices));
        } else if (l instanceof AvgPool2d p) {
            return List.of(windowTranspose(mul(r, constant(avgCoefficients(p, in, n.outputShape()))), in,
                    p.kernelH(), p.kernelW(), p.strideH(), p.strideW(),
                    new long[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()}, n.outputShape()));
        } else if (l instanceof GlobalAvgPool) {
            return List.of(op("Expand", List.of(mul(r, 1.0 / (in.dim(1) * in.dim(2))),
                    op("Shape", List.of(x), Map.of())), Map.of()));
        } else if (l instanceof Add) {
            return ins.stream().map(i -> r).toList();
        } else if (l instanceof BatchNorm b) {
            INDArray scale = b.scale().castTo(dtype).reshape(1, b.scale().length(), 1, 1);
            if (in.rank() == 1) {
                scale = scale.reshape(1, b.scale().length());
            }
            return List.of(mul(r, constant(scale)));
        }
        return List.of(in.equals(n.outputShape()) ? r : reshape(r, in));
    }

    /** A node's rule context on symbols, for rules of their own. */
    private final class NodeCtx implements io.github.dtd4j.spi.SymbolicNodeContext {
        private final io.github.dtd4j.spi.NodeInfo info;
        private final List<Symbol> inputs;
        private final Symbol output;
        private final Symbol relevance;

        NodeCtx(io.github.dtd4j.spi.NodeInfo info, List<Symbol> inputs, Symbol output, Symbol relevance) {
            this.info = info;
            this.inputs = inputs;
            this.output = output;
            this.relevance = relevance;
        }

        @Override
        public io.github.dtd4j.spi.NodeInfo node() {
            return info;
        }

        @Override
        public OnnxOps ops() {
            return OnnxCompiler.this;
        }

        @Override
        public List<Symbol> inputs() {
            return inputs;
        }

        @Override
        public Symbol output() {
            return output;
        }

        @Override
        public Symbol relevance() {
            return relevance;
        }
    }

    /** {@return per output position of an average pool, its coefficient 1/(taps counted), {@code [1,1,Ho,Wo]}} */
    private INDArray avgCoefficients(AvgPool2d p, Shape in, Shape out) {
        long ho = out.dim(1);
        long wo = out.dim(2);
        double[] c = new double[(int) (ho * wo)];
        for (int i = 0; i < ho; i++) {
            for (int j = 0; j < wo; j++) {
                long taps;
                if (p.countIncludePad()) {
                    taps = (long) p.kernelH() * p.kernelW();
                } else {
                    long r0 = (long) i * p.strideH() - p.padTop();
                    long c0 = (long) j * p.strideW() - p.padLeft();
                    long rows = Math.min(r0 + p.kernelH(), in.dim(1)) - Math.max(r0, 0);
                    long cols = Math.min(c0 + p.kernelW(), in.dim(2)) - Math.max(c0, 0);
                    taps = Math.max(rows, 0) * Math.max(cols, 0);
                }
                c[(int) (i * wo + j)] = taps == 0 ? 0 : 1.0 / taps;
            }
        }
        return Nd4j.createFromArray(c).reshape(1, 1, ho, wo).castTo(dtype);
    }

    /** {@return the transpose of a window sum: each output's value added to every input of its window} */
    private Symbol windowTranspose(Symbol s, Shape in, int kh, int kw, int sh, int sw, long[] pads, Shape out) {
        long channels = in.dim(0);
        INDArray ones = Nd4j.ones(dtype, channels, 1, kh, kw);
        return convTranspose(s, ones, new long[]{kh, kw}, new long[]{sh, sw}, pads, new long[]{1, 1}, channels, in,
                out);
    }

    private Symbol convTranspose(Symbol s, INDArray w, long[] kernel, long[] strides, long[] pads, long[] dilations,
                                 long groups, Shape in, Shape out) {
        long[] outputPadding = new long[2];
        for (int a = 0; a < 2; a++) {
            long natural = (out.dim(a + 1) - 1) * strides[a] - pads[a] - pads[a + 2] + dilations[a] * (kernel[a] - 1)
                    + 1;
            outputPadding[a] = in.dim(a + 1) - natural;
        }
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("kernel_shape", kernel);
        attrs.put("strides", strides);
        attrs.put("pads", pads);
        attrs.put("dilations", dilations);
        attrs.put("group", groups);
        if (outputPadding[0] != 0 || outputPadding[1] != 0) {
            attrs.put("output_padding", outputPadding);
        }
        return op("ConvTranspose", List.of(s, constant(w)), attrs);
    }

    private Symbol stabilizedDivide(Symbol r, Symbol d, double eps) {
        return stabilizedDivide(r, d, null, eps);
    }

    /** {@return r / stab(d + bias)}, booking what the bias term and the stabilizer take in the node's ledger */
    private Symbol stabilizedDivide(Symbol r, Symbol numerator, Symbol bias, double eps) {
        return stabilizedDivide(r, numerator, bias, eps, false);
    }

    /**
     * {@return r / stab(d + bias)}, booking the bias term's and the stabilizer's shares in the node's ledger; for a
     * denominator known never to be negative, stab adds +ε without testing the sign (what the test would give)
     */
    private Symbol stabilizedDivide(Symbol r, Symbol numerator, Symbol bias, double eps, boolean nonNegativeD) {
        Symbol d = bias == null ? numerator : add(numerator, bias);
        if (nonNegativeD) {
            Symbol s = op("Div", List.of(r, add(d, scalar(eps))), Map.of());
            stabilizerShares.add(mul(perSample(s), eps));
            if (bias != null) {
                biasShares.add(perSample(mul(bias, s)));
            }
            return s;
        }
        Symbol stab = op("Where", List.of(op("GreaterOrEqual", List.of(d, scalar(0)), Map.of()), scalar(eps),
                scalar(-eps)), Map.of());
        Symbol s = op("Div", List.of(r, add(d, stab)), Map.of());
        stabilizerShares.add(perSample(mul(stab, s)));
        if (bias != null) {
            biasShares.add(perSample(mul(bias, s)));
        }
        return s;
    }

    private Symbol reshape1d(Symbol s) {
        return op("Reshape", List.of(s, int64Vector(new long[]{-1})), Map.of());
    }

    /** A linear node's rule context on symbols. */
    private final class Ctx implements SymbolicRuleContext {
        private final Plan.Compiled c;
        private final Symbol x;
        private final Symbol y;
        private final Symbol r;

        Ctx(Plan.Compiled c, Symbol x, Symbol y, Symbol r) {
            this.c = c;
            this.x = x;
            this.y = y;
            this.r = r;
        }

        @Override
        public SymbolicLinearLayer layer() {
            return new Linear(c);
        }

        @Override
        public OnnxOps ops() {
            return OnnxCompiler.this;
        }

        @Override
        public Symbol input() {
            return x;
        }

        @Override
        public Symbol output() {
            return y;
        }

        @Override
        public Symbol relevance() {
            return r;
        }

        @Override
        public INDArray bias() {
            return c.bias();
        }

        @Override
        public double stabilizer() {
            return plan.settings.stabilizer();
        }

        @Override
        public Symbol divide(Symbol relevance, Symbol numeratorSum, Symbol biasTerm) {
            return divide(relevance, numeratorSum, biasTerm, plan.settings.stabilizer());
        }

        @Override
        public Symbol divideNonNegative(Symbol relevance, Symbol numeratorSum, Symbol biasTerm) {
            return stabilizedDivide(relevance, numeratorSum, biasTerm, plan.settings.stabilizer(), true);
        }

        @Override
        public Symbol divide(Symbol relevance, Symbol numeratorSum, Symbol biasTerm, double epsilon) {
            return stabilizedDivide(relevance, numeratorSum, biasTerm, epsilon);
        }

        @Override
        public boolean inputNonNegative() {
            return nonNegative.contains(c.info().inputNames().get(0));
        }

        @Override
        public Symbol perInputChannel(double[] values) {
            Shape in = c.info().inputShapes().get(0);
            INDArray v = Nd4j.createFromArray(values).castTo(dtype);
            if (values.length == 1) {
                return constant(v.reshape(new long[0]));
            }
            long[] dims = new long[in.rank() + 1];
            java.util.Arrays.fill(dims, 1);
            dims[1] = values.length;
            if (in.rank() == 1) {
                dims = new long[]{1, values.length};
            }
            return constant(v.reshape(dims));
        }

    }

    /** A linear node's maps on symbols. */
    private final class Linear implements SymbolicLinearLayer {
        private final Plan.Compiled c;

        Linear(Plan.Compiled c) {
            this.c = c;
        }

        @Override
        public LinearLayer layer() {
            return c.info().linear();
        }

        @Override
        public Symbol forward(Symbol in, INDArray w) {
            Layer l = c.info().layer();
            if (l instanceof Dense) {
                return op("MatMul", List.of(in, constant(w)), Map.of());
            } else if (l instanceof Conv2d conv) {
                return op("Conv", List.of(in, constant(w)), convAttributes(conv));
            }
            return OnnxCompiler.this.mul(in, perOutput(w));
        }

        @Override
        public Symbol transpose(Symbol s, INDArray w) {
            Layer l = c.info().layer();
            if (l instanceof Dense && c.info().outputShape().rank() == 1) {
                // s · Wᵀ without a transposed copy of W
                return op("Gemm", List.of(s, constant(w)), Map.of("transB", 1L));
            } else if (l instanceof Dense) {
                return op("MatMul", List.of(s, constant(w.transpose().dup('c'))), Map.of());
            } else if (l instanceof Conv2d conv && conv.strideH() == 1 && conv.strideW() == 1
                    && conv.padTop() <= conv.dilationH() * (w.size(2) - 1)
                    && conv.padBottom() <= conv.dilationH() * (w.size(2) - 1)
                    && conv.padLeft() <= conv.dilationW() * (w.size(3) - 1)
                    && conv.padRight() <= conv.dilationW() * (w.size(3) - 1)) {
                // stride 1: the transposed convolution is a convolution with the kernel flipped and its channel
                // axes swapped, which ONNX Runtime runs at its (faster) Conv speed
                long eh = conv.dilationH() * (w.size(2) - 1);
                long ew = conv.dilationW() * (w.size(3) - 1);
                Map<String, Object> attrs = new LinkedHashMap<>();
                attrs.put("kernel_shape", new long[]{w.size(2), w.size(3)});
                attrs.put("pads", new long[]{eh - conv.padTop(), ew - conv.padLeft(), eh - conv.padBottom(),
                    ew - conv.padRight()});
                attrs.put("dilations", new long[]{conv.dilationH(), conv.dilationW()});
                attrs.put("group", (long) conv.groups());
                return op("Conv", List.of(s, constant(flipped(w, conv.groups()))), attrs);
            } else if (l instanceof Conv2d conv) {
                Shape in = c.info().inputShapes().get(0);
                return convTranspose(s, w, new long[]{w.size(2), w.size(3)}, new long[]{conv.strideH(),
                    conv.strideW()}, new long[]{conv.padTop(), conv.padLeft(), conv.padBottom(), conv.padRight()},
                        new long[]{conv.dilationH(), conv.dilationW()}, conv.groups(), in, c.info().outputShape());
            }
            return OnnxCompiler.this.mul(s, perOutput(w));
        }

        @Override
        public Symbol perOutput(INDArray b) {
            Shape out = c.info().outputShape();
            if (c.info().layer() instanceof Dense || out.rank() == 1) {
                return constant(b.reshape(new long[]{b.length()}));
            }
            long[] dims = new long[out.rank() + 1];
            java.util.Arrays.fill(dims, 1);
            dims[1] = b.length();
            return constant(b.reshape(dims));
        }
    }

    // ------------------------------------------------------------------------------------------------ OnnxOps

    @Override
    public Symbol constant(INDArray value) {
        Symbol s = constants.get(value);
        if (s != null) {
            return s;
        }
        // an array already in the precision and C order, not a view, is used as it is (no copy of the weights)
        INDArray v = value.dataType() == dtype && value.ordering() == 'c' && !value.isView()
                && value.length() == value.data().length() ? value : value.castTo(dtype).dup('c');
        String name = "c" + (counter++);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType);
        for (long d : v.shape()) {
            t.addDims(d);
        }
        long bytes = v.length() * (dtype == DataType.DOUBLE ? 8 : 4);
        if (dataFile != null && v.length() >= EXTERNAL_ELEMENTS) {
            t.setDataLocation(TensorProto.DataLocation.EXTERNAL);
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(dataFile));
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset")
                    .setValue(Long.toString(externalOffset)));
            t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(bytes)));
            externalOffset += bytes;
            external.put(name, v);
            graph.addInitializer(t);
            s = new Symbol(name);
            constants.put(value, s);
            return s;
        }
        inlineBytes += bytes;
        if (inlineBytes > INLINE_LIMIT) {
            throw new ConfigurationException("toOnnx: the compiled graph's constants pass 2 GB, more than one ONNX file"
                    + " holds; write it with Explainer.writeOnnx(path), which keeps the weights in a file beside it");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) v.length() * (dtype == DataType.DOUBLE ? 8 : 4))
                .order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DataType.DOUBLE) {
            for (double d : v.data().asDouble()) {
                buf.putDouble(d);
            }
        } else {
            for (float f : v.data().asFloat()) {
                buf.putFloat(f);
            }
        }
        t.setRawData(ByteString.copyFrom(buf.array()));
        graph.addInitializer(t);
        s = new Symbol(name);
        constants.put(value, s);
        return s;
    }

    @Override
    public Symbol scalar(double value) {
        String key = Double.toString(value);
        Symbol s = scalars.get(key);
        if (s == null) {
            s = constant(Nd4j.scalar(value).castTo(dtype));
            scalars.put(key, s);
        }
        return s;
    }

    private Symbol int64(long value) {
        return int64Tensor(new long[]{value}, new long[0]);
    }

    private Symbol int64Vector(long[] values) {
        return int64Tensor(values, new long[]{values.length});
    }

    private Symbol int64Tensor(long[] values, long[] dims) {
        String name = "c" + (counter++);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return new Symbol(name);
    }

    @Override
    public Symbol op(String type, List<Symbol> inputs, Map<String, Object> attributes) {
        return node(type, inputs, attributes, 1)[0];
    }

    private Symbol[] op2(String type, List<Symbol> inputs, Map<String, Object> attributes) {
        return node(type, inputs, attributes, 2);
    }

    private Symbol[] node(String type, List<Symbol> inputs, Map<String, Object> attributes, int outputs) {
        String base = "n" + (counter++);
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(type).setName(base + "_" + type);
        for (Symbol s : inputs) {
            b.addInput(s.name());
        }
        Symbol[] out = new Symbol[outputs];
        for (int k = 0; k < outputs; k++) {
            out[k] = new Symbol(base + (k == 0 ? "" : "_" + k));
            b.addOutput(out[k].name());
        }
        // by name: the model's bytes do not depend on a map's iteration order
        new java.util.TreeMap<>(attributes).forEach((k, v) -> b.addAttribute(attribute(k, v)));
        graph.addNode(b);
        return out;
    }

    private static AttributeProto attribute(String name, Object v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        if (v instanceof Long || v instanceof Integer) {
            a.setType(AttributeProto.AttributeType.INT).setI(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            a.setType(AttributeProto.AttributeType.FLOAT).setF(((Number) v).floatValue());
        } else if (v instanceof String s) {
            a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else if (v instanceof long[] ls) {
            a.setType(AttributeProto.AttributeType.INTS);
            for (long l : ls) {
                a.addInts(l);
            }
        } else if (v instanceof double[] ds) {
            a.setType(AttributeProto.AttributeType.FLOATS);
            for (double d : ds) {
                a.addFloats((float) d);
            }
        } else {
            throw new IllegalArgumentException("attribute " + name + ": unsupported value " + v);
        }
        return a.build();
    }

    private static ValueInfoProto valueInfo(String name, int elemType, Shape perSample) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        if (perSample != null) {
            for (long d : perSample.dims()) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }
}
