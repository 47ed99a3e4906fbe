package io.github.dtd4j.onnx;

import static io.github.dtd4j.onnx.OnnxBuilder.FLOAT;
import static io.github.dtd4j.onnx.OnnxBuilder.attrs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.ModelFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import onnx.OnnxMl.StringStringEntryProto;
import onnx.OnnxMl.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.protobuf.ByteString;

/** Malformed files: each a clear {@link ModelFormatException} naming the file and the node. */
class MalformedModelTest {
    @TempDir
    Path tmp;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static OnnxBuilder relu() {
        return new OnnxBuilder(13).input("x", FLOAT, "N", 4L).output("y");
    }

    @Test
    void truncatedFilesNameTheFile() throws IOException {
        byte[] full = Fixtures.bytes("cnn_op13");
        for (int cut : new int[]{1, 7, 100, full.length / 3, full.length / 2, full.length - 1}) {
            Path p = write("cut" + cut + ".onnx", Arrays.copyOf(full, cut));
            assertThatThrownBy(() -> OnnxModels.load(p)).as("cut at %d", cut)
                    .isInstanceOf(ModelFormatException.class).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("cut" + cut + ".onnx");
        }
    }

    @Test
    void randomBytesEmptyFilesAndMissingFiles() throws IOException {
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        Path p = write("junk.onnx", junk);
        assertThatThrownBy(() -> OnnxModels.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("junk.onnx").hasMessageContaining("not a valid ONNX model");
        Path empty = write("empty.onnx", new byte[0]);
        assertThatThrownBy(() -> OnnxModels.load(empty)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> OnnxModels.load(tmp.resolve("absent.onnx"))).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("absent.onnx");
        // a text file happens to parse as an (empty) protobuf message: still not a model
        assertThatThrownBy(() -> OnnxModels.load("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(ModelFormatException.class);
        assertThatThrownBy(() -> OnnxModels.load(new ByteArrayInputStream(junk))).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("(stream)");
    }

    @Test
    void absurdInputDimensionsAreRejectedBeforeAllocating() {
        byte[] model = new OnnxBuilder(13).input("x", FLOAT, "N", 1_000_000L, 1_000_000L, 1_000_000L).output("y")
                .node("Relu", "y", List.of("x")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("elements per sample");
    }

    @Test
    void absurdInitializerDimensionsAreRejectedBeforeAllocating() {
        TensorProto huge = OnnxBuilder.tensor("w", FLOAT, 1L << 20, 1L << 20).setRawData(ByteString.copyFrom(new byte[16]))
                .build();
        byte[] model = relu().initializer(huge).node("MatMul", "y", List.of("x", "w")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("initializer 'w'").hasMessageContaining("elements");
        TensorProto overflow = OnnxBuilder.tensor("w", FLOAT, Long.MAX_VALUE / 2, 4).build();
        byte[] model2 = relu().initializer(overflow).node("MatMul", "y", List.of("x", "w")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model2)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("initializer 'w'");
    }

    @Test
    void initializersWithTooFewValues() {
        TensorProto raw = OnnxBuilder.tensor("w", FLOAT, 4, 3).setRawData(ByteString.copyFrom(new byte[40])).build();
        assertThatThrownBy(() -> OnnxModels.load(relu().initializer(raw).node("MatMul", "y", List.of("x", "w"))
                .bytes())).isInstanceOf(ModelFormatException.class).hasMessageContaining("40 bytes")
                .hasMessageContaining("need 48");
        TensorProto typed = OnnxBuilder.tensor("w", FLOAT, 4, 3).addFloatData(1).addFloatData(2).build();
        assertThatThrownBy(() -> OnnxModels.load(relu().initializer(typed).node("MatMul", "y", List.of("x", "w"))
                .bytes())).isInstanceOf(ModelFormatException.class).hasMessageContaining("holds 2 values");
        TensorProto negative = OnnxBuilder.tensor("w", FLOAT, 4, -3).build();
        assertThatThrownBy(() -> OnnxModels.load(relu().initializer(negative).node("MatMul", "y", List.of("x", "w"))
                .bytes())).isInstanceOf(ModelFormatException.class).hasMessageContaining("negative");
    }

    @Test
    void cyclesAreReported() {
        byte[] model = relu().node("Add", "a", List.of("x", "b")).node("Relu", "b", List.of("a"))
                .node("Relu", "y", List.of("b")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(model)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cycle").hasMessageContaining("'a' (Add)").hasMessageContaining("'b' (Relu)");
        byte[] self = relu().node("Add", "y", List.of("x", "y")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(self)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cycle");
    }

    @Test
    void danglingEdgesAndMissingInitializers() {
        assertThatThrownBy(() -> OnnxModels.load(relu().node("Relu", "y", List.of("nowhere")).bytes()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("node 'y' (Relu): reads 'nowhere'");
        byte[] conv = new OnnxBuilder(13).input("x", FLOAT, "N", 1L, 4L, 4L).output("y")
                .node("Conv", "y", List.of("x", "conv.weight")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(conv)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("reads 'conv.weight'");
        assertThatThrownBy(() -> OnnxModels.load(relu().node("Relu", "z", List.of("x")).bytes()))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("graph output 'y'");
        byte[] twice = relu().node("Relu", "y", List.of("x")).node("Relu", "y", List.of("x")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(twice)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("writes 'y'");
        byte[] noWeight = new OnnxBuilder(13).input("x", FLOAT, "N", 1L, 4L, 4L).output("y")
                .node("Conv", "y", List.of("x")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(noWeight)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("node 'y' (Conv): the weight (input 1) is missing");
    }

    @Test
    void badGeometryNamesTheNode() {
        byte[] pads = new OnnxBuilder(13).input("x", FLOAT, "N", 1L, 4L, 4L).output("y").weight("w", 1, 2, 1, 3, 3)
                .node("Conv", "y", List.of("x", "w"), attrs("pads", 1L << 40, 0, 0, 0)).bytes();
        assertThatThrownBy(() -> OnnxModels.load(pads)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("node 'y' (Conv): padding");
        byte[] big = new OnnxBuilder(13).input("x", FLOAT, "N", 1L, 4L, 4L).output("y").weight("w", 1, 2, 1, 5, 5)
                .node("Conv", "y", List.of("x", "w")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(big)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'y'").hasMessageContaining("does not fit");
        byte[] channels = new OnnxBuilder(13).input("x", FLOAT, "N", 3L, 4L, 4L).output("y").weight("w", 1, 2, 1, 3, 3)
                .node("Conv", "y", List.of("x", "w")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(channels)).isInstanceOf(ModelFormatException.class)
                .hasMessage("(bytes): node 'y' (Conv): layer 'w' (Conv2d): expected input [N,1,H,W], got [N,3,4,4]");
        byte[] reshape = relu().ints("s", 0, 3).node("Reshape", "y", List.of("x", "s")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(reshape)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cannot reshape [N,4]");
    }

    @Test
    void structureProblems() {
        assertThatThrownBy(() -> OnnxModels.load(onnx.OnnxMl.ModelProto.newBuilder().setIrVersion(7).build()
                .toByteArray())).isInstanceOf(ModelFormatException.class).hasMessageContaining("no graph");
        byte[] noOpset = onnx.OnnxMl.ModelProto.newBuilder().setGraph(relu().node("Relu", "y", List.of("x")).graph())
                .build().toByteArray();
        assertThatThrownBy(() -> OnnxModels.load(noOpset)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("operator set");
        byte[] symbolic = new OnnxBuilder(13).input("x", FLOAT, "N", "H").output("y").node("Relu", "y", List.of("x"))
                .bytes();
        assertThatThrownBy(() -> OnnxModels.load(symbolic)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'H'");
        byte[] constantOut = relu().weight("c", 1, 4).node("Identity", "y", List.of("c")).bytes();
        assertThatThrownBy(() -> OnnxModels.load(constantOut)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("constant");
    }

    private static TensorProto external(String name, String location, long... dims) {
        return OnnxBuilder.tensor(name, FLOAT, dims).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location)).build();
    }

    @Test
    void externalDataMustBeBesideTheModel() throws IOException {
        byte[] missing = relu().initializer(external("w", "weights.bin", 4, 3)).node("MatMul", "y", List.of("x", "w"))
                .bytes();
        Path p = write("ext.onnx", missing);
        assertThatThrownBy(() -> OnnxModels.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("ext.onnx").hasMessageContaining("'weights.bin', which does not exist");
        assertThatThrownBy(() -> OnnxModels.load(missing)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("OnnxModels.load(Path)");
        Files.write(tmp.resolve("weights.bin"), new byte[20]);
        assertThatThrownBy(() -> OnnxModels.load(p)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("has 20 bytes, too few for 48");
        Files.write(tmp.resolve("weights.bin"), new byte[48]);
        assertThat(OnnxModels.load(p).outputShape().dims()).containsExactly(3);
        byte[] escape = relu().initializer(external("w", "../weights.bin", 4, 3))
                .node("MatMul", "y", List.of("x", "w")).bytes();
        Path q = write("escape.onnx", escape);
        assertThatThrownBy(() -> OnnxModels.load(q)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("inside the model's directory");
    }

    @Test
    void externalFixtureCannotBeLoadedFromBytes() {
        assertThatThrownBy(() -> OnnxModels.load(Fixtures.bytes("external_op13")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("external_op13.onnx.data");
    }
}
