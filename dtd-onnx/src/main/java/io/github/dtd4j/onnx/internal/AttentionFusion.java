package io.github.dtd4j.onnx.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.NodeProto;

/**
 * Finds multi-head self-attention as PyTorch's {@code nn.MultiheadAttention} is exported (torchvision's vision
 * transformers): the batch moved off axis 0 ({@code Transpose [1,0,2]}), the packed in-projection
 * ({@code MatMul} + {@code Add}), three {@code Slice}s for q, k and v, each reshaped to {@code [T, N·H, d]} (heads
 * merged with the batch) and transposed, {@code q/√d}, {@code Q·Kᵀ}, {@code Softmax}, {@code ·V}, the merge back, the
 * out-projection {@code Gemm} and the batch moved back. It replaces them by one node of the internal operator
 * {@link #OPERATOR} with inputs (x, in-projection weight {@code [D,3D]}, its bias, out-projection weight
 * {@code [D,D]} as Gemm reads it with transB, its bias) and attributes heads (or head_dim, when the export fixed the
 * batch) and scale, which
 * {@link AttentionConverter} turns into batch-first layers. The shape arithmetic that only fed the pattern's reshapes
 * is removed with it. If anything outside the pattern reads one of its values, nothing is fused, and the importer
 * reports the batch-moving transposes as it would without this pass. Runs before the operator check.
 */
final class AttentionFusion {
    /** The fused node's operator: internal to the importer, never in a model file. */
    static final String OPERATOR = "Dtd4jMultiHeadAttention";

    private AttentionFusion() {
    }

    /**
     * {@return the nodes with every attention pattern fused, in a topological order}
     *
     * @param nodes        the model's nodes, topologically ordered
     * @param scalar       the value of a constant scalar by value name, or null
     * @param ints         the values of a constant integer vector by value name, or null
     * @param external     whether a value is a graph input or an initializer
     * @param graphOutputs the graph's outputs
     */
    static List<NodeProto> fuse(List<NodeProto> nodes, Function<String, Double> scalar,
                                Function<String, long[]> ints, Predicate<String> external, Set<String> graphOutputs) {
        Map<String, NodeProto> producer = GeluFusion.producers(nodes);
        Map<String, List<NodeProto>> readers = GeluFusion.readers(nodes);
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replace = new HashMap<>();
        for (NodeProto softmax : nodes) {
            if (softmax.getOpType().equals("Softmax")) {
                Match m = match(softmax, producer, readers, scalar, ints, graphOutputs);
                if (m != null && java.util.Collections.disjoint(m.nodes, removed)) {
                    removed.addAll(m.nodes);
                    replace.put(m.last, m.fused);
                }
            }
        }
        if (replace.isEmpty()) {
            return nodes;
        }
        List<NodeProto> out = withoutDeadNodes(GeluFusion.replaced(nodes, removed, replace), graphOutputs);
        // every value a remaining node reads must still be made: otherwise the pattern fed something else
        Set<String> made = new HashSet<>();
        for (NodeProto n : out) {
            for (String i : n.getInputList()) {
                if (!i.isEmpty() && !made.contains(i) && !external.test(i)) {
                    return nodes;
                }
            }
            made.addAll(n.getOutputList());
        }
        return out;
    }

    /** A matched pattern: its nodes, the last of them, and the node that replaces them. */
    private record Match(Set<NodeProto> nodes, NodeProto last, NodeProto fused) {
    }

