package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Shape;
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
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * Reads the protobuf and checks the model's structure, before any operator is looked at: a graph and the default
 * operator set are present, every edge is produced exactly once, nothing dangles, there is no cycle, and the model
 * has one input (FLOAT or DOUBLE, every dimension but the batch fixed) and one output. One instance per import.
 */
final class ModelReader {
    private final Problems problems;
    private GraphProto graph;
    private long opset;
    private final Map<String, Long> opsets = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, Integer> readers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();

    private ModelReader(Problems problems) {
        this.problems = problems;
    }

    /**
     * Parses and checks a model.
     *
     * @param bytes    the serialised {@code ModelProto}
     * @param problems names the source in messages
     * @return the checked model, its nodes sorted topologically
     * @throws ModelFormatException      if the bytes are not a well-formed ONNX model
     * @throws UnsupportedModelException for a well-formed model of a shape dtd4j cannot import (several inputs,
     *                                   an integer input, sparse initializers, ...)
     */
    static ValidatedModel read(byte[] bytes, Problems problems) {
        return new ModelReader(problems).validate(parse(bytes, problems.source()));
    }

    private static ModelProto parse(byte[] bytes, String source) {
        if (bytes.length == 0) {
            throw new ModelFormatException(source + ": is empty");
        }
        try {
            // the initializers' bytes stay views of the file's bytes instead of copies: half the memory and time
            // of a large model's parse. Protobuf aliases only a buffer it may take as immutable, which a plain
            // newInstance(byte[]) is not (it copied every initializer); the bytes are ours and never modified.
            org.nd4j.shade.protobuf.CodedInputStream in = org.nd4j.shade.protobuf.UnsafeByteOperations
                    .unsafeWrap(bytes).newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            ModelProto m = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
            return m;
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(source + ": not a valid ONNX model (the protobuf cannot be parsed: "
                    + e.getMessage() + "); is the file truncated?", e);
        } catch (java.io.IOException e) {
            throw new ModelFormatException(source + ": not a valid ONNX model (the protobuf cannot be read: "
                    + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            // protobuf signals some malformed inputs with unchecked exceptions; never let them leak
            throw new ModelFormatException(source + ": not a valid ONNX model (the protobuf cannot be parsed: " + e
                    + ")", e);
        }
    }

    private ValidatedModel validate(ModelProto model) {
        if (!model.hasGraph()) {
            throw problems.invalid("has no graph (is this an ONNX model file?)");
        }
        graph = model.getGraph();
        readOpsets(model);
        Map<String, String> header = new LinkedHashMap<>();
        header.put("source", problems.source());
        header.put("format", "ONNX IR version " + model.getIrVersion() + ", opset " + Nodes.DEFAULT_DOMAIN + " "
                + opset);
        String producer = (model.getProducerName() + " " + model.getProducerVersion()).trim();
        header.put("producer", producer.isEmpty() ? "(not recorded)" : producer);
        if (!graph.getName().isEmpty()) {
            header.put("graph", graph.getName());
        }
        List<NodeProto> order = structure();
        ValidatedModel.GraphInput input = readInput();
        return new ValidatedModel(opset, Collections.unmodifiableMap(opsets),
                Collections.unmodifiableMap(initializers), Collections.unmodifiableList(order),
                Collections.unmodifiableMap(readers), Collections.unmodifiableSet(graphOutputs),
                graph.getOutput(0).getName(), input, Collections.unmodifiableMap(header));
    }

    private void readOpsets(ModelProto model) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String domain = o.getDomain().isEmpty() ? Nodes.DEFAULT_DOMAIN : o.getDomain();
            if (opsets.put(domain, o.getVersion()) != null) {
                throw problems.invalid("imports the operator set '" + domain + "' twice");
            }
        }
        Long v = opsets.get(Nodes.DEFAULT_DOMAIN);
        if (v == null) {
            throw problems.invalid("imports no version of the default operator set " + Nodes.DEFAULT_DOMAIN);
        }
        opset = v;
    }

    private UnsupportedModelException.Part modelPart(String reason) {
        return Nodes.part("(model)", "", Nodes.DEFAULT_DOMAIN, opset, reason);
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
                throw problems.invalid("has two initializers named '" + t.getName() + "'");
            }
            sources.add(t.getName());
        }
        if (graph.getSparseInitializerCount() > 0) {
            throw problems.unsupported(modelPart("sparse initializers are not supported"));
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
                    throw problems.invalid(Nodes.where(n) + "writes '" + out + "', which another node, an "
                            + "initializer or a graph input already defines");
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
                    throw problems.invalid(Nodes.where(n) + "reads '" + in + "', which no node, initializer or "
                            + "graph input produces");
                }
            }
        }
        for (ValueInfoProto out : graph.getOutputList()) {
            if (!producer.containsKey(out.getName()) && !sources.contains(out.getName())) {
                throw problems.invalid("graph output '" + out.getName() + "' is produced by no node");
            }
            graphOutputs.add(out.getName());
        }
        return sort(all, indegree, next);
    }

    /** Kahn's algorithm, always taking the ready node that comes first in the file. */
    private List<NodeProto> sort(List<NodeProto> all, int[] indegree, List<List<Integer>> next) {
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
                    stuck.add("'" + Nodes.display(all.get(k)) + "' (" + all.get(k).getOpType() + ")");
                }
            }
            throw problems.invalid("has a cycle: " + (all.size() - order.size()) + " nodes depend on their own "
                    + "output, among them " + String.join(", ", stuck));
        }
        return order;
    }

    private ValidatedModel.GraphInput readInput() {
        List<ValueInfoProto> inputs = new ArrayList<>();
        for (ValueInfoProto in : graph.getInputList()) {
            if (!initializers.containsKey(in.getName())) {
                inputs.add(in);
            }
        }
        if (inputs.isEmpty()) {
            throw problems.invalid("has no graph input (every input is an initializer)");
        }
        if (inputs.size() > 1 || graph.getOutputCount() != 1) {
            List<String> in = inputs.stream().map(ValueInfoProto::getName).toList();
            List<String> out = graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
            throw problems.unsupported(modelPart("dtd4j imports models with one input and one output; this one has "
                    + "inputs " + in + " and outputs " + out));
        }
        ValueInfoProto in = inputs.get(0);
        String name = in.getName();
        if (name.isBlank()) {
            throw problems.invalid("its graph input has no name");
        }
        TypeProto type = in.getType();
        if (!type.hasTensorType()) {
            throw problems.invalid("graph input '" + name + "' is not a tensor");
        }
        int elem = type.getTensorType().getElemType();
        DataType dtype;
        if (elem == OnnxTensors.FLOAT) {
            dtype = DataType.FLOAT;
        } else if (elem == OnnxTensors.DOUBLE) {
            dtype = DataType.DOUBLE;
        } else {
            throw problems.unsupported(modelPart("graph input '" + name + "' has element type "
                    + OnnxTensors.typeName(elem) + "; dtd4j imports FLOAT and DOUBLE models"));
        }
        if (!type.getTensorType().hasShape()) {
            throw problems.invalid("graph input '" + name + "' has no shape; dtd4j needs the shape of one sample");
        }
        TensorShapeProto shape = type.getTensorType().getShape();
        int rank = shape.getDimCount();
        if (rank < 2) {
            throw problems.unsupported(modelPart("graph input '" + name + "' has rank " + rank + "; dtd4j needs "
                    + "[batch, ...]"));
        }
        long[] dims = new long[rank - 1];
        for (int k = 1; k < rank; k++) {
            TensorShapeProto.Dimension d = shape.getDim(k);
            if (!d.hasDimValue() || d.getDimValue() <= 0) {
                throw problems.invalid("graph input '" + name + "' has dimension " + k + " = "
                        + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : d.hasDimValue() ? d.getDimValue() : "?")
                        + "; dtd4j needs a fixed, positive size for every dimension but the batch");
            }
            dims[k - 1] = d.getDimValue();
        }
        if (Dims.size(dims) > IrGraph.MAX_SAMPLE_ELEMENTS) {
            throw problems.invalid("graph input '" + name + "' has " + Arrays.toString(dims) + " elements per "
                    + "sample, more than the " + IrGraph.MAX_SAMPLE_ELEMENTS + " dtd4j accepts");
        }
        TensorShapeProto.Dimension batch = shape.getDim(0);
        long staticBatch = batch.hasDimValue() && batch.getDimValue() > 0 ? batch.getDimValue() : -1;
        return new ValidatedModel.GraphInput(name, Shape.of(dims), dtype, staticBatch);
    }
}
