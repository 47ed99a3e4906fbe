package io.github.dtd4j.onnx;

import java.util.List;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.AttributeProto.AttributeType;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.shade.protobuf.ByteString;

/** Builds small ONNX models in Java with the protobuf builders, for tests. */
final class OnnxBuilder {
    static final int FLOAT = 1;
    static final int INT64 = 7;
    static final int DOUBLE = 11;

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private final ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(7).setProducerName("OnnxBuilder")
            .setProducerVersion("1");

    OnnxBuilder(long opset) {
        model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    }

    /** Adds an input; each dim is a Long (value) or a String (symbolic). */
    OnnxBuilder input(String name, int elemType, Object... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
        return this;
    }

    OnnxBuilder output(String name) {
        graph.addOutput(valueInfo(name, FLOAT));
        return this;
    }

    static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            } else {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
            }
        }
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(elemType);
        if (dims.length > 0) {
            t.setShape(shape);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }

    /** A float initializer in raw little-endian bytes with values v[k] = scale·sin(k + 1). */
    OnnxBuilder weight(String name, double scale, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) (scale * Math.sin(k + 1.0));
        }
        return floats(name, dims, v);
    }

    OnnxBuilder floats(String name, long[] dims, float[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        graph.addInitializer(tensor(name, FLOAT, dims).setRawData(ByteString.copyFrom(b.array())));
        return this;
    }

    OnnxBuilder ints(String name, long... v) {
        TensorProto.Builder t = tensor(name, INT64, v.length);
        for (long x : v) {
            t.addInt64Data(x);
        }
        graph.addInitializer(t);
        return this;
    }

    OnnxBuilder initializer(TensorProto t) {
        graph.addInitializer(t);
        return this;
    }

    static TensorProto.Builder tensor(String name, int type, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
        for (long d : dims) {
            t.addDims(d);
        }
        return t;
    }

    /** Adds a node named {@code name} reading {@code inputs} and writing one output named like the node. */
    OnnxBuilder node(String op, String name, List<String> inputs, AttributeProto... attrs) {
        return node(op, name, inputs, List.of(name), attrs);
    }

    OnnxBuilder node(String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
                .addAllOutput(outputs);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return this;
    }

    OnnxBuilder node(NodeProto n) {
        graph.addNode(n);
        return this;
    }

    OnnxBuilder opset(String domain, long version) {
        model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version));
        return this;
    }

    static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    static AttributeProto attr(String name, double v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF((float) v).build();
    }

    static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto attrs(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    GraphProto.Builder graph() {
        return graph;
    }

    ModelProto build() {
        return model.setGraph(graph).build();
    }

    byte[] bytes() {
        return build().toByteArray();
    }
}