    private static Match match(NodeProto softmax, Map<String, NodeProto> producer,
                               Map<String, List<NodeProto>> readers, Function<String, Double> scalar,
                               Function<String, long[]> ints, Set<String> outputs) {
        long axis = attr(softmax, "axis", 1);
        if (axis != 2 && axis != -1) {
            return null;
        }
        Set<NodeProto> p = new HashSet<>();
        p.add(softmax);
        NodeProto scores = op(producer.get(softmax.getInput(0)), "MatMul", p);
        NodeProto mixed = sole(readers, softmax, "MatMul", p);
        if (scores == null || mixed == null || !mixed.getInput(0).equals(softmax.getOutput(0))) {
            return null;
        }
        // q, scaled: Div(qT, c) or Mul(qT, c), qT = Transpose[1,0,2](Reshape(qSlice))
        NodeProto qScaled = producer.get(scores.getInput(0));
        double scale = 1;
        NodeProto qT;
        if (qScaled != null && (qScaled.getOpType().equals("Div") || qScaled.getOpType().equals("Mul"))
                && qScaled.getInputCount() == 2) {
            boolean div = qScaled.getOpType().equals("Div");
            int at = !div && scalar.apply(qScaled.getInput(0)) != null ? 1 : 0;
            Double c = scalar.apply(qScaled.getInput(1 - at));
            if (c == null || c == 0) {
                return null;
            }
            scale = div ? 1 / c : c;
            p.add(qScaled);
            qT = transpose(producer.get(qScaled.getInput(at)), new long[]{1, 0, 2}, p);
        } else {
            qT = transpose(qScaled, new long[]{1, 0, 2}, p);
        }
        NodeProto kT = transpose(producer.get(scores.getInput(1)), new long[]{1, 2, 0}, p);
        NodeProto vT = transpose(producer.get(mixed.getInput(1)), new long[]{1, 0, 2}, p);
        if (qT == null || kT == null || vT == null) {
            return null;
        }
        NodeProto qR = op(producer.get(qT.getInput(0)), "Reshape", p);
        NodeProto kR = op(producer.get(kT.getInput(0)), "Reshape", p);
        NodeProto vR = op(producer.get(vT.getInput(0)), "Reshape", p);
        if (qR == null || kR == null || vR == null) {
            return null;
        }
        NodeProto qS = op(producer.get(qR.getInput(0)), "Slice", p);
        NodeProto kS = op(producer.get(kR.getInput(0)), "Slice", p);
        NodeProto vS = op(producer.get(vR.getInput(0)), "Slice", p);
        // q, k, v: consecutive slices of one tensor along its last axis, q from 0 (torch's chunk(3, dim=-1))
        if (qS == null || kS == null || vS == null || qS.getInputCount() < 4 || kS.getInputCount() < 4
                || vS.getInputCount() < 4 || !qS.getInput(0).equals(kS.getInput(0))
                || !qS.getInput(0).equals(vS.getInput(0)) || !kS.getInput(1).equals(qS.getInput(2))
                || !vS.getInput(1).equals(kS.getInput(2)) || !isZero(ints.apply(qS.getInput(1)))
                || !lastAxis(ints.apply(qS.getInput(3))) || !lastAxis(ints.apply(kS.getInput(3)))
                || !lastAxis(ints.apply(vS.getInput(3)))
                || (qS.getInputCount() > 4 || kS.getInputCount() > 4 || vS.getInputCount() > 4)) {
            return null;
        }
        Long heads = heads(qR.getInput(1), producer, scalar, ints);
        if (heads == null || heads == 0) {
            return null;
        }
        // the packed in-projection: Add(MatMul(xT, W), b) in either order, xT = Transpose[1,0,2](x)
        NodeProto add = op(producer.get(qS.getInput(0)), "Add", p);
        if (add == null || add.getInputCount() != 2) {
            return null;
        }
        int mm = producer.get(add.getInput(0)) != null && producer.get(add.getInput(0)).getOpType().equals("MatMul")
                ? 0 : 1;
        NodeProto inProj = op(producer.get(add.getInput(mm)), "MatMul", p);
        if (inProj == null) {
            return null;
        }
        NodeProto xT = transpose(producer.get(inProj.getInput(0)), new long[]{1, 0, 2}, p);
        if (xT == null) {
            return null;
        }
        // after the mixing: Transpose[1,0,2], Reshape, Gemm(transB=1), Reshape, Transpose[1,0,2]
        NodeProto t1 = sole(readers, mixed, "Transpose", p);
        NodeProto r1 = t1 == null ? null : sole(readers, t1, "Reshape", p);
        NodeProto gemm = r1 == null ? null : sole(readers, r1, "Gemm", p);
        NodeProto r2 = gemm == null ? null : sole(readers, gemm, "Reshape", p);
        NodeProto out = r2 == null ? null : sole(readers, r2, "Transpose", p);
        if (out == null || !java.util.Arrays.equals(perm(t1), new long[]{1, 0, 2})
                || !java.util.Arrays.equals(perm(out), new long[]{1, 0, 2}) || gemm.getInputCount() != 3
                || attr(gemm, "transB", 0) != 1 || attr(gemm, "transA", 0) != 0
                || attrF(gemm, "alpha", 1) != 1 || attrF(gemm, "beta", 1) != 1) {
            return null;
        }
        // every value made inside the pattern is read only inside it (or by shape arithmetic that dies with it)
        for (NodeProto n : p) {
            if (n == out) {
                continue;
            }
            for (String o : n.getOutputList()) {
                if (outputs.contains(o)) {
                    return null;
                }
                for (NodeProto r : readers.getOrDefault(o, List.of())) {
                    if (!p.contains(r) && !r.getOpType().equals("Shape")) {
                        return null;
                    }
                }
            }
        }
        String name = softmax.getName().contains("/")
                ? softmax.getName().substring(0, softmax.getName().lastIndexOf('/')) : softmax.getName() + "/attention";
        NodeProto fused = NodeProto.newBuilder().setOpType(OPERATOR).setName(name.isEmpty() ? out.getOutput(0) : name)
                .addInput(xT.getInput(0)).addInput(inProj.getInput(1)).addInput(add.getInput(1 - mm))
                .addInput(gemm.getInput(1)).addInput(gemm.getInput(2)).addOutput(out.getOutput(0))
                .addAttribute(AttributeProto.newBuilder().setName(heads > 0 ? "heads" : "head_dim")
                        .setType(AttributeProto.AttributeType.INT).setI(Math.abs(heads)))
                .addAttribute(AttributeProto.newBuilder().setName("scale")
                        .setType(AttributeProto.AttributeType.FLOAT).setF((float) scale))
                .build();
        return new Match(p, out, fused);
    }

