package io.github.dtd4j.onnx;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.onnx.Value.Act;
import io.github.dtd4j.onnx.Value.Padded;
import io.github.dtd4j.onnx.Value.Poisoned;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Converts one parsed ONNX model into a {@link Graph}. One instance per import; not thread-safe.
 *
 * <p>Order of work: structure (graph present, one input, one output, every edge produced exactly once, no cycle,
 * nodes sorted topologically), then operator support (every node whose operator or domain is unknown is listed),
 * then conversion node by node with shapes, which finds the remaining unsupported uses (a Softmax that is not final,
 * a Reshape that would mix the batch into a sample, ...). Nodes that read an unsupported node's output are skipped
 * rather than reported twice. If anything was unsupported, one {@link UnsupportedModelException} lists it all.
 */
final class OnnxImporter {
    static final long MIN_OPSET = 11;
    static final long MAX_OPSET = 17;
    /** Largest activation per sample we accept (elements); more would need absurd memory at run time. */
    static final long MAX_SAMPLE_ELEMENTS = Integer.MAX_VALUE;
    /** Largest kernel, stride, dilation or padding we accept. */
    static final long MAX_GEOMETRY = 1 << 20;
    static final String DEFAULT_DOMAIN = "ai.onnx";

    static final Set<String> OPERATORS = Collections.unmodifiableSet(new TreeSet<>(List.of(
            "Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant", "Conv", "Dropout", "Flatten",
            "Gather", "Gemm", "GlobalAveragePool", "Identity", "LRN", "MatMul", "MaxPool", "Pad", "ReduceSum",
            "Relu", "Reshape", "Shape", "Softmax", "Sub", "Unsqueeze")));

    /** A node of the graph being built; mutable until the graph is built (bias fusion replaces the layer). */
    private static final class PNode {
        final String name;
        Layer layer;
        final List<String> inputs;
        final Shape shape;
        /** The ONNX value this node's output is known by (a fused bias Add moves it on). */
        String onnxOutput;
        /** What this node came from, for provenance when it ends up unused. */
        String absorbedInto;

        PNode(String name, Layer layer, List<String> inputs, Shape shape, String onnxOutput) {
            this.name = name;
            this.layer = layer;
            this.inputs = inputs;
            this.shape = shape;
            this.onnxOutput = onnxOutput;
        }
    }

    private final String source;
    private final OnnxTensors tensors;

    private GraphProto graph;
    private long opset;
    private DataType dtype;
    private String inputName;
    private Shape inputShape;
    private long staticBatch = -1;
    private final Map<String, Long> opsets = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Integer> readers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final List<PNode> nodes = new ArrayList<>();
    private final Map<String, PNode> byName = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    private final List<UnsupportedModelException.Part> unsupported = new ArrayList<>();
    private final Map<String, String> provenance = new LinkedHashMap<>();
    private int foldedNodes;
    private NodeProto current;

    OnnxImporter(String source, OnnxTensors tensors) {
        this.source = source;
        this.tensors = tensors;
    }

    // ------------------------------------------------------------------------------------------------ top level

