package io.github.dtd4j.onnx.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;

/**
 * Finds the exact GELU as exporters write it before opset 20, {@code x · 0.5 · (1 + erf(x / √2))} — PyTorch's
 * {@code Div(x, √2) → Erf → Add(·, 1) → Mul(x, ·) → Mul(·, 0.5)}, with the factor 0.5 on either side and
 * {@code Mul(x, 1/√2)} in place of the division — and replaces the five nodes by one {@code Gelu} node (the operator
 * opset 20 added), which {@link ActivationConverter} turns into {@code Activation.gelu()}. Every intermediate value
 * must be read by the next node only. Runs before the operator check, so that a model's GELUs are not reported as
 * unsupported Erf nodes; an {@code Erf} outside this pattern still is.
 */
final class GeluFusion {
    /** Relative tolerance on the constants of a pattern. */
    static final double TOL = 1e-5;

    private GeluFusion() {
    }

    /**
     * {@return the nodes with every GELU pattern fused, in a topological order}
     *
     * @param nodes        the model's nodes, topologically ordered
     * @param scalar       the value of a constant scalar by value name (initializer), or null when it is none
     * @param graphOutputs the graph's outputs, which must not be intermediate values of a pattern
     */
    static List<NodeProto> fuse(List<NodeProto> nodes, Function<String, Double> scalar, Set<String> graphOutputs) {
        Map<String, NodeProto> producer = producers(nodes);
        Map<String, List<NodeProto>> readers = readers(nodes);
        Function<String, Double> value = name -> {
            NodeProto p = producer.get(name);
            if (p != null && p.getOpType().equals("Constant")) {
                for (AttributeProto a : p.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        return single(a.getT());
                    }
                    if (a.getName().equals("value_float")) {
                        return (double) a.getF();
                    }
                }
                return null;
            }
            return p == null ? scalar.apply(name) : null;
        };
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replace = new HashMap<>();
        for (NodeProto erf : nodes) {
            if (!erf.getOpType().equals("Erf") || erf.getInputCount() != 1) {
                continue;
            }
            NodeProto scale = producer.get(erf.getInput(0));
            if (scale == null || !only(readers, graphOutputs, erf.getInput(0), erf)) {
                continue;
            }
            String x = operand(scale, "Div", Math.sqrt(2), value);
            if (x == null) {
                x = operand(scale, "Mul", 1 / Math.sqrt(2), value);
            }
            NodeProto plus = sole(readers, graphOutputs, erf);
            if (x == null || plus == null || operand(plus, "Add", 1.0, value) == null
                    || !erf.getOutput(0).equals(operand(plus, "Add", 1.0, value))) {
                continue;
            }
            NodeProto first = sole(readers, graphOutputs, plus);
            if (first == null || !first.getOpType().equals("Mul") || first.getInputCount() != 2) {
                continue;
            }
            String other = first.getInput(0).equals(plus.getOutput(0)) ? first.getInput(1) : first.getInput(0);
            NodeProto last;
            List<NodeProto> pattern = new ArrayList<>(List.of(scale, erf, plus, first));
            if (other.equals(x)) {
                // (x · (1 + erf)) · 0.5
                last = sole(readers, graphOutputs, first);
                if (last == null || operand(last, "Mul", 0.5, value) == null
                        || !first.getOutput(0).equals(operand(last, "Mul", 0.5, value))) {
                    continue;
                }
                pattern.add(last);
            } else {
                // (x · 0.5) · (1 + erf)
                NodeProto half = producer.get(other);
                if (half == null || !x.equals(operand(half, "Mul", 0.5, value))
                        || !only(readers, graphOutputs, other, first)) {
                    continue;
                }
                last = first;
                pattern.add(half);
            }
            NodeProto gelu = NodeProto.newBuilder().setOpType("Gelu").setName(erf.getName().isEmpty()
                            ? last.getOutput(0) : erf.getName().replace("Erf", "Gelu"))
                    .addInput(x).addOutput(last.getOutput(0)).build();
            removed.addAll(pattern);
            replace.put(last, gelu);
        }
        return replaced(nodes, removed, replace);
    }

    /**
     * {@return the nodes in their order, each pattern's last node replaced by its fused node and the pattern's other
     * nodes left out}
     *
     * @param nodes   the model's nodes, topologically ordered
     * @param removed every node of every pattern
     * @param replace the fused node by the pattern's last node
     */
    static List<NodeProto> replaced(List<NodeProto> nodes, Set<NodeProto> removed, Map<NodeProto, NodeProto> replace) {
        if (replace.isEmpty()) {
            return nodes;
        }
        List<NodeProto> out = new ArrayList<>(nodes.size());
        for (NodeProto n : nodes) {
            if (replace.containsKey(n)) {
                out.add(replace.get(n));
            } else if (!removed.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /** {@return the node producing each value} @param nodes the model's nodes */
    static Map<String, NodeProto> producers(List<NodeProto> nodes) {
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : nodes) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
        }
        return producer;
    }

    /** {@return the nodes reading each value} @param nodes the model's nodes */
    static Map<String, List<NodeProto>> readers(List<NodeProto> nodes) {
        Map<String, List<NodeProto>> readers = new HashMap<>();
        for (NodeProto n : nodes) {
            for (String i : n.getInputList()) {
                readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
        return readers;
    }

    /** {@return the other input of a two-input {@code op} node whose one input is the scalar {@code c}, or null} */
    static String operand(NodeProto n, String op, double c, Function<String, Double> value) {
        if (!n.getOpType().equals(op) || n.getInputCount() != 2) {
            return null;
        }
        for (int k = op.equals("Div") ? 1 : 0; k < 2; k++) {
            Double v = value.apply(n.getInput(k));
            if (v != null && Math.abs(v - c) <= TOL * Math.abs(c)) {
                return n.getInput(1 - k);
            }
        }
        return null;
    }

    /** {@return the one node reading {@code n}'s one output, or null} */
    static NodeProto sole(Map<String, List<NodeProto>> readers, Set<String> outputs, NodeProto n) {
        if (n.getOutputCount() != 1) {
            return null;
        }
        List<NodeProto> r = readers.getOrDefault(n.getOutput(0), List.of());
        return r.size() == 1 && !outputs.contains(n.getOutput(0)) ? r.get(0) : null;
    }

    static boolean only(Map<String, List<NodeProto>> readers, Set<String> outputs, String value,
                                NodeProto reader) {
        List<NodeProto> r = readers.getOrDefault(value, List.of());
        return r.size() == 1 && r.get(0) == reader && !outputs.contains(value);
    }

    /** {@return the value of a one-element float or integer tensor, or null} @param t a tensor */
    static Double single(TensorProto t) {
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
        }
        if (count != 1) {
            return null;
        }
        if (t.getFloatDataCount() == 1) {
            return (double) t.getFloatData(0);
        }
        if (t.getDoubleDataCount() == 1) {
            return t.getDoubleData(0);
        }
        if (t.getInt64DataCount() == 1) {
            return (double) t.getInt64Data(0);
        }
        if (t.getInt32DataCount() == 1) {
            return (double) t.getInt32Data(0);
        }
        if (t.getDataType() == TensorProto.DataType.INT64_VALUE && t.getRawData().size() == 8) {
            return (double) t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
        if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getRawData().size() == 4) {
            return (double) t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
        }
        if (t.getDataType() == TensorProto.DataType.DOUBLE_VALUE && t.getRawData().size() == 8) {
            return t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getDouble();
        }
        return null;
    }

    /** {@return the values of an integer tensor (int64 or int32), or null for any other type} @param t a tensor */
    static long[] ints(TensorProto t) {
        if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
            if (t.getInt64DataCount() > 0) {
                return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
            }
            java.nio.LongBuffer b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asLongBuffer();
            long[] v = new long[b.remaining()];
            b.get(v);
            return v;
        }
        if (t.getDataType() == TensorProto.DataType.INT32_VALUE) {
            if (t.getInt32DataCount() > 0) {
                return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
            }
            java.nio.IntBuffer b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asIntBuffer();
            long[] v = new long[b.remaining()];
            for (int k = 0; k < v.length; k++) {
                v[k] = b.get(k);
            }
            return v;
        }
        return null;
    }
}