    /**
     * {@return the number of heads from the reshape target {@code [T, N·H, d]}}: torch computes it as
     * {@code Concat(Unsqueeze(T), Unsqueeze(Mul(N, H)), Unsqueeze(Cast(Div(D, H))))} — H is the constant factor of the
     * second entry or the constant divisor of the third (with a fixed batch, the second is a constant itself). A
     * constant target (shape arithmetic folded with a fixed batch) gives d instead, returned negated; the converter
     * checks either against the weights
     */
    private static Long heads(String target, Map<String, NodeProto> producer, Function<String, Double> scalar,
                              Function<String, long[]> ints) {
        NodeProto concat = producer.get(target);
        if (concat != null && concat.getOpType().equals("Concat") && concat.getInputCount() == 3) {
            NodeProto mul = strip(producer.get(concat.getInput(1)), producer);
            if (mul != null && mul.getOpType().equals("Mul") && mul.getInputCount() == 2) {
                for (int k = 0; k < 2; k++) {
                    Double h = scalar.apply(mul.getInput(k));
                    if (h != null && h == Math.rint(h)) {
                        return h.longValue();
                    }
                }
            }
            NodeProto div = strip(producer.get(concat.getInput(2)), producer);
            if (div != null && div.getOpType().equals("Div") && div.getInputCount() == 2) {
                Double h = scalar.apply(div.getInput(1));
                if (h != null && h == Math.rint(h)) {
                    return h.longValue();
                }
            }
            // a fixed batch: the head width d is a constant
            Double d = div == null || div.getOutputCount() != 1 ? null : scalar.apply(div.getOutput(0));
            return d != null && d == Math.rint(d) && d > 0 ? -d.longValue() : null;
        }
        long[] fixed = ints.apply(target);
        return fixed != null && fixed.length == 3 && fixed[2] > 0 ? -fixed[2] : null;
    }

    /** {@return the node under any Unsqueeze and Cast nodes that only pass a scalar on} */
    private static NodeProto strip(NodeProto n, Map<String, NodeProto> producer) {
        while (n != null && (n.getOpType().equals("Unsqueeze") || n.getOpType().equals("Cast"))) {
            n = producer.get(n.getInput(0));
        }
        return n;
    }

    private static boolean isZero(long[] v) {
        return v != null && v.length == 1 && v[0] == 0;
    }

    private static boolean lastAxis(long[] v) {
        return v != null && v.length == 1 && (v[0] == -1 || v[0] == 2);
    }

    private static NodeProto op(NodeProto n, String type, Set<NodeProto> pattern) {
        if (n == null || !n.getOpType().equals(type) || n.getOutputCount() != 1) {
            return null;
        }
        pattern.add(n);
        return n;
    }

    private static NodeProto transpose(NodeProto n, long[] perm, Set<NodeProto> pattern) {
        if (n == null || !n.getOpType().equals("Transpose") || !java.util.Arrays.equals(perm(n), perm)) {
            return null;
        }
        pattern.add(n);
        return n;
    }

    /** {@return the one non-Shape node reading n's output, if it is of the given type} */
    private static NodeProto sole(Map<String, List<NodeProto>> readers, NodeProto n, String type,
                                  Set<NodeProto> pattern) {
        List<NodeProto> r = new ArrayList<>();
        for (NodeProto x : readers.getOrDefault(n.getOutput(0), List.of())) {
            if (!x.getOpType().equals("Shape")) {
                r.add(x);
            }
        }
        return r.size() == 1 ? op(r.get(0), type, pattern) : null;
    }

    private static long[] perm(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("perm")) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return null;
    }

    private static long attr(NodeProto n, String name, long otherwise) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return otherwise;
    }

    private static double attrF(NodeProto n, String name, double otherwise) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return otherwise;
    }

    /** {@return the nodes without those whose outputs nothing reads (repeatedly), graph outputs kept} */
    static List<NodeProto> withoutDeadNodes(List<NodeProto> nodes, Set<String> graphOutputs) {
        List<NodeProto> live = nodes;
        while (true) {
            Map<String, List<NodeProto>> readers = GeluFusion.readers(live);
            List<NodeProto> next = new ArrayList<>(live.size());
            for (NodeProto n : live) {
                boolean used = false;
                for (String o : n.getOutputList()) {
                    used |= graphOutputs.contains(o) || readers.containsKey(o);
                }
                if (used) {
                    next.add(n);
                }
            }
            if (next.size() == live.size()) {
                return live;
            }
            live = next;
        }
    }
}
