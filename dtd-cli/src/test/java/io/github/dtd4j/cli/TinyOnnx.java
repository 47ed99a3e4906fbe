package io.github.dtd4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.shade.protobuf.ByteString;

/**
 * A small seeded CNN written as an ONNX file by the tests of {@code dtd evaluate}: {@code [N,1,8,8]} → conv 3×3
 * (4 channels, padding 1) → ReLU → max-pool 2 → conv 3×3 (6 channels, padding 1) → ReLU → global average pooling →
 * flatten → dense 6→3. It ends in global average pooling and one dense layer, so CAM applies to it.
 */
final class TinyOnnx {
    private static final int FLOAT = 1;

    private TinyOnnx() {
    }

    /**
     * {@return the file, written}
     *
     * @param file where
     * @param seed of the weights
     */
    static Path cnn(Path file, long seed) throws IOException {
        Random r = new Random(seed);
        GraphProto.Builder g = GraphProto.newBuilder().setName("tiny");
        g.addInput(value("input", "N", 1L, 8L, 8L));
        g.addOutput(value("logits", "N", 3L));
        g.addInitializer(weights("w1", r, 0.6, 0, 4, 1, 3, 3));
        g.addInitializer(weights("b1", r, 0.05, 0.05, 4));
        g.addInitializer(weights("w2", r, 0.4, 0, 6, 4, 3, 3));
        g.addInitializer(weights("b2", r, 0.05, 0.05, 6));
        g.addInitializer(weights("w3", r, 1.0, 0, 3, 6));
        g.addInitializer(weights("b3", r, 0.1, 0.2, 3));
        g.addNode(node("Conv", "conv1", List.of("input", "w1", "b1"), ints("kernel_shape", 3, 3),
                ints("pads", 1, 1, 1, 1)));
        g.addNode(node("Relu", "relu1", List.of("conv1")));
        g.addNode(node("MaxPool", "pool1", List.of("relu1"), ints("kernel_shape", 2, 2), ints("strides", 2, 2)));
        g.addNode(node("Conv", "conv2", List.of("pool1", "w2", "b2"), ints("kernel_shape", 3, 3),
                ints("pads", 1, 1, 1, 1)));
        g.addNode(node("Relu", "relu2", List.of("conv2")));
        g.addNode(node("GlobalAveragePool", "gap", List.of("relu2")));
        g.addNode(node("Flatten", "flat", List.of("gap")));
        g.addNode(NodeProto.newBuilder().setOpType("Gemm").setName("dense").addAllInput(List.of("flat", "w3", "b3"))
                .addOutput("logits").addAttribute(AttributeProto.newBuilder().setName("transB")
                        .setType(AttributeProto.AttributeType.INT).setI(1)));
        ModelProto m = ModelProto.newBuilder().setIrVersion(7).setProducerName("TinyOnnx").setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, m.toByteArray());
        return file;
    }

    private static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            shape.addDim(d instanceof String s ? TensorShapeProto.Dimension.newBuilder().setDimParam(s)
                    : TensorShapeProto.Dimension.newBuilder().setDimValue((Long) d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape))).build();
    }

    /** Normal values times {@code scale}, plus {@code shift}. */
    private static TensorProto weights(String name, Random r, double scale, double shift, long... dims) {
        long n = 1;
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * (int) n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (shift + scale * r.nextGaussian()));
        }
        return t.setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static NodeProto node(String op, String name, List<String> inputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(name);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        return n.build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }
}
