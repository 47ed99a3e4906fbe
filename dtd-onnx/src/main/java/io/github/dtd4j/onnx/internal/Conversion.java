package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.internal.Value.Act;
import io.github.dtd4j.onnx.internal.Value.Poisoned;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;

/**
 * Converts one {@linkplain ValidatedModel checked model} into a {@link Graph}. One instance per import; not
 * thread-safe.
 *
 * <p>Order of work: operator support first (every node whose domain, operator or operator version the
 * {@link ConverterRegistry} and the {@link ConstantFolder} do not know is listed), then node by node in topological
 * order: a node the {@link ConstantFolder} can evaluate becomes a constant; any other goes to its
 * {@link OpConverter}, whose layers pass through the {@link Rewrite}s into the {@link IrGraph}. Conversion finds the
 * remaining unsupported uses (a Softmax that is not final, a Reshape that would mix the batch into a sample, ...).
 * Nodes that read an unsupported node's output are skipped rather than reported twice. If anything was unsupported,
 * one {@link UnsupportedModelException} lists it all; otherwise the graph is built from what reaches the output.
 */
final class Conversion {
    private final ValidatedModel model;
    private final Problems problems;
    private final OnnxTensors tensors;
    private final ConverterRegistry converters;
    private final ConstantFolder folder;
    private final List<Rewrite> rewrites;
    private final IrGraph graph;
    private final Provenance provenance = new Provenance();
    private final Map<String, Value> values = new HashMap<>();
    private int folded;

    /**
     * @param model      the checked model
     * @param problems   where unsupported parts are gathered, naming the source
     * @param tensors    decodes initializers and tensor attributes
     * @param converters the converters by operator
     * @param folder     evaluates shape arithmetic and other all-constant nodes
     * @param rewrites   the fusions, in the order they are asked
     */
    Conversion(ValidatedModel model, Problems problems, OnnxTensors tensors, ConverterRegistry converters,
               ConstantFolder folder, List<Rewrite> rewrites) {
        this.model = model;
        this.problems = problems;
        this.tensors = tensors;
        this.converters = converters;
        this.folder = folder;
        this.rewrites = List.copyOf(rewrites);
        this.graph = new IrGraph(model.input(), problems);
    }

    /**
     * Converts the model.
     *
     * @return the layer graph
     * @throws UnsupportedModelException listing every node dtd4j cannot represent
     * @throws ModelFormatException      for a malformed node, naming it
     */
    Graph run() {
        model.header().forEach(provenance::put);
        values.put(model.input().name(), new Act(graph.input()));
        List<NodeProto> order = fusePatterns(model.nodes());
        boolean opsetSupported = model.opset() >= OnnxImport.MIN_OPSET && model.opset() <= OnnxImport.MAX_OPSET;
        boolean[] skip = new boolean[order.size()];
        for (int k = 0; k < order.size(); k++) {
            String reason = unsupportedReason(order.get(k), opsetSupported);
            if (reason != null) {
                problems.add(part(order.get(k), reason));
                skip[k] = true;
            }
        }
        if (!opsetSupported) {
            problems.addFirst(Nodes.part("(model)", "", Nodes.DEFAULT_DOMAIN, model.opset(), "opset "
                    + model.opset() + " of " + Nodes.DEFAULT_DOMAIN + " is outside the supported range "
                    + OnnxImport.MIN_OPSET + "-" + OnnxImport.MAX_OPSET + "; re-export the model with an opset in "
                    + "that range"));
            throw problems.unsupported();
        }
        for (int k = 0; k < order.size(); k++) {
            NodeProto n = order.get(k);
            problems.converting(n);
            if (skip[k] || readsPoison(n)) {
                poisonOutputs(n);
                continue;
            }
            try {
                convert(n);
            } catch (NotSupported e) {
                problems.add(part(n, e.getMessage()));
                poisonOutputs(n);
            } catch (InvalidGraphException e) {
                throw new ModelFormatException(problems.source() + ": " + Nodes.where(n) + e.getMessage(), e);
            }
        }
        problems.converting(null);
        IrNode out = outputNode();
        if (problems.any()) {
            throw problems.unsupported();
        }
        return graph.build(out, model.outputName(), provenance, folded);
    }

