package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.AttributeProto.AttributeType;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;

/** Typed access to one node's attributes; a wrong type or a duplicate is an {@link ModelFormatException}. */
final class Attrs {
    private final Map<String, AttributeProto> map = new HashMap<>();
    private final Function<String, ModelFormatException> invalid;

    /**
     * @param node    the node
     * @param invalid makes the exception for a malformed attribute from a message (it names the node)
     * @throws ModelFormatException if an attribute is given twice
     */
    Attrs(NodeProto node, Function<String, ModelFormatException> invalid) {
        this.invalid = invalid;
        for (AttributeProto a : node.getAttributeList()) {
            if (map.put(a.getName(), a) != null) {
                throw invalid.apply("attribute '" + a.getName() + "' is given twice");
            }
        }
    }

    /** {@return whether the attribute is present} @param name its name */
    boolean has(String name) {
        return map.containsKey(name);
    }

    /** {@return the integer attribute, or {@code def} if absent} @param name its name @param def the default */
    long i(String name, long def) {
        AttributeProto a = get(name, AttributeType.INT);
        return a == null ? def : a.getI();
    }

    /**
     * {@return an integer attribute the operator requires}
     *
     * @param name its name
     * @throws ModelFormatException "has no {@code name}" if it is absent
     */
    long required(String name) {
        AttributeProto a = get(name, AttributeType.INT);
        if (a == null) {
            throw invalid.apply("has no " + name);
        }
        return a.getI();
    }

    /** {@return the float attribute, or {@code def} if absent} @param name its name @param def the default */
    double f(String name, double def) {
        AttributeProto a = get(name, AttributeType.FLOAT);
        return a == null ? def : a.getF();
    }

    /** {@return the string attribute, or {@code def} if absent} @param name its name @param def the default */
    String s(String name, String def) {
        AttributeProto a = get(name, AttributeType.STRING);
        return a == null ? def : a.getS().toString(StandardCharsets.UTF_8);
    }

    /** {@return the list, or null if the attribute is absent} @param name its name */
    long[] ints(String name) {
        AttributeProto a = get(name, AttributeType.INTS);
        if (a == null) {
            return null;
        }
        long[] v = new long[a.getIntsCount()];
        for (int k = 0; k < v.length; k++) {
            v[k] = a.getInts(k);
        }
        return v;
    }

    /** {@return the list, or null if the attribute is absent} @param name its name */
    float[] floats(String name) {
        AttributeProto a = get(name, AttributeType.FLOATS);
        if (a == null) {
            return null;
        }
        float[] v = new float[a.getFloatsCount()];
        for (int k = 0; k < v.length; k++) {
            v[k] = a.getFloats(k);
        }
        return v;
    }

    /** {@return the tensor, or null if the attribute is absent} @param name its name */
    TensorProto t(String name) {
        AttributeProto a = get(name, AttributeType.TENSOR);
        return a == null ? null : a.getT();
    }

    private AttributeProto get(String name, AttributeType type) {
        AttributeProto a = map.get(name);
        if (a == null) {
            return null;
        }
        // Old writers leave the type UNDEFINED; then trust the field that is set.
        if (a.getType() != type && a.getType() != AttributeType.UNDEFINED) {
            throw invalid.apply("attribute '" + name + "' must be " + type + ", got " + a.getType());
        }
        return a;
    }
}