    Graph convert(ModelProto model) {
        if (!model.hasGraph()) {
            throw invalid("has no graph (is this an ONNX model file?)");
        }
        graph = model.getGraph();
        readOpsets(model);
        provenance.put("source", source);
        provenance.put("format", "ONNX IR version " + model.getIrVersion() + ", opset " + DEFAULT_DOMAIN + " " + opset);
        String producer = (model.getProducerName() + " " + model.getProducerVersion()).trim();
        provenance.put("producer", producer.isEmpty() ? "(not recorded)" : producer);
        if (!graph.getName().isEmpty()) {
            provenance.put("graph", graph.getName());
        }

        List<NodeProto> order = structure();
        readInput();
        boolean[] skip = checkOperators(order);
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            unsupported.add(0, part("(model)", "", DEFAULT_DOMAIN, opset, "opset " + opset + " of "
                    + DEFAULT_DOMAIN + " is outside the supported range " + MIN_OPSET + "-" + MAX_OPSET
                    + "; re-export the model with an opset in that range"));
            throw new UnsupportedModelException(source, unsupported);
        }
        for (int k = 0; k < order.size(); k++) {
            NodeProto n = order.get(k);
            current = n;
            if (skip[k] || readsPoison(n)) {
                poisonOutputs(n);
                continue;
            }
            try {
                convertNode(n);
                for (int o = 0; o < n.getOutputCount(); o++) {
                    String out = n.getOutput(o);
                    if (!out.isEmpty() && !values.containsKey(out)) {
                        if (isRead(out)) {
                            throw new NotSupported("its output " + o + " ('" + out + "') is used, which dtd4j cannot "
                                    + "compute");
                        }
                        values.put(out, new Poisoned());
                    }
                }
            } catch (NotSupported e) {
                unsupported.add(unsupportedNode(n, e.getMessage()));
                poisonOutputs(n);
            } catch (InvalidGraphException e) {
                throw new ModelFormatException(source + ": " + where(n) + e.getMessage(), e);
            }
        }
        current = null;
        Act out = outputAct();
        if (!unsupported.isEmpty()) {
            throw new UnsupportedModelException(source, unsupported);
        }
        return build(out);
    }

    private void readOpsets(ModelProto model) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String domain = o.getDomain().isEmpty() ? DEFAULT_DOMAIN : o.getDomain();
            if (opsets.put(domain, o.getVersion()) != null) {
                throw invalid("imports the operator set '" + domain + "' twice");
            }
        }
        Long v = opsets.get(DEFAULT_DOMAIN);
        if (v == null) {
            throw invalid("imports no version of the default operator set " + DEFAULT_DOMAIN);
        }
        opset = v;
    }

    /**
     * Checks that every edge is produced exactly once and that there is no cycle.
     *
     * @return the nodes in a topological order (the file's order where it already is one)
     */
    private List<NodeProto> structure() {
        List<NodeProto> all = graph.getNodeList();
        Set<String> sources = new HashSet<>();
        for (TensorProto t : graph.getInitializerList()) {
            if (initializers.put(t.getName(), t) != null) {
                throw invalid("has two initializers named '" + t.getName() + "'");
            }
            sources.add(t.getName());
        }
        if (graph.getSparseInitializerCount() > 0) {
            throw new UnsupportedModelException(source, List.of(part("(model)", "", DEFAULT_DOMAIN,
                    opset, "sparse initializers are not supported")));
        }
        for (ValueInfoProto in : graph.getInputList()) {
            sources.add(in.getName());
        }
        Map<String, Integer> producer = new HashMap<>();
        for (int k = 0; k < all.size(); k++) {
            NodeProto n = all.get(k);
            for (String out : n.getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (sources.contains(out) || producer.put(out, k) != null) {
                    throw invalid(where(n) + "writes '" + out + "', which another node, an initializer or a graph "
                            + "input already defines");
                }
            }
        }
        int[] indegree = new int[all.size()];
        List<List<Integer>> next = new ArrayList<>(all.size());
        for (int k = 0; k < all.size(); k++) {
            next.add(new ArrayList<>());
        }
        for (int k = 0; k < all.size(); k++) {
            NodeProto n = all.get(k);
            for (String in : n.getInputList()) {
                if (in.isEmpty()) {
                    continue;
                }
                readers.merge(in, 1, Integer::sum);
                Integer p = producer.get(in);
                if (p != null) {
                    indegree[k]++;
                    next.get(p).add(k);
                } else if (!sources.contains(in)) {
                    throw invalid(where(n) + "reads '" + in + "', which no node, initializer or graph input produces");
                }
            }
        }
        for (ValueInfoProto out : graph.getOutputList()) {
            if (!producer.containsKey(out.getName()) && !sources.contains(out.getName())) {
                throw invalid("graph output '" + out.getName() + "' is produced by no node");
            }
            graphOutputs.add(out.getName());
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int k = 0; k < all.size(); k++) {
            if (indegree[k] == 0) {
                ready.add(k);
            }
        }
        List<NodeProto> order = new ArrayList<>(all.size());
        while (!ready.isEmpty()) {
            int k = ready.poll();
            order.add(all.get(k));
            for (int j : next.get(k)) {
                if (--indegree[j] == 0) {
                    ready.add(j);
                }
            }
        }
        if (order.size() < all.size()) {
            List<String> stuck = new ArrayList<>();
            for (int k = 0; k < all.size() && stuck.size() < 8; k++) {
                if (indegree[k] > 0) {
                    stuck.add("'" + display(all.get(k)) + "' (" + all.get(k).getOpType() + ")");
                }
            }
            throw invalid("has a cycle: " + (all.size() - order.size()) + " nodes depend on their own output, "
                    + "among them " + String.join(", ", stuck));
        }
        return order;
    }

    private void readInput() {
        List<ValueInfoProto> inputs = new ArrayList<>();
        for (ValueInfoProto in : graph.getInputList()) {
            if (!initializers.containsKey(in.getName())) {
                inputs.add(in);
            }
        }
        if (inputs.isEmpty()) {
            throw invalid("has no graph input (every input is an initializer)");
        }
        if (inputs.size() > 1 || graph.getOutputCount() != 1) {
            List<String> in = inputs.stream().map(ValueInfoProto::getName).toList();
            List<String> out = graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
            throw new UnsupportedModelException(source, List.of(part("(model)", "", DEFAULT_DOMAIN,
                    opset, "dtd4j imports models with one input and one output; this one has inputs " + in
                    + " and outputs " + out)));
        }
        ValueInfoProto in = inputs.get(0);
        inputName = in.getName();
        if (inputName.isBlank()) {
            throw invalid("its graph input has no name");
        }
        TypeProto type = in.getType();
        if (!type.hasTensorType()) {
            throw invalid("graph input '" + inputName + "' is not a tensor");
        }
        int elem = type.getTensorType().getElemType();
        if (elem == OnnxTensors.FLOAT) {
            dtype = DataType.FLOAT;
        } else if (elem == OnnxTensors.DOUBLE) {
            dtype = DataType.DOUBLE;
        } else {
            throw new UnsupportedModelException(source, List.of(part("(model)", "", DEFAULT_DOMAIN,
                    opset, "graph input '" + inputName + "' has element type " + OnnxTensors.typeName(elem)
                    + "; dtd4j imports FLOAT and DOUBLE models")));
        }
        if (!type.getTensorType().hasShape()) {
            throw invalid("graph input '" + inputName + "' has no shape; dtd4j needs the shape of one sample");
        }
        TensorShapeProto shape = type.getTensorType().getShape();
        int rank = shape.getDimCount();
        if (rank < 2) {
            throw new UnsupportedModelException(source, List.of(part("(model)", "", DEFAULT_DOMAIN,
                    opset, "graph input '" + inputName + "' has rank " + rank + "; dtd4j needs [batch, ...]")));
        }
        long[] dims = new long[rank - 1];
        long size = 1;
        for (int k = 1; k < rank; k++) {
            TensorShapeProto.Dimension d = shape.getDim(k);
            if (!d.hasDimValue() || d.getDimValue() <= 0) {
                throw invalid("graph input '" + inputName + "' has dimension " + k + " = "
                        + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : d.hasDimValue() ? d.getDimValue() : "?")
                        + "; dtd4j needs a fixed, positive size for every dimension but the batch");
            }
            dims[k - 1] = d.getDimValue();
            size = boundedProduct(size, dims[k - 1]);
        }
        if (size > MAX_SAMPLE_ELEMENTS) {
            throw invalid("graph input '" + inputName + "' has " + Arrays.toString(dims) + " elements per sample, more "
                    + "than the " + MAX_SAMPLE_ELEMENTS + " dtd4j accepts");
        }
        TensorShapeProto.Dimension batch = shape.getDim(0);
        if (batch.hasDimValue() && batch.getDimValue() > 0) {
            staticBatch = batch.getDimValue();
        }
        inputShape = Shape.of(dims);
        names.add(inputName);
        values.put(inputName, new Act(inputName, inputShape));
    }

    /** Lists nodes whose domain or operator is unknown; {@return which nodes to skip}. */
    private boolean[] checkOperators(List<NodeProto> order) {
        boolean[] skip = new boolean[order.size()];
        for (int k = 0; k < order.size(); k++) {
            NodeProto n = order.get(k);
            String domain = domainOf(n);
            String reason = null;
            if (!domain.equals(DEFAULT_DOMAIN)) {
                reason = "operators of the domain '" + domain + "' are not supported";
            } else if (!OPERATORS.contains(n.getOpType())) {
                reason = "operator not supported";
            }
            if (reason != null) {
                unsupported.add(unsupportedNode(n, reason));
                skip[k] = true;
            }
        }
        return skip;
    }

    private Act outputAct() {
        String out = graph.getOutput(0).getName();
        Value v;
        try {
            v = value(out);
        } catch (NotSupported e) {
            unsupported.add(part(out, "", DEFAULT_DOMAIN, opset, e.getMessage()));
            return null;
        }
        if (v instanceof Act a) {
            return a;
        }
        if (v instanceof Padded) {
            unsupported.add(part(out, "Pad", DEFAULT_DOMAIN, opset, "a Pad whose result is the "
                    + "model's output"));
        } else if (v instanceof Const) {
            throw invalid("its output '" + out + "' is a constant that does not depend on the input");
        }
        return null;
    }

    private Graph build(Act out) {
        if (out.node().equals(inputName)) {
            out = emit(null, unique(graph.getOutput(0).getName()), new Identity(), List.of(inputName));
        }
        Set<String> live = new HashSet<>();
        live.add(out.node());
        for (int k = nodes.size() - 1; k >= 0; k--) {
            PNode p = nodes.get(k);
            if (live.contains(p.name)) {
                live.addAll(p.inputs);
            }
        }
        GraphBuilder b = Graph.builder(inputName, inputShape);
        List<String> unused = new ArrayList<>();
        for (PNode p : nodes) {
            if (live.contains(p.name)) {
                b.add(p.name, p.layer, p.inputs);
            } else if (p.absorbedInto == null) {
                unused.add(p.name);
            }
        }
        if (foldedNodes > 0) {
            provenance.merge("evaluated at import", foldedNodes + " shape-computation/constant nodes", this::join);
        }
        if (!unused.isEmpty()) {
            provenance.merge("removed", "nodes that do not reach the output: " + unused, this::join);
        }
        provenance.forEach(b::provenance);
        try {
            return b.output(out.node()).build();
        } catch (InvalidGraphException e) {
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ per node

    private void convertNode(NodeProto n) {
        Attrs a = new Attrs(n, m -> invalid(where(n) + m));
        switch (n.getOpType()) {
            case "Conv" -> conv(n, a);
            case "Gemm" -> gemm(n, a);
            case "MatMul" -> matMul(n);
            case "Add", "Sub" -> add(n);
            case "Relu" -> set(n, emit(n, layerName(n, null), new Relu(), List.of(act(n, 0).node())));
            case "MaxPool" -> maxPool(n, a);
            case "AveragePool" -> avgPool(n, a);
            case "GlobalAveragePool" -> set(n, emit(n, layerName(n, null), new GlobalAvgPool(),
                    List.of(image(n, 0).node())));
            case "BatchNormalization" -> batchNorm(n, a);
            case "Concat" -> concat(n, a);
            case "Flatten" -> flatten(n, a);
            case "Reshape" -> reshape(n, a);
            case "ReduceSum" -> reduceSum(n, a);
            case "Identity" -> identity(n);
            case "Dropout" -> dropout(n, a);
            case "Constant" -> constant(n, a);
            case "LRN" -> lrn(n, a);
            case "Softmax" -> softmax(n, a);
            case "Pad" -> pad(n, a);
            case "Shape" -> shape(n, a);
            case "Gather" -> gather(n, a);
            case "Unsqueeze" -> unsqueeze(n, a);
            case "Cast" -> cast(n, a);
            default -> throw new NotSupported("operator not supported");
        }
    }

    private void conv(NodeProto n, Attrs a) {
        Value xv = input(n, 0);
        Act x = xv instanceof Padded p ? p.act() : act(n, 0);
        Const w = constant(n, 1, "the weight");
        Const b = optionalConstant(n, 2, "the bias");
        if (w.rank() != 4) {
            if (w.rank() == 3 || w.rank() == 5) {
                throw new NotSupported((w.rank() - 2) + "-D convolutions are not supported (2-D only)");
            }
            throw invalid(where(n) + "weight has rank " + w.rank() + ", a 2-D convolution needs [out,in,kh,kw]");
        }
        requireImage(n, x);
        int kh = geometry(n, "kernel height", w.dims[2], 1);
        int kw = geometry(n, "kernel width", w.dims[3], 1);
        long[] ks = a.ints("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw invalid(where(n) + "kernel_shape " + Arrays.toString(ks) + " does not match the weight "
                    + Arrays.toString(w.dims));
        }
        int[] stride = pair(n, a, "strides", 1);
        int[] dil = pair(n, a, "dilations", 1);
        long group = a.i("group", 1);
        if (group < 1 || group > w.dims[0]) {
            throw invalid(where(n) + "group " + group + " is not between 1 and the " + w.dims[0] + " output channels");
        }
        int[] extra = xv instanceof Padded p ? p.pads() : new int[4];
        long h = x.shape().dim(1) + extra[0] + extra[2];
        long wd = x.shape().dim(2) + extra[1] + extra[3];
        int[] pads = pads(n, a, h, wd, new int[]{(kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1}, stride);
        for (int k = 0; k < 4; k++) {
            pads[k] = geometry(n, "padding", (long) pads[k] + extra[k], 0);
        }
        if (b != null && b.length() != w.dims[0]) {
            throw invalid(where(n) + "bias has " + b.length() + " values for " + w.dims[0] + " output channels");
        }
        Conv2d conv = new Conv2d(w.toArray(dtype), b == null ? null : b.toArray(dtype, b.length()), stride[0],
                stride[1], pads[0], pads[1], pads[2], pads[3], dil[0], dil[1], (int) group);
        String name = layerName(n, w);
        set(n, emit(n, name, conv, List.of(x.node())));
        if (xv instanceof Padded p) {
            note("merged", "Pad '" + p.padNode() + "' into Conv2d '" + name + "'");
        }
    }

    private void gemm(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        Const bm = constant(n, 1, "B (the weight)");
        Const c = optionalConstant(n, 2, "C (the bias)");
        if (a.i("transA", 0) != 0) {
            throw new NotSupported("transA=1 would mix the batch into the features");
        }
        if (x.shape().rank() != 1) {
            throw invalid(where(n) + "A must be [N,K], got " + x.shape().toBatchString());
        }
        if (bm.rank() != 2) {
            throw invalid(where(n) + "B must be a matrix, got dimensions " + Arrays.toString(bm.dims));
        }
        boolean transB = a.i("transB", 0) != 0;
        double alpha = a.f("alpha", 1.0);
        double beta = a.f("beta", 1.0);
        INDArray w = bm.toArray(dtype);
        if (transB) {
            w = w.transpose().dup('c');
        }
        if (alpha != 1.0) {
            w = w.mul(alpha);
        }
        long m = w.size(1);
        INDArray bias = null;
        if (c != null && beta != 0.0) {
            bias = rowBias(n, c, m, "C");
            if (beta != 1.0) {
                bias = bias.mul(beta);
            }
        }
        set(n, emit(n, layerName(n, bm), new Dense(w, bias), List.of(x.node())));
    }

    private void matMul(NodeProto n) {
        if (input(n, 0) instanceof Const && input(n, 1) instanceof Act) {
            throw new NotSupported("a constant times an activation (only activation × constant maps to Dense)");
        }
        Act x = act(n, 0);
        Const w = constant(n, 1, "the second operand");
        if (x.shape().rank() != 1) {
            throw new NotSupported("MatMul of a rank-" + (x.shape().rank() + 1) + " activation "
                    + x.shape().toBatchString() + " (only [N,K] × [K,M] maps to Dense)");
        }
        if (w.rank() != 2) {
            throw new NotSupported("MatMul with a rank-" + w.rank() + " constant (only [N,K] × [K,M] maps to Dense)");
        }
        set(n, emit(n, layerName(n, w), new Dense(w.toArray(dtype), null), List.of(x.node())));
    }

    private void add(NodeProto n) {
        boolean sub = n.getOpType().equals("Sub");
        Value x = input(n, 0);
        Value y = input(n, 1);
        if (x == null || y == null) {
            throw invalid(where(n) + "needs two inputs");
        }
        if (x instanceof Act ax && y instanceof Act ay) {
            if (sub) {
                throw new NotSupported("the difference of two activations");
            }
            if (!ax.shape().equals(ay.shape())) {
                throw new NotSupported("adding activations of different shapes " + ax.shape().toBatchString() + " and "
                        + ay.shape().toBatchString() + " (broadcasting)");
            }
            set(n, emit(n, layerName(n, null), new Add(), List.of(ax.node(), ay.node())));
            return;
        }
        if (x instanceof Const cx && y instanceof Const cy) {
            set(n, foldArithmetic(n, cx, cy, sub));
            return;
        }
        if (x instanceof Padded || y instanceof Padded) {
            throw new NotSupported("a Pad before " + n.getOpType());
        }
        Act act = x instanceof Act ax ? ax : (Act) y;
        Const c = x instanceof Const cx ? cx : (Const) y;
        if (sub && x instanceof Const) {
            throw new NotSupported("a constant minus an activation");
        }
        String read = x instanceof Act ? n.getInput(0) : n.getInput(1);
        PNode p = byName.get(act.node());
        boolean fusable = p != null && (p.layer instanceof Dense || p.layer instanceof Conv2d)
                && read.equals(p.onnxOutput) && readers.getOrDefault(read, 0) == 1 && !graphOutputs.contains(read);
        if (!fusable) {
            throw new NotSupported("adding a constant is supported only as the bias of the Conv, Gemm or MatMul "
                    + "whose output it reads (and that nothing else reads)");
        }
        if (p.layer instanceof Dense d) {
            INDArray v = rowBias(n, c, d.outFeatures(), "the constant");
            if (sub) {
                v = v.neg();
            }
            p.layer = new Dense(d.weight(), d.bias() == null ? v : d.bias().add(v));
        } else {
            Conv2d conv = (Conv2d) p.layer;
            INDArray v = channelBias(n, c, conv.outChannels());
            if (sub) {
                v = v.neg();
            }
            p.layer = conv.withWeights(conv.weight(), conv.bias() == null ? v : conv.bias().add(v));
        }
        note("fused", n.getOpType() + " '" + display(n) + "' into the bias of " + p.layer.kind() + " '" + p.name + "'");
        p.onnxOutput = n.getOutput(0);
        set(n, act);
    }

    private void maxPool(NodeProto n, Attrs a) {
        if (input(n, 0) instanceof Padded p) {
            throw new NotSupported("Pad '" + p.padNode() + "' (zeros) before a MaxPool (which pads with -inf)");
        }
        Act x = image(n, 0);
        int[] k = kernel(n, a);
        int[] stride = pair(n, a, "strides", 1);
        int[] dil = pair(n, a, "dilations", 1);
        if (dil[0] != 1 || dil[1] != 1) {
            throw new NotSupported("dilated max pooling (dilations " + Arrays.toString(dil) + ")");
        }
        int[] pads = pads(n, a, x.shape().dim(1), x.shape().dim(2), k, stride);
        checkCeil(n, a, x, k, stride, pads);
        checkPoolPadding(n, k, pads);
        set(n, emit(n, layerName(n, null), new MaxPool2d(k[0], k[1], stride[0], stride[1], pads[0], pads[1], pads[2],
                pads[3]), List.of(x.node())));
    }

    private void avgPool(NodeProto n, Attrs a) {
        Value xv = input(n, 0);
        Act x = xv instanceof Padded p ? p.act() : image(n, 0);
        requireImage(n, x);
        int[] k = kernel(n, a);
        int[] stride = pair(n, a, "strides", 1);
        long[] dil = a.ints("dilations");
        if (dil != null && Arrays.stream(dil).anyMatch(d -> d != 1)) {
            throw new NotSupported("dilated average pooling");
        }
        int[] extra = xv instanceof Padded p ? p.pads() : new int[4];
        long h = x.shape().dim(1) + extra[0] + extra[2];
        long w = x.shape().dim(2) + extra[1] + extra[3];
        int[] pads = pads(n, a, h, w, k, stride);
        checkCeil(n, a, new Act(x.node(), Shape.of(x.shape().dim(0), h, w)), k, stride, pads);
        boolean countPad = a.i("count_include_pad", 0) != 0;
        if (xv instanceof Padded p) {
            if (!countPad && Arrays.stream(pads).anyMatch(v -> v != 0)) {
                throw new NotSupported("Pad '" + p.padNode() + "' before an AveragePool that pads again with "
                        + "count_include_pad=0");
            }
            for (int i = 0; i < 4; i++) {
                pads[i] = geometry(n, "padding", (long) pads[i] + extra[i], 0);
            }
            countPad = true;
        }
        checkPoolPadding(n, k, pads);
        String name = layerName(n, null);
        set(n, emit(n, name, new AvgPool2d(k[0], k[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3],
                countPad), List.of(x.node())));
        if (xv instanceof Padded p) {
            note("merged", "Pad '" + p.padNode() + "' into AvgPool2d '" + name + "' (count_include_pad)");
        }
    }

    private void batchNorm(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        Const scale = constant(n, 1, "scale");
        Const bias = constant(n, 2, "B");
        Const mean = constant(n, 3, "input_mean");
        Const var = constant(n, 4, "input_var");
        if (a.i("training_mode", 0) != 0) {
            throw new NotSupported("training_mode=1 (statistics of the batch)");
        }
        for (int o = 1; o < n.getOutputCount(); o++) {
            if (isRead(n.getOutput(o))) {
                throw new NotSupported("its training outputs (running mean/variance) are used");
            }
        }
        if (x.shape().rank() != 1 && x.shape().rank() != 3) {
            throw new NotSupported("BatchNormalization of a rank-" + (x.shape().rank() + 1) + " tensor "
                    + x.shape().toBatchString() + " (supported: [N,C] and [N,C,H,W])");
        }
        long c = x.shape().dim(0);
        for (Const v : List.of(scale, bias, mean, var)) {
            if (v.length() != c) {
                throw invalid(where(n) + "its parameters must have " + c + " values (one per channel), got "
                        + Arrays.toString(v.dims));
            }
        }
        double eps = a.f("epsilon", 1e-5);
        BatchNorm bn = new BatchNorm(scale.toArray(dtype, c), bias.toArray(dtype, c), mean.toArray(dtype, c),
                var.toArray(dtype, c), eps);
        set(n, emit(n, layerName(n, scale), bn, List.of(x.node())));
    }

    private void concat(NodeProto n, Attrs a) {
        if (!a.has("axis")) {
            throw invalid(where(n) + "has no axis");
        }
        long axis = a.i("axis", 0);
        List<Value> ins = new ArrayList<>();
        for (int k = 0; k < n.getInputCount(); k++) {
            ins.add(input(n, k));
        }
        if (ins.isEmpty()) {
            throw invalid(where(n) + "has no inputs");
        }
        if (ins.stream().allMatch(v -> v instanceof Const)) {
            set(n, foldConcat(n, ins, axis));
            return;
        }
        List<String> from = new ArrayList<>();
        Shape first = null;
        for (int k = 0; k < ins.size(); k++) {
            if (!(ins.get(k) instanceof Act x)) {
                throw new NotSupported("concatenating an activation with a constant or a padded tensor");
            }
            first = first == null ? x.shape() : first;
            if (x.shape().rank() != first.rank()) {
                throw invalid(where(n) + "inputs of different ranks " + first.toBatchString() + " and "
                        + x.shape().toBatchString());
            }
            from.add(x.node());
        }
        int rank = first.rank() + 1;
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw invalid(where(n) + "axis " + axis + " is out of range for rank " + rank);
        }
        if (ax == 0) {
            throw new NotSupported("concatenation along the batch axis");
        }
        if (from.size() == 1) {
            set(n, (Act) ins.get(0));
            return;
        }
        set(n, emit(n, layerName(n, null), new Concat((int) ax - 1), from));
    }

    private void flatten(NodeProto n, Attrs a) {
        Value v = input(n, 0);
        long axis = a.i("axis", 1);
        if (v instanceof Const c) {
            int r = c.rank();
            long ax = axis < 0 ? axis + r : axis;
            if (ax < 0 || ax > r) {
                throw invalid(where(n) + "axis " + axis + " is out of range for rank " + r);
            }
            long outer = 1;
            for (int k = 0; k < ax; k++) {
                outer *= c.dims[k];
            }
            set(n, c.withDims(new long[]{outer, outer == 0 ? 0 : c.length() / outer}, c.origin));
            foldedNodes++;
            return;
        }
        Act x = act(n, 0);
        int rank = x.shape().rank() + 1;
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax > rank) {
            throw invalid(where(n) + "axis " + axis + " is out of range for rank " + rank);
        }
        if (ax != 1) {
            throw new NotSupported("Flatten with axis " + axis + " would mix the batch into the features (only axis "
                    + "1 is supported)");
        }
        if (x.shape().rank() == 1) {
            set(n, x);
            return;
        }
        set(n, emit(n, layerName(n, null), new Flatten(), List.of(x.node())));
    }

    private void reshape(NodeProto n, Attrs a) {
        Value v = input(n, 0);
        Const target = constant(n, 1, "the target shape");
        if (target.rank() != 1 || !target.isInt()) {
            throw invalid(where(n) + "its shape input must be a vector of integers, got " + target);
        }
        boolean allowZero = a.i("allowzero", 0) != 0;
        long[] t = target.longs();
        if (v instanceof Const c) {
            set(n, c.withDims(resolveConstShape(n, c, t, allowZero), c.origin));
            foldedNodes++;
            return;
        }
        Act x = act(n, 0);
        long per = x.shape().size();
        long[] in = x.shape().withBatch(Const.BATCH);
        for (int k = 0; k < t.length; k++) {
            if (t[k] == 0) {
                if (allowZero) {
                    throw new NotSupported("allowzero=1 with a 0 in the shape (empty tensors)");
                }
                if (k >= in.length) {
                    throw invalid(where(n) + "shape " + format(t) + " copies dimension " + k + " of a rank-"
                            + in.length + " input");
                }
                t[k] = in[k];
            }
        }
        if (t.length == 0) {
            throw new NotSupported("reshaping to a scalar would drop the batch dimension");
        }
        boolean batchFirst = t[0] == Const.BATCH || (staticBatch > 0 && t[0] == staticBatch);
        boolean inferredBatch = !batchFirst && t[0] == -1;
        if (!batchFirst && !inferredBatch) {
            throw mixesBatch(t);
        }
        long[] rest = Arrays.copyOfRange(t, 1, t.length);
        long known = 1;
        int unknown = -1;
        for (int k = 0; k < rest.length; k++) {
            if (rest[k] == -1 && unknown < 0 && !inferredBatch) {
                unknown = k;
            } else if (rest[k] == Const.BATCH || rest[k] == -1) {
                throw mixesBatch(t);
            } else if (rest[k] <= 0) {
                throw invalid(where(n) + "shape " + format(t) + " has an invalid dimension " + rest[k]);
            } else {
                known = boundedProduct(known, rest[k]);
            }
        }
        if (unknown >= 0) {
            if (per % known != 0) {
                throw invalid(where(n) + "cannot reshape " + x.shape().toBatchString() + " to " + format(t));
            }
            rest[unknown] = per / known;
        } else if (known != per) {
            if (t[0] != Const.BATCH) {
                throw mixesBatch(t);
            }
            throw invalid(where(n) + "cannot reshape " + x.shape().toBatchString() + " (" + per
                    + " elements per sample) to " + format(t));
        }
        Shape out = Shape.of(rest);
        if (out.equals(x.shape())) {
            set(n, x);
            return;
        }
        set(n, emit(n, layerName(n, null), new Reshape(out), List.of(x.node())));
    }

    private NotSupported mixesBatch(long[] t) {
        return new NotSupported("Reshape to " + format(t) + " would mix the batch dimension into a sample (the first "
                + "dimension must stay the batch)");
    }

    private void reduceSum(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        long[] axes;
        if (opset >= 13) {
            Const c = optionalConstant(n, 1, "axes");
            axes = c == null ? null : c.longs();
        } else {
            axes = a.ints("axes");
        }
        boolean keep = a.i("keepdims", 1) != 0;
        if (axes == null || axes.length == 0) {
            if (a.i("noop_with_empty_axes", 0) != 0) {
                set(n, x);
                return;
            }
            throw new NotSupported("summing over every axis, the batch included");
        }
        int rank = x.shape().rank() + 1;
        long ax = axes.length == 1 ? (axes[0] < 0 ? axes[0] + rank : axes[0]) : -1;
        if (ax != rank - 1) {
            throw new NotSupported("ReduceSum over axes " + Arrays.toString(axes) + " of a rank-" + rank + " tensor "
                    + "(only the last axis, as in x.view(N, D/k, k).sum(2), maps to SumPool)");
        }
        long[] dims = x.shape().dims();
        int k = (int) dims[dims.length - 1];
        long[] outDims = keep ? dims.clone() : Arrays.copyOf(dims, dims.length - 1);
        if (keep) {
            outDims[outDims.length - 1] = 1;
        }
        if (outDims.length == 0) {
            throw new NotSupported("summing a whole sample with keepdims=0 (the result has no per-sample axis)");
        }
        String name = layerName(n, null);
        String src = x.node();
        PNode p = byName.get(src);
        if (p != null && p.layer instanceof Reshape && shapeOf(p.inputs.get(0)).rank() == 1) {
            src = p.inputs.get(0);
            p.absorbedInto = name;
            note("rewritten", "Reshape '" + p.name + "' + ReduceSum '" + display(n) + "' -> SumPool(" + k + ") '"
                    + name + "'");
        } else if (dims.length > 1) {
            src = emit(n, unique(name + "/flatten"), new Flatten(), List.of(src)).node();
            note("rewritten", "ReduceSum '" + display(n) + "' -> Flatten + SumPool(" + k + ")");
        }
        Act pooled;
        Shape want = Shape.of(outDims);
        if (want.rank() == 1) {
            pooled = emit(n, name, new SumPool(k), List.of(src));
        } else {
            Act s = emit(n, unique(name + "/sumpool"), new SumPool(k), List.of(src));
            pooled = emit(n, name, new Reshape(want), List.of(s.node()));
        }
        set(n, pooled);
    }

    private void identity(NodeProto n) {
        Value v = input(n, 0);
        if (v instanceof Const c) {
            // torch writes Identity nodes for de-duplicated initializers: keep the original name for layer naming
            set(n, c);
            foldedNodes++;
            return;
        }
        Act x = act(n, 0);
        set(n, emit(n, layerName(n, null), new Identity(), List.of(x.node())));
    }

    private void dropout(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        double ratio;
        if (opset >= 12) {
            Const r = optionalConstant(n, 1, "ratio");
            ratio = r == null ? 0.5 : r.at(0);
            Const training = optionalConstant(n, 2, "training_mode");
            if (training != null && training.length() > 0 && training.at(0) != 0) {
                throw new NotSupported("training_mode=true (random dropout)");
            }
        } else {
            ratio = a.f("ratio", 0.5);
        }
        if (n.getOutputCount() > 1 && isRead(n.getOutput(1))) {
            throw new NotSupported("its mask output is used");
        }
        if (!(ratio >= 0 && ratio < 1)) {
            throw invalid(where(n) + "ratio " + ratio + " is outside [0, 1)");
        }
        set(n, emit(n, layerName(n, null), new Dropout(ratio), List.of(x.node())));
    }

    private void constant(NodeProto n, Attrs a) {
        String out = n.getOutputCount() > 0 ? n.getOutput(0) : "";
        Const c;
        if (a.t("value") != null) {
            c = tensors.decode(a.t("value"), "Constant '" + display(n) + "'", out);
        } else if (a.has("value_float")) {
            c = Const.floats(new long[0], new float[]{(float) a.f("value_float", 0)}, out);
        } else if (a.has("value_floats")) {
            float[] f = a.floats("value_floats");
            c = Const.floats(new long[]{f.length}, f, out);
        } else if (a.has("value_int")) {
            c = Const.scalar(a.i("value_int", 0)).withOrigin(out);
        } else if (a.has("value_ints")) {
            c = Const.vector(a.ints("value_ints")).withOrigin(out);
        } else if (a.has("sparse_value") || a.has("value_string") || a.has("value_strings")) {
            throw new NotSupported("sparse or string constants");
        } else {
            throw invalid(where(n) + "has no value");
        }
        set(n, c);
        foldedNodes++;
    }

    private void lrn(NodeProto n, Attrs a) {
        Act x = image(n, 0);
        if (!a.has("size")) {
            throw invalid(where(n) + "has no size");
        }
        long size = a.i("size", 0);
        if (size < 1 || size > MAX_GEOMETRY) {
            throw invalid(where(n) + "size " + size + " is not a positive window");
        }
        if (size % 2 == 0) {
            throw new NotSupported("LRN with an even size " + size + " (ONNX and PyTorch centre even windows "
                    + "differently; odd sizes only)");
        }
        double alpha = a.f("alpha", 1e-4);
        double beta = a.f("beta", 0.75);
        double bias = a.f("bias", 1.0);
        set(n, emit(n, layerName(n, null), new LocalResponseNorm((int) size, alpha, beta, bias), List.of(x.node())));
    }

    private void softmax(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        String out = n.getOutput(0);
        if (!graphOutputs.contains(out) || readers.getOrDefault(out, 0) > 0) {
            throw new NotSupported("a Softmax that is not the model's final operation (only a final Softmax is "
                    + "removed, so that the logits are explained)");
        }
        int rank = x.shape().rank() + 1;
        long axis = a.i("axis", opset >= 13 ? -1 : 1);
        long ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw invalid(where(n) + "axis " + axis + " is out of range for rank " + rank);
        }
        if (ax == 0) {
            throw new NotSupported("a Softmax over the batch axis");
        }
        note("removed", "final Softmax '" + display(n) + "' (axis " + axis + "): the graph outputs the logits, "
                + "which are what DTD explains");
        set(n, x);
    }

    private void pad(NodeProto n, Attrs a) {
        Act x = act(n, 0);
        String mode = a.s("mode", "constant");
        if (!mode.equals("constant")) {
            throw new NotSupported("Pad mode '" + mode + "' (only zero padding is supported)");
        }
        long[] p;
        if (a.has("pads")) {
            p = a.ints("pads");
        } else {
            p = constant(n, 1, "pads").longs();
        }
        Const value = optionalConstant(n, 2, "constant_value");
        if (value != null && value.length() > 0 && value.at(0) != 0) {
            throw new NotSupported("padding with the value " + value.at(0) + " (only zeros are supported)");
        }
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw new NotSupported("Pad with an axes input");
        }
        int rank = x.shape().rank() + 1;
        if (p.length != 2 * rank) {
            throw invalid(where(n) + "pads " + Arrays.toString(p) + " must have " + 2 * rank + " values for rank "
                    + rank);
        }
        boolean zero = true;
        for (int k = 0; k < p.length; k++) {
            if (p[k] < 0) {
                throw new NotSupported("negative padding (cropping) " + Arrays.toString(p));
            }
            zero &= p[k] == 0;
            boolean spatial = rank == 4 && (k % rank) >= 2;
            if (p[k] != 0 && !spatial) {
                throw new NotSupported("padding other than the rows and columns of [N,C,H,W] " + Arrays.toString(p));
            }
        }
        if (zero) {
            set(n, x);
            note("removed", "Pad '" + display(n) + "' (pads nothing)");
            return;
        }
        int[] pads = {geometry(n, "padding", p[2], 0), geometry(n, "padding", p[3], 0),
            geometry(n, "padding", p[6], 0), geometry(n, "padding", p[7], 0)};
        set(n, new Padded(x, pads, display(n)));
    }

    private void shape(NodeProto n, Attrs a) {
        Value v = input(n, 0);
        long[] dims;
        if (v instanceof Act x) {
            dims = x.shape().withBatch(Const.BATCH);
        } else if (v instanceof Const c) {
            dims = c.dims.clone();
        } else {
            throw new NotSupported("Shape of a padded tensor");
        }
        int r = dims.length;
        long start = a.i("start", 0);
        long end = a.i("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        long[] out = start >= end ? new long[0] : Arrays.copyOfRange(dims, (int) start, (int) end);
        set(n, Const.vector(out));
        foldedNodes++;
    }

    private void gather(NodeProto n, Attrs a) {
        Value dv = input(n, 0);
        if (!(dv instanceof Const data)) {
            throw new NotSupported("Gather from an activation (only shape arithmetic on constants is supported)");
        }
        Const idx = constant(n, 1, "indices");
        long axis = a.i("axis", 0);
        if (data.rank() != 1 || (axis != 0 && axis != -1) || !idx.isInt() || idx.rank() > 1) {
            throw new NotSupported("Gather other than picking entries of a constant vector");
        }
        long[] picked = new long[idx.length()];
        int len = data.length();
        for (int k = 0; k < picked.length; k++) {
            long j = idx.i[k] < 0 ? idx.i[k] + len : idx.i[k];
            if (j < 0 || j >= len) {
                throw invalid(where(n) + "index " + idx.i[k] + " is out of range for " + len + " values");
            }
            picked[k] = j;
        }
        long[] dims = idx.dims.clone();
        if (data.isInt()) {
            long[] v = new long[picked.length];
            for (int k = 0; k < v.length; k++) {
                v[k] = data.i[(int) picked[k]];
            }
            set(n, Const.ints(dims, v, null));
        } else {
            double[] v = new double[picked.length];
            for (int k = 0; k < v.length; k++) {
                v[k] = data.at((int) picked[k]);
            }
            set(n, Const.doubles(dims, v, null));
        }
        foldedNodes++;
    }

    private void unsqueeze(NodeProto n, Attrs a) {
        Value v = input(n, 0);
        if (!(v instanceof Const c)) {
            throw new NotSupported("Unsqueeze of an activation (only shape arithmetic on constants is supported)");
        }
        long[] axes = opset >= 13 ? constant(n, 1, "axes").longs() : a.ints("axes");
        if (axes == null || axes.length == 0) {
            throw invalid(where(n) + "has no axes");
        }
        int outRank = c.rank() + axes.length;
        boolean[] inserted = new boolean[outRank];
        for (long ax : axes) {
            long k = ax < 0 ? ax + outRank : ax;
            if (k < 0 || k >= outRank || inserted[(int) k]) {
                throw invalid(where(n) + "axes " + Arrays.toString(axes) + " are invalid for rank " + c.rank());
            }
            inserted[(int) k] = true;
        }
        long[] dims = new long[outRank];
        for (int k = 0, j = 0; k < outRank; k++) {
            dims[k] = inserted[k] ? 1 : c.dims[j++];
        }
        set(n, c.withDims(dims, c.origin));
        foldedNodes++;
    }

    private void cast(NodeProto n, Attrs a) {
        Value v = input(n, 0);
        long to = a.i("to", 0);
        if (v instanceof Act x) {
            if ((to == OnnxTensors.FLOAT && dtype == DataType.FLOAT) || (to == OnnxTensors.DOUBLE
                    && dtype == DataType.DOUBLE)) {
                set(n, x);
                return;
            }
            throw new NotSupported("casting an activation to " + OnnxTensors.typeName((int) to));
        }
        if (!(v instanceof Const c)) {
            throw new NotSupported("Cast of a padded tensor");
        }
        Const out;
        if (to == OnnxTensors.FLOAT || to == OnnxTensors.DOUBLE) {
            double[] d = new double[c.length()];
            for (int k = 0; k < d.length; k++) {
                d[k] = c.at(k);
            }
            out = Const.doubles(c.dims, d, c.origin);
        } else if (OnnxTensors.elementSize((int) to) > 0) {
            out = Const.ints(c.dims, c.longs(), c.origin);
        } else {
            throw new NotSupported("casting to " + OnnxTensors.typeName((int) to));
        }
        set(n, out);
        foldedNodes++;
    }

    // ------------------------------------------------------------------------------------------------ folding

    private Const foldArithmetic(NodeProto n, Const x, Const y, boolean sub) {
        if (!x.isInt() || !y.isInt() || (x.length() != y.length() && x.length() != 1 && y.length() != 1)) {
            throw new NotSupported(n.getOpType() + " of two constants other than integer shape arithmetic");
        }
        int len = Math.max(x.length(), y.length());
        long[] v = new long[len];
        for (int k = 0; k < len; k++) {
            long p = x.i[x.length() == 1 ? 0 : k];
            long q = y.i[y.length() == 1 ? 0 : k];
            if (p == Const.BATCH || q == Const.BATCH) {
                throw new NotSupported("arithmetic on the batch size");
            }
            v[k] = sub ? p - q : p + q;
        }
        foldedNodes++;
        return Const.ints(x.length() >= y.length() ? x.dims : y.dims, v, null);
    }

    private Const foldConcat(NodeProto n, List<Value> ins, long axis) {
        List<Long> all = new ArrayList<>();
        boolean ints = true;
        for (Value v : ins) {
            Const c = (Const) v;
            if (c.rank() != 1) {
                throw new NotSupported("Concat of constants other than vectors");
            }
            ints &= c.isInt();
        }
        if (axis != 0 && axis != -1) {
            throw invalid(where(n) + "axis " + axis + " is out of range for vectors");
        }
        if (!ints) {
            throw new NotSupported("Concat of floating-point constants");
        }
        for (Value v : ins) {
            for (long x : ((Const) v).i) {
                all.add(x);
            }
        }
        foldedNodes++;
        return Const.vector(all.stream().mapToLong(Long::longValue).toArray());
    }

    private long[] resolveConstShape(NodeProto n, Const c, long[] target, boolean allowZero) {
        long[] t = target.clone();
        long known = 1;
        int unknown = -1;
        for (int k = 0; k < t.length; k++) {
            if (t[k] == 0 && !allowZero) {
                if (k >= c.rank()) {
                    throw invalid(where(n) + "shape " + format(t) + " copies dimension " + k + " of a rank-"
                            + c.rank() + " constant");
                }
                t[k] = c.dims[k];
            }
            if (t[k] == -1 && unknown < 0) {
                unknown = k;
            } else if (t[k] < 0) {
                throw invalid(where(n) + "shape " + format(target) + " has an invalid dimension " + t[k]);
            } else {
                known = boundedProduct(known, t[k]);
            }
        }
        if (unknown >= 0) {
            if (known == 0 || c.length() % known != 0) {
                throw invalid(where(n) + "cannot reshape " + Arrays.toString(c.dims) + " to " + format(target));
            }
            t[unknown] = c.length() / known;
        } else if (known != c.length()) {
            throw invalid(where(n) + "cannot reshape " + Arrays.toString(c.dims) + " to " + format(target));
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Act emit(NodeProto n, String name, Layer layer, List<String> inputs) {
        List<Shape> in = new ArrayList<>(inputs.size());
        for (String i : inputs) {
            in.add(shapeOf(i));
        }
        Shape out = layer.outputShape(name, in);
        long size = 1;
        for (long d : out.dims()) {
            size = boundedProduct(size, d);
        }
        if (size > MAX_SAMPLE_ELEMENTS) {
            throw invalid((n == null ? "" : where(n)) + "would produce " + out.toBatchString() + ", more than "
                    + MAX_SAMPLE_ELEMENTS + " elements per sample");
        }
        PNode p = new PNode(name, layer, List.copyOf(inputs), out, n == null || n.getOutputCount() == 0 ? null
                : n.getOutput(0));
        nodes.add(p);
        byName.put(name, p);
        names.add(name);
        return new Act(name, out);
    }

    private Shape shapeOf(String node) {
        if (node.equals(inputName)) {
            return inputShape;
        }
        return byName.get(node).shape;
    }

    private void set(NodeProto n, Value v) {
        if (n.getOutputCount() == 0 || n.getOutput(0).isEmpty()) {
            throw invalid(where(n) + "has no output");
        }
        values.put(n.getOutput(0), v);
    }

    private Value value(String name) {
        Value v = values.get(name);
        if (v == null) {
            TensorProto t = initializers.get(name);
            if (t == null) {
                throw invalid("'" + name + "' is read before it is computed");
            }
            v = tensors.decode(t, "initializer '" + name + "'", name);
            values.put(name, v);
        }
        return v;
    }

    /** {@return input k, or null if the node has no such input} */
    private Value input(NodeProto n, int k) {
        if (k >= n.getInputCount() || n.getInput(k).isEmpty()) {
            return null;
        }
        return value(n.getInput(k));
    }

    private Act act(NodeProto n, int k) {
        Value v = input(n, k);
        if (v == null) {
            throw invalid(where(n) + "input " + k + " is missing");
        }
        if (v instanceof Act a) {
            return a;
        }
        if (v instanceof Padded p) {
            throw new NotSupported("Pad '" + p.padNode() + "' before " + n.getOpType() + " (a Pad is supported only "
                    + "before Conv and AveragePool)");
        }
        throw new NotSupported(n.getOpType() + " of a constant '" + n.getInput(k) + "' that does not depend on the "
                + "input");
    }

    private Act image(NodeProto n, int k) {
        Act a = act(n, k);
        requireImage(n, a);
        return a;
    }

    private void requireImage(NodeProto n, Act a) {
        if (a.shape().rank() != 3) {
            throw new NotSupported(n.getOpType() + " of a rank-" + (a.shape().rank() + 1) + " tensor "
                    + a.shape().toBatchString() + " (2-D images [N,C,H,W] only)");
        }
    }

    private Const constant(NodeProto n, int k, String what) {
        Const c = optionalConstant(n, k, what);
        if (c == null) {
            throw invalid(where(n) + what + " (input " + k + ") is missing");
        }
        return c;
    }

    private Const optionalConstant(NodeProto n, int k, String what) {
        Value v = input(n, k);
        if (v == null || v instanceof Const) {
            return (Const) v;
        }
        throw new NotSupported(what + " ('" + n.getInput(k) + "') is computed from the input; dtd4j needs it to be "
                + "a constant");
    }

    private INDArray rowBias(NodeProto n, Const c, long m, String what) {
        boolean ok = c.rank() <= 2;
        for (int k = 0; k < c.rank(); k++) {
            long want = k == c.rank() - 1 ? m : 1;
            ok &= c.dims[k] == want || c.dims[k] == 1;
        }
        if (!ok) {
            throw new NotSupported(what + " with dimensions " + Arrays.toString(c.dims) + " is not a bias of " + m
                    + " outputs");
        }
        return c.length() == m ? c.toArray(dtype, m) : Nd4j.valueArrayOf(new long[]{m}, c.at(0), dtype);
    }

    private INDArray channelBias(NodeProto n, Const c, long channels) {
        boolean scalar = c.length() == 1 && c.rank() <= 4;
        boolean perChannel = c.rank() >= 3 && c.rank() <= 4 && c.dims[c.rank() - 3] == channels
                && c.dims[c.rank() - 2] == 1 && c.dims[c.rank() - 1] == 1 && (c.rank() == 3 || c.dims[0] == 1);
        if (scalar) {
            return Nd4j.valueArrayOf(new long[]{channels}, c.at(0), dtype);
        }
        if (!perChannel) {
            throw new NotSupported("the constant with dimensions " + Arrays.toString(c.dims) + " is not one value "
                    + "per channel ([C,1,1] or [1,C,1,1]) of " + channels + " channels");
        }
        return c.toArray(dtype, channels);
    }

    private int[] kernel(NodeProto n, Attrs a) {
        long[] k = a.ints("kernel_shape");
        if (k == null) {
            throw invalid(where(n) + "has no kernel_shape");
        }
        if (k.length != 2) {
            throw new NotSupported(k.length + "-D pooling (2-D only)");
        }
        return new int[]{geometry(n, "kernel", k[0], 1), geometry(n, "kernel", k[1], 1)};
    }

    private int[] pair(NodeProto n, Attrs a, String name, int def) {
        long[] v = a.ints(name);
        if (v == null) {
            return new int[]{def, def};
        }
        if (v.length != 2) {
            throw invalid(where(n) + name + " " + Arrays.toString(v) + " must have 2 values");
        }
        return new int[]{geometry(n, name, v[0], 1), geometry(n, name, v[1], 1)};
    }

    private int geometry(NodeProto n, String what, long v, long min) {
        if (v < min || v > MAX_GEOMETRY) {
            throw invalid(where(n) + what + " " + v + " is outside [" + min + ", " + MAX_GEOMETRY + "]");
        }
        return (int) v;
    }

    /** Explicit pads or the ones auto_pad implies; {@return top, left, bottom, right}. */
    private int[] pads(NodeProto n, Attrs a, long h, long w, int[] kernelExtent, int[] stride) {
        String auto = a.s("auto_pad", "NOTSET");
        long[] p = a.ints("pads");
        switch (auto) {
            case "NOTSET" -> {
                if (p == null) {
                    return new int[4];
                }
                if (p.length != 4) {
                    throw invalid(where(n) + "pads " + Arrays.toString(p) + " must have 4 values");
                }
                return new int[]{geometry(n, "padding", p[0], 0), geometry(n, "padding", p[1], 0),
                    geometry(n, "padding", p[2], 0), geometry(n, "padding", p[3], 0)};
            }
            case "VALID", "SAME_UPPER", "SAME_LOWER" -> {
                if (p != null && Arrays.stream(p).anyMatch(v -> v != 0)) {
                    throw invalid(where(n) + "has both auto_pad " + auto + " and pads " + Arrays.toString(p));
                }
                if (auto.equals("VALID")) {
                    return new int[4];
                }
                long[] in = {h, w};
                int[] out = new int[4];
                for (int k = 0; k < 2; k++) {
                    long o = (in[k] + stride[k] - 1) / stride[k];
                    long total = Math.max(0, (o - 1) * stride[k] + kernelExtent[k] - in[k]);
                    long small = total / 2;
                    long begin = auto.equals("SAME_UPPER") ? small : total - small;
                    out[k] = geometry(n, "padding", begin, 0);
                    out[k + 2] = geometry(n, "padding", total - begin, 0);
                }
                return out;
            }
            default -> throw invalid(where(n) + "auto_pad '" + auto + "' is not NOTSET, VALID, SAME_UPPER or "
                    + "SAME_LOWER");
        }
    }

    private void checkCeil(NodeProto n, Attrs a, Act x, int[] k, int[] stride, int[] pads) {
        if (a.i("ceil_mode", 0) == 0 || a.s("auto_pad", "NOTSET").startsWith("SAME")) {
            return;
        }
        long[] in = {x.shape().dim(1) + pads[0] + pads[2], x.shape().dim(2) + pads[1] + pads[3]};
        for (int i = 0; i < 2; i++) {
            if (in[i] >= k[i] && (in[i] - k[i]) % stride[i] != 0) {
                throw new NotSupported("ceil_mode=1 changes the output size here (input " + x.shape().toBatchString()
                        + ", kernel " + k[0] + "x" + k[1] + ", stride " + stride[0] + "x" + stride[1] + ")");
            }
        }
    }

    private void checkPoolPadding(NodeProto n, int[] k, int[] pads) {
        if (pads[0] >= k[0] || pads[2] >= k[0] || pads[1] >= k[1] || pads[3] >= k[1]) {
            throw new NotSupported("pooling padding " + Arrays.toString(pads) + " as large as the kernel " + k[0] + "x"
                    + k[1]);
        }
    }

    /**
     * Names layers after the PyTorch module when the model says which one it was: a layer with a weight initializer
     * named {@code layer1.0.conv1.weight} is called {@code layer1.0.conv1}. Otherwise, and for layers without
     * weights, the ONNX node's name ({@code /layer1/layer1.0/relu/Relu}), or its first output's name if it has none.
     */
    private String layerName(NodeProto n, Const weight) {
        if (weight != null && weight.origin != null && !weight.origin.isBlank()
                && !weight.origin.startsWith("onnx::")) {
            String o = weight.origin;
            String base = o.endsWith(".weight") && o.length() > 7 ? o.substring(0, o.length() - 7) : o;
            if (!names.contains(base)) {
                names.add(base);
                return base;
            }
        }
        return unique(display(n));
    }

    private String unique(String base) {
        String s = base;
        for (int k = 2; names.contains(s); k++) {
            s = base + "_" + k;
        }
        names.add(s);
        return s;
    }

    private static String display(NodeProto n) {
        if (!n.getName().isBlank()) {
            return n.getName();
        }
        for (String o : n.getOutputList()) {
            if (!o.isBlank()) {
                return o;
            }
        }
        return n.getOpType().isBlank() ? "(unnamed node)" : n.getOpType();
    }

    private String domainOf(NodeProto n) {
        return n.getDomain().isEmpty() ? DEFAULT_DOMAIN : n.getDomain();
    }

    private UnsupportedModelException.Part unsupportedNode(NodeProto n, String reason) {
        String domain = domainOf(n);
        return part(display(n), n.getOpType(), domain, opsets.getOrDefault(domain, 0L), reason);
    }

    private boolean readsPoison(NodeProto n) {
        for (String in : n.getInputList()) {
            if (!in.isEmpty() && values.get(in) instanceof Poisoned) {
                return true;
            }
        }
        return false;
    }

    private void poisonOutputs(NodeProto n) {
        for (String out : n.getOutputList()) {
            if (!out.isEmpty()) {
                values.put(out, new Poisoned());
            }
        }
    }

    private boolean isRead(String value) {
        return !value.isEmpty() && (readers.getOrDefault(value, 0) > 0 || graphOutputs.contains(value));
    }

    private void note(String key, String text) {
        provenance.merge(key, text, this::join);
    }

    private String join(String a, String b) {
        return a + "; " + b;
    }

    private static long boundedProduct(long a, long b) {
        if (b > 0 && a > Long.MAX_VALUE / b) {
            return Long.MAX_VALUE;
        }
        return a * b;
    }

    private static String format(long[] dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < dims.length; k++) {
            sb.append(k == 0 ? "" : ",").append(dims[k] == Const.BATCH ? "N" : Long.toString(dims[k]));
        }
        return sb.append(']').toString();
    }

    private String where(NodeProto n) {
        return "node '" + display(n) + "' (" + n.getOpType() + "): ";
    }

    private ModelFormatException invalid(String message) {
        String at = current != null && !message.startsWith("node '") ? where(current) : "";
        return new ModelFormatException(source + ": " + at + message);
    }

    /** {@return one unsupported node, its version as "domain opset N"} */
    static UnsupportedModelException.Part part(String node, String opType, String domain, long opset, String reason) {
        return new UnsupportedModelException.Part(node, opType, domain + " opset " + opset, reason);
    }
}