    /**
     * {@return the nodes with the operator patterns that exporters write for one layer fused into that layer's
     * operator}: the exact GELU ({@link GeluFusion}), the layer normalisation of opsets before 17
     * ({@link LayerNormFusion}) and PyTorch's multi-head attention ({@link AttentionFusion}, noted by its converter);
     * the other fusions are noted in the provenance
     */
    private List<NodeProto> fusePatterns(List<NodeProto> nodes) {
        Map<String, NodeProto> constants = new HashMap<>();
        for (NodeProto n : nodes) {
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
                constants.put(n.getOutput(0), n);
            }
        }
        java.util.function.Function<String, TensorProto> tensor = name -> {
            TensorProto t = model.initializers().get(name);
            if (t == null && constants.containsKey(name)) {
                for (onnx.OnnxMl.AttributeProto a : constants.get(name).getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        t = a.getT();
                    }
                }
            }
            return t;
        };
        java.util.function.Function<String, Double> scalar = name -> {
            TensorProto t = tensor.apply(name);
            return t == null ? null : GeluFusion.single(t);
        };
        List<NodeProto> gelu = GeluFusion.fuse(nodes, scalar, model.graphOutputs());
        if (gelu.size() != nodes.size()) {
            provenance.note("fused", ((nodes.size() - gelu.size()) / 4) + " exact GELUs written as "
                    + "x·0.5·(1 + erf(x/√2)) into Gelu activations");
        }
        List<NodeProto> ln = LayerNormFusion.fuse(gelu, scalar,
                constantValues(nodes, constants)::contains, model.graphOutputs());
        if (ln.size() != gelu.size()) {
            provenance.note("fused", ((gelu.size() - ln.size()) / 8) + " layer normalisations written as ReduceMean, "
                    + "Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add into LayerNorm layers");
        }
        return AttentionFusion.fuse(ln, scalar, name -> {
            TensorProto t = tensor.apply(name);
            return t == null ? null : GeluFusion.ints(t);
        }, name -> model.initializers().containsKey(name) || name.equals(model.input().name()),
                model.graphOutputs());
    }

    /**
     * {@return the values known before any input arrives: initializers, Constant nodes' outputs, and Identity nodes'
     * outputs of those (PyTorch de-duplicates equal parameters into Identity nodes, a LayerNorm's β among them)}
     */
    private java.util.Set<String> constantValues(List<NodeProto> nodes, Map<String, NodeProto> constants) {
        java.util.Set<String> known = new java.util.HashSet<>(model.initializers().keySet());
        known.addAll(constants.keySet());
        for (NodeProto n : nodes) {
            if (n.getOpType().equals("Identity") && n.getInputCount() == 1 && n.getOutputCount() == 1
                    && known.contains(n.getInput(0))) {
                known.add(n.getOutput(0));
            }
        }
        return known;
    }

    /**
     * {@return why the node cannot be converted whatever its inputs, or null}
     *
     * @param n              the node
     * @param opsetSupported whether the model's opset is in the importer's range; when it is not, only unknown
     *                       operators are listed, beside the opset itself
     */
    private String unsupportedReason(NodeProto n, boolean opsetSupported) {
        String domain = Nodes.domain(n);
        if (!domain.equals(Nodes.DEFAULT_DOMAIN)) {
            return "operators of the domain '" + domain + "' are not supported";
        }
        String op = n.getOpType();
        if (folder.foldsEvery(op)) {
            return null;
        }
        if (!converters.knows(op)) {
            return "operator not supported";
        }
        return opsetSupported ? converters.versionGap(op, model.opset()) : null;
    }

    private void convert(NodeProto n) {
        ConversionContext ctx = new ConversionContext(this, n);
        if (folder.applies(ctx)) {
            ctx.output(folder.fold(ctx));
            folded++;
        } else {
            String refusal = folder.refusal(n.getOpType());
            OpConverter converter = converters.find(n.getOpType(), model.opset());
            if (refusal != null || converter == null) {
                // the operator check lets through only operators the folder takes whole or that have a converter
                throw new NotSupported(refusal != null ? refusal : "operator not supported");
            }
            converter.convert(ctx, n);
        }
        for (int o = 0; o < n.getOutputCount(); o++) {
            String out = n.getOutput(o);
            if (!out.isEmpty() && !values.containsKey(out)) {
                if (model.isRead(out)) {
                    throw new NotSupported("its output " + o + " ('" + out + "') is used, which dtd4j cannot "
                            + "compute");
                }
                values.put(out, new Poisoned());
            }
        }
    }

    private IrNode outputNode() {
        String out = model.outputName();
        Value v;
        try {
            v = value(out);
        } catch (NotSupported e) {
            problems.add(Nodes.part(out, "", Nodes.DEFAULT_DOMAIN, model.opset(), e.getMessage()));
            return null;
        }
        if (v instanceof Act a) {
            PendingOp p = a.node().pending();
            if (p == null && !a.layout().standard()) {
                String why = "the model's output " + Dims.format(a.layout().onnxDims(a.shape())) + " "
                        + a.layout().describe() + "; dtd4j explains outputs with the batch alone on axis 0";
                NodeProto producer = model.nodes().stream().filter(n -> n.getOutputList().contains(out))
                        .findFirst().orElse(null);
                problems.add(producer != null ? part(producer, why)
                        : Nodes.part(out, "", Nodes.DEFAULT_DOMAIN, model.opset(), why));
                return null;
            }
            if (p == null) {
                return a.node();
            }
            problems.add(Nodes.part(out, p.operator(), Nodes.DEFAULT_DOMAIN, model.opset(), "a " + p.operator()
                    + " whose result is the model's output"));
        } else if (v instanceof Const) {
            throw problems.invalid("its output '" + out + "' is a constant that does not depend on the input");
        }
        return null;
    }

    private UnsupportedModelException.Part part(NodeProto n, String reason) {
        String domain = Nodes.domain(n);
        return Nodes.part(Nodes.display(n), n.getOpType(), domain, model.opsets().getOrDefault(domain, 0L), reason);
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

    // ------------------------------------------------------------------------------------------------ for contexts

    /**
     * {@return what an ONNX value stands for; an initializer is decoded on first use}
     *
     * @param name the value's name
     * @throws NotSupported for an initializer of a type dtd4j does not read
     */
    Value value(String name) {
        Value v = values.get(name);
        if (v == null) {
            TensorProto t = model.initializers().get(name);
            if (t == null) {
                throw problems.invalid("'" + name + "' is read before it is computed");
            }
            v = tensors.decode(t, "initializer '" + name + "'", name);
            values.put(name, v);
        }
        return v;
    }

    /** Sets what an ONNX value stands for. @param name the value's name @param v what */
    void define(String name, Value v) {
        values.put(name, v);
    }

    /** {@return the model being converted} */
    ValidatedModel model() {
        return model;
    }

    /** {@return the layer graph under construction} */
    IrGraph graph() {
        return graph;
    }

    /** {@return the fusions, in order} */
    List<Rewrite> rewrites() {
        return rewrites;
    }

    /** {@return the graph's provenance so far} */
    Provenance provenance() {
        return provenance;
    }

    /** {@return the import's problems} */
    Problems problems() {
        return problems;
    }

    /** {@return the tensor decoder} */
    OnnxTensors tensors() {
        return tensors;
    }
}
