package io.github.dtd4j.onnx.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.NodeProto;

/**
 * Finds a layer normalisation written out as exporters write it before opset 17 —
 * {@code d = Sub(x, ReduceMean(x)); y = Add(Mul(Div(d, Sqrt(Add(ReduceMean(Pow(d, 2)), eps))), γ), β)}, both means
 * over the same single axis with {@code keepdims=1}, γ and β constants — and replaces its nine nodes by one
 * {@code LayerNormalization} node over that axis, which {@link LayerNormalizationConverter} converts. Every
 * intermediate value must be read only inside the pattern. Runs before the operator check.
 */
final class LayerNormFusion {
    private LayerNormFusion() {
    }

    /**
     * {@return the nodes with every decomposed layer normalisation fused, in a topological order}
     *
     * @param nodes        the model's nodes, topologically ordered
     * @param scalar       the value of a constant scalar by value name (initializer or Constant node), or null
     * @param isConstant   whether a value is an initializer or a Constant node's output
     * @param graphOutputs the graph's outputs
     */
    static List<NodeProto> fuse(List<NodeProto> nodes, Function<String, Double> scalar, Function<String, Boolean> isConstant,
                                Set<String> graphOutputs) {
        Map<String, NodeProto> producer = GeluFusion.producers(nodes);
        Map<String, List<NodeProto>> readers = GeluFusion.readers(nodes);
        Set<NodeProto> removed = new HashSet<>();
        Map<NodeProto, NodeProto> replace = new HashMap<>();
        for (NodeProto div : nodes) {
            if (!div.getOpType().equals("Div") || div.getInputCount() != 2) {
                continue;
            }
            NodeProto sub = producer.get(div.getInput(0));
            NodeProto sqrt = producer.get(div.getInput(1));
            if (sub == null || sqrt == null || !sub.getOpType().equals("Sub") || !sqrt.getOpType().equals("Sqrt")) {
                continue;
            }
            String x = sub.getInput(0);
            NodeProto mean = producer.get(sub.getInput(1));
            Long axis = mean == null ? null : meanAxis(mean, x);
            NodeProto addEps = producer.get(sqrt.getInput(0));
            if (axis == null || addEps == null) {
                continue;
            }
            String varValue = null;
            NodeProto var = null;
            Double eps = null;
            for (int k = 0; k < 2 && addEps.getOpType().equals("Add") && addEps.getInputCount() == 2; k++) {
                Double e = scalar.apply(addEps.getInput(1 - k));
                NodeProto p = producer.get(addEps.getInput(k));
                if (e != null && p != null) {
                    eps = e;
                    var = p;
                    varValue = addEps.getInput(k);
                }
            }
            if (var == null || !Long.valueOf(axis).equals(meanAxis(var, null))) {
                continue;
            }
            NodeProto pow = producer.get(var.getInput(0));
            if (pow == null || !pow.getOpType().equals("Pow") || !pow.getInput(0).equals(sub.getOutput(0))
                    || pow.getInputCount() != 2 || scalar.apply(pow.getInput(1)) == null
                    || scalar.apply(pow.getInput(1)) != 2.0) {
                continue;
            }
            NodeProto mul = GeluFusion.sole(readers, graphOutputs, div);
            if (mul == null || !mul.getOpType().equals("Mul") || mul.getInputCount() != 2) {
                continue;
            }
            String gamma = mul.getInput(0).equals(div.getOutput(0)) ? mul.getInput(1) : mul.getInput(0);
            NodeProto add = GeluFusion.sole(readers, graphOutputs, mul);
            if (!isConstant.apply(gamma) || add == null || !add.getOpType().equals("Add") || add.getInputCount() != 2) {
                continue;
            }
            String beta = add.getInput(0).equals(mul.getOutput(0)) ? add.getInput(1) : add.getInput(0);
            List<NodeProto> subReaders = readers.getOrDefault(sub.getOutput(0), List.of());
            boolean inner = isConstant.apply(beta) && !(eps <= 0) && GeluFusion.only(readers, graphOutputs,
                    mean.getOutput(0), sub) && subReaders.size() == 2 && subReaders.contains(pow)
                    && subReaders.contains(div) && !graphOutputs.contains(sub.getOutput(0))
                    && GeluFusion.only(readers, graphOutputs, pow.getOutput(0), var)
                    && GeluFusion.only(readers, graphOutputs, varValue, addEps)
                    && GeluFusion.only(readers, graphOutputs, addEps.getOutput(0), sqrt)
                    && GeluFusion.only(readers, graphOutputs, sqrt.getOutput(0), div);
            if (!inner) {
                continue;
            }
            NodeProto ln = NodeProto.newBuilder().setOpType("LayerNormalization")
                    .setName(div.getName().isEmpty() ? add.getOutput(0) : div.getName().replace("Div", "LayerNorm"))
                    .addInput(x).addInput(gamma).addInput(beta).addOutput(add.getOutput(0))
                    .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                            .setI(axis))
                    .addAttribute(AttributeProto.newBuilder().setName("epsilon")
                            .setType(AttributeProto.AttributeType.FLOAT).setF(eps.floatValue()))
                    .build();
            removed.addAll(List.of(mean, sub, pow, var, addEps, sqrt, div, mul, add));
            replace.put(add, ln);
        }
        return GeluFusion.replaced(nodes, removed, replace);
    }

    /** {@return the one axis a {@code ReduceMean(keepdims=1)} of {@code input} (any input if null) averages, or null} */
    private static Long meanAxis(NodeProto n, String input) {
        if (!n.getOpType().equals("ReduceMean") || (input != null && !n.getInput(0).equals(input))) {
            return null;
        }
        long keep = 1;
        List<Long> axes = null;
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("keepdims")) {
                keep = a.getI();
            } else if (a.getName().equals("axes")) {
                axes = a.getIntsList();
            }
        }
        return keep == 1 && axes != null && axes.size() == 1 ? axes.get(0) : null;
    }
}
