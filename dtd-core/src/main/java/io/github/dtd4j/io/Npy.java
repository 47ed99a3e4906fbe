package io.github.dtd4j.io;

import io.github.dtd4j.errors.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes NumPy {@code .npy} arrays and {@code .npz} archives (how PyTorch weights usually travel to
 * Java: {@code numpy.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})}). Supports versions
 * 1.0–3.0, C and Fortran order, little- and big-endian {@code f4 f8 f2 i1 i2 i4 i8 u1 b1}. Every problem is a
 * {@link ModelFormatException} naming the file; sizes are checked before anything is allocated.
 */
public final class Npy {
    /** The largest array read: 2^31 − 1 elements (an ND4J buffer limit on some paths), 8 GiB of data. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-zA-Z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** {@return the array in a {@code .npy} file} @param path the file */
    public static INDArray read(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString(), Files.size(path));
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * {@return the array in a {@code .npy} stream}
     *
     * @param in        the stream, positioned at the magic string
     * @param name      for messages
     * @param available bytes known to be available, or -1 if unknown
     */
    public static INDArray read(InputStream in, String name, long available) {
        try {
            byte[] magic = in.readNBytes(8);
            if (magic.length < 8) {
                throw new ModelFormatException(name + ": not a .npy file (" + magic.length + " bytes)");
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (magic[i] != MAGIC[i]) {
                    throw new ModelFormatException(name + ": not a .npy file (no \\x93NUMPY magic)");
                }
            }
            int major = magic[6];
            int headerLen;
            int prefix;
            if (major == 1) {
                byte[] l = in.readNBytes(2);
                if (l.length < 2) {
                    throw new ModelFormatException(name + ": truncated .npy header");
                }
                headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
                prefix = 10;
            } else if (major == 2 || major == 3) {
                byte[] l = in.readNBytes(4);
                if (l.length < 4) {
                    throw new ModelFormatException(name + ": truncated .npy header");
                }
                headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt();
                prefix = 12;
            } else {
                throw new ModelFormatException(name + ": unsupported .npy version " + major);
            }
            if (headerLen < 0 || headerLen > 1 << 20) {
                throw new ModelFormatException(name + ": implausible .npy header length " + headerLen);
            }
            byte[] hb = in.readNBytes(headerLen);
            if (hb.length < headerLen) {
                throw new ModelFormatException(name + ": truncated .npy header");
            }
            String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header);
            Matcher f = FORTRAN.matcher(header);
            Matcher s = SHAPE.matcher(header);
            if (!d.find() || !f.find() || !s.find()) {
                throw new ModelFormatException(name + ": unreadable .npy header " + header.trim());
            }
            boolean fortran = f.group(1).equals("True");
            long[] shape = parseShape(s.group(1), name);
            long n = 1;
            for (long dim : shape) {
                if (dim < 0) {
                    throw new ModelFormatException(name + ": negative dimension in shape " + s.group(1));
                }
                n = Math.multiplyExact(n, dim);
                if (n > MAX_ELEMENTS) {
                    throw new ModelFormatException(name + ": " + s.group(1) + " holds more than " + MAX_ELEMENTS
                            + " elements");
                }
            }
            char order = d.group(1).charAt(0);
            char kind = d.group(2).charAt(0);
            int size = Integer.parseInt(d.group(3));
            Type t = Type.of(kind, size, name, d.group(0));
            long bytes = n * size;
            if (available >= 0 && bytes > available - prefix - headerLen) {
                throw new ModelFormatException(name + ": truncated: shape " + java.util.Arrays.toString(shape)
                        + " needs " + bytes + " bytes of data, the file has " + Math.max(0, available - prefix - headerLen));
            }
            byte[] data = in.readNBytes((int) Math.min(bytes, Integer.MAX_VALUE - 8));
            if (data.length < bytes) {
                throw new ModelFormatException(name + ": truncated: expected " + bytes + " bytes of data, got "
                        + data.length);
            }
            ByteBuffer buf = ByteBuffer.wrap(data).order(order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            INDArray flat = t.decode(buf, (int) n);
            if (shape.length == 0) {
                return flat.reshape(new long[0]);
            }
            return fortran ? flat.reshape('f', shape).dup('c') : flat.reshape('c', shape);
        } catch (IOException e) {
            throw new ModelFormatException(name + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static long[] parseShape(String text, String name) {
        List<Long> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim().replace("L", "");
            if (p.isEmpty()) {
                continue;
            }
            try {
                dims.add(Long.parseLong(p));
            } catch (NumberFormatException e) {
                throw new ModelFormatException(name + ": bad shape (" + text + ")");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** IEEE 754 binary16 to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private enum Type {
        F2, F4, F8, I1, I2, I4, I8, U1, B1;

        static Type of(char kind, int size, String name, String descr) {
            Type t = switch (kind + "" + size) {
                case "f2" -> F2;
                case "f4" -> F4;
                case "f8" -> F8;
                case "i1" -> I1;
                case "i2" -> I2;
                case "i4" -> I4;
                case "i8" -> I8;
                case "u1" -> U1;
                case "b1" -> B1;
                default -> null;
            };
            if (t == null) {
                throw new ModelFormatException(name + ": unsupported .npy dtype " + descr);
            }
            return t;
        }

        INDArray decode(ByteBuffer b, int n) {
            switch (this) {
                case F4: {
                    float[] v = new float[n];
                    b.asFloatBuffer().get(v);
                    return Nd4j.create(v, new long[]{n}, DataType.FLOAT);
                }
                case F8: {
                    double[] v = new double[n];
                    b.asDoubleBuffer().get(v);
                    return Nd4j.create(v, new long[]{n}, DataType.DOUBLE);
                }
                case F2: {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = halfToFloat(b.getShort());
                    }
                    return Nd4j.create(v, new long[]{n}, DataType.FLOAT);
                }
                case I8: {
                    long[] v = new long[n];
                    b.asLongBuffer().get(v);
                    return Nd4j.createFromArray(v);
                }
                case I4: {
                    int[] v = new int[n];
                    b.asIntBuffer().get(v);
                    return Nd4j.createFromArray(v);
                }
                case I2: {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = b.getShort();
                    }
                    return Nd4j.createFromArray(v);
                }
                case I1, B1: {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = b.get();
                    }
                    return Nd4j.createFromArray(v);
                }
                default: {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = b.get() & 0xff;
                    }
                    return Nd4j.createFromArray(v);
                }
            }
        }
    }

    /**
     * Writes an array as {@code .npy} (version 1.0, little-endian, C order; FLOAT as {@code <f4}, DOUBLE as
     * {@code <f8}, integer types as {@code <i4}/{@code <i8}).
     *
     * @param a    the array
     * @param path where
     */
    public static void write(INDArray a, Path path) {
        try (OutputStream out = Files.newOutputStream(path)) {
            write(a, out);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write", e);
        }
    }

    /** Writes an array as {@code .npy} to a stream. @param a the array @param out the stream @throws IOException on I/O */
    public static void write(INDArray a, OutputStream out) throws IOException {
        String descr;
        int size;
        switch (a.dataType()) {
            case DOUBLE -> { descr = "<f8"; size = 8; }
            case FLOAT, HALF, BFLOAT16 -> { descr = "<f4"; size = 4; }
            case LONG -> { descr = "<i8"; size = 8; }
            case INT, SHORT, BYTE, UBYTE, BOOL -> { descr = "<i4"; size = 4; }
            default -> throw new io.github.dtd4j.errors.InvalidInputException("cannot write dtype " + a.dataType() + " as .npy");
        }
        long[] shape = a.shape();
        StringBuilder sh = new StringBuilder();
        for (long d : shape) {
            sh.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? shape[0] + "," : sh.length() == 0 ? "" : sh.substring(0, sh.length() - 2);
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': ("
                + shapeText + "), }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        out.write(MAGIC);
        out.write(new byte[]{1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
        out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        INDArray c = a.dup('c');
        long n = c.length();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(n * size, 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
        INDArray flat = c.reshape('c', new long[]{n});
        for (long i = 0; i < n; i++) {
            if (buf.remaining() < size) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            switch (size == 8 ? (descr.equals("<f8") ? 0 : 1) : (descr.equals("<f4") ? 2 : 3)) {
                case 0 -> buf.putDouble(flat.getDouble(i));
                case 1 -> buf.putLong(flat.getLong(i));
                case 2 -> buf.putFloat(flat.getFloat(i));
                default -> buf.putInt((int) flat.getLong(i));
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    /**
     * {@return the arrays of an {@code .npz} archive by name (the {@code .npy} suffix removed), in file order}
     *
     * @param path the archive (compressed or not)
     */
    public static Map<String, INDArray> readNpz(Path path) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(path))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.isDirectory()) {
                    continue;
                }
                String key = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                out.put(key, read(zip, path + "!" + e.getName(), e.getSize()));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFormatException(path + ": not a readable .npz archive: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new ModelFormatException(path + ": not an .npz archive (no arrays found)");
        }
        return out;
    }

    /** Writes arrays as an uncompressed {@code .npz}. @param arrays by name @param path where */
    public static void writeNpz(Map<String, INDArray> arrays, Path path) {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(path))) {
            for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                write(e.getValue(), bytes);
                bytes.writeTo(zip);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write", e);
        }
    }
}
