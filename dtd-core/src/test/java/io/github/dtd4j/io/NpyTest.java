package io.github.dtd4j.io;

import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.errors.ModelFormatException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NpyTest {
    @TempDir
    Path dir;

    /** Builds a .npy byte image by hand, as NumPy lays it out (independent of the writer). */
    static byte[] npy(String descr, boolean fortran, String shape, byte[] data) {
        String h = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" + shape
                + "), }";
        StringBuilder header = new StringBuilder(h);
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.toString().getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] floats(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(order);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void readsCOrderFloat32() {
        byte[] f = npy("<f4", false, "2, 3", floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6));
        INDArray a = Npy.read(new ByteArrayInputStream(f), "t.npy", f.length);
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(a.getFloat(1, 0)).isEqualTo(4f);
        assertThat(a.getFloat(0, 2)).isEqualTo(3f);
    }

    @Test
    void readsFortranOrderBigEndian() {
        // Fortran order: memory holds column 0 (1, 4), then column 1 (2, 5), then column 2 (3, 6)
        byte[] f = npy(">f4", true, "2, 3", floats(ByteOrder.BIG_ENDIAN, 1, 4, 2, 5, 3, 6));
        INDArray a = Npy.read(new ByteArrayInputStream(f), "t.npy", f.length);
        assertThat(a.getFloat(1, 0)).isEqualTo(4f);
        assertThat(a.getFloat(0, 2)).isEqualTo(3f);
    }

    @Test
    void readsHalfAndScalarsAndVectors() {
        ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3c00).putShort((short) 0xc000);
        INDArray a = Npy.read(new ByteArrayInputStream(npy("<f2", false, "2,", h.array())), "h.npy", -1);
        assertThat(a.toFloatVector()).containsExactly(1f, -2f);
        INDArray s = Npy.read(new ByteArrayInputStream(npy("<f4", false, "", floats(ByteOrder.LITTLE_ENDIAN, 7))), "s", -1);
        assertThat(s.rank()).isZero();
        assertThat(s.getFloat(0)).isEqualTo(7f);
    }

    @Test
    void roundTripsThroughWriterAndNpz() {
        INDArray a = Nd4j.rand(DataType.DOUBLE, 2, 3, 4);
        INDArray b = Nd4j.rand(DataType.FLOAT, 5);
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("features.0.weight", a);
        m.put("fc.bias", b);
        Path p = dir.resolve("w.npz");
        Npy.writeNpz(m, p);
        Map<String, INDArray> r = Npy.readNpz(p);
        assertThat(r.keySet()).containsExactly("features.0.weight", "fc.bias");
        assertThat(r.get("features.0.weight")).isEqualTo(a);
        assertThat(r.get("fc.bias")).isEqualTo(b);
        Path q = dir.resolve("a.npy");
        Npy.write(a, q);
        assertThat(Npy.read(q)).isEqualTo(a);
    }

    @Test
    void badFilesAreReportedByName() throws Exception {
        byte[] good = npy("<f4", false, "2, 3", floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6));
        Path trunc = dir.resolve("trunc.npy");
        Files.write(trunc, java.util.Arrays.copyOf(good, good.length - 3));
        assertThatThrownBy(() -> Npy.read(trunc)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("trunc.npy").hasMessageContaining("truncated");
        Path junk = dir.resolve("junk.npy");
        Files.write(junk, "hello world, not numpy".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> Npy.read(junk)).isInstanceOf(ModelFormatException.class).hasMessageContaining("magic");
        byte[] huge = npy("<f4", false, "100000, 100000, 100000", new byte[0]);
        Path h = dir.resolve("huge.npy");
        Files.write(h, huge);
        assertThatThrownBy(() -> Npy.read(h)).isInstanceOf(ModelFormatException.class).hasMessageContaining("elements");
        byte[] obj = npy("|O", false, "2,", new byte[16]);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(obj), "obj.npy", obj.length))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("obj.npy");
        Path notZip = dir.resolve("x.npz");
        Files.write(notZip, good);
        assertThatThrownBy(() -> Npy.readNpz(notZip)).isInstanceOf(ModelFormatException.class).hasMessageContaining("x.npz");
    }
}
