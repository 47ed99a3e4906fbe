package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import onnx.OnnxMl.StringStringEntryProto;
import onnx.OnnxMl.TensorProto;

/**
 * Decodes ONNX {@code TensorProto}s into {@link Const}s: raw little-endian bytes, the typed fields
 * ({@code float_data}, {@code double_data}, {@code int64_data}, {@code int32_data}) or an external data file beside
 * the model. Every size is checked against the data actually present before anything is allocated.
 */
final class OnnxTensors {
    /** Largest tensor we decode: Java arrays and ND4J's creation from them are int-indexed. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;

    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int UINT16 = 4;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int BOOL = 9;
    static final int DOUBLE = 11;

    private final String source;
    private final Path baseDir;

    /**
     * @param source  the model's name, for messages
     * @param baseDir the directory external data files are resolved against; null when the model came from memory
     */
    OnnxTensors(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    /** {@return the ONNX name of a TensorProto data type} @param type the enum value */
    static String typeName(int type) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(type);
        return t == null ? "data type " + type : t.name();
    }

    /**
     * Decodes a tensor.
     *
     * @param t      the tensor
     * @param what   what it is, for messages ("initializer 'fc.weight'")
     * @param origin the name layers using it may be named after, or null
     * @return the constant
     * @throws ModelFormatException if its sizes and data disagree or its external file is missing
     * @throws NotSupported          for data types other than float, double and integers
     */
    Const decode(TensorProto t, String what, String origin) {
        long[] dims = new long[t.getDimsCount()];
        long count = 1;
        for (int k = 0; k < dims.length; k++) {
            dims[k] = t.getDims(k);
            if (dims[k] < 0) {
                throw invalid(what + " has a negative dimension " + dims[k]);
            }
            count = checkedMultiply(count, dims[k], what);
        }
        int type = t.getDataType();
        int size = elementSize(type);
        if (size == 0) {
            throw new NotSupported(what + " has data type " + typeName(type) + " (supported: FLOAT, DOUBLE, integers)");
        }
        if (count > MAX_ELEMENTS) {
            throw invalid(what + " has dimensions " + java.util.Arrays.toString(dims) + ": " + count
                    + " elements, more than the " + MAX_ELEMENTS + " a tensor may hold");
        }
        int n = (int) count;
        ByteBuffer raw = null;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = external(t, what, (long) n * size);
        } else if (!t.getRawData().isEmpty()) {
            if (t.getRawData().size() != (long) n * size) {
                throw invalid(what + " holds " + t.getRawData().size() + " bytes of raw data; its dimensions "
                        + java.util.Arrays.toString(dims) + " and type " + typeName(type) + " need " + (long) n * size);
            }
            raw = t.getRawData().asReadOnlyByteBuffer();
        }
        if (raw != null) {
            raw.order(ByteOrder.LITTLE_ENDIAN);
            return fromRaw(raw, type, dims, n, origin);
        }
        return fromTyped(t, type, dims, n, what, origin);
    }

    private static Const fromRaw(ByteBuffer raw, int type, long[] dims, int n, String origin) {
        switch (type) {
            case FLOAT -> {
                return Const.rawFloats(dims, raw, origin);
            }
            case DOUBLE -> {
                double[] v = new double[n];
                raw.asDoubleBuffer().get(v);
                return Const.doubles(dims, v, origin);
            }
            case INT64 -> {
                long[] v = new long[n];
                raw.asLongBuffer().get(v);
                return Const.ints(dims, v, origin);
            }
            default -> {
                long[] v = new long[n];
                for (int k = 0; k < n; k++) {
                    v[k] = switch (type) {
                        case INT32 -> raw.getInt();
                        case INT16 -> raw.getShort();
                        case UINT16 -> raw.getShort() & 0xFFFF;
                        case INT8 -> raw.get();
                        default -> raw.get() & 0xFF; // UINT8, BOOL
                    };
                }
                return Const.ints(dims, v, origin);
            }
        }
    }

    private Const fromTyped(TensorProto t, int type, long[] dims, int n, String what, String origin) {
        int have = switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            default -> t.getInt32DataCount();
        };
        if (have != n) {
            throw invalid(what + " holds " + have + " values; its dimensions " + java.util.Arrays.toString(dims)
                    + " need " + n);
        }
        switch (type) {
            case FLOAT -> {
                float[] v = new float[n];
                for (int k = 0; k < n; k++) {
                    v[k] = t.getFloatData(k);
                }
                return Const.floats(dims, v, origin);
            }
            case DOUBLE -> {
                double[] v = new double[n];
                for (int k = 0; k < n; k++) {
                    v[k] = t.getDoubleData(k);
                }
                return Const.doubles(dims, v, origin);
            }
            case INT64 -> {
                long[] v = new long[n];
                for (int k = 0; k < n; k++) {
                    v[k] = t.getInt64Data(k);
                }
                return Const.ints(dims, v, origin);
            }
            default -> {
                long[] v = new long[n];
                for (int k = 0; k < n; k++) {
                    v[k] = t.getInt32Data(k);
                }
                return Const.ints(dims, v, origin);
            }
        }
    }

    private ByteBuffer external(TensorProto t, String what, long needed) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(e.getValue(), what, "offset");
                case "length" -> length = parseLong(e.getValue(), what, "length");
                default -> {
                    // "checksum" and unknown keys do not change the data
                }
            }
        }
        if (location == null || location.isEmpty()) {
            throw invalid(what + " is stored externally but names no location");
        }
        if (baseDir == null) {
            throw invalid(what + " is stored in the external file '" + location + "', which can only be found when "
                    + "the model is loaded from a file: use OnnxModels.load(Path)");
        }
        Path file;
        try {
            Path rel = Path.of(location);
            file = baseDir.resolve(rel).normalize();
            if (rel.isAbsolute() || !file.startsWith(baseDir.normalize())) {
                throw invalid(what + ": external data location '" + location
                        + "' must be a relative path inside the model's directory " + baseDir);
            }
        } catch (InvalidPathException e) {
            throw invalid(what + ": external data location '" + location + "' is not a valid path");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
            throw invalid(what + " is stored in the external file '" + location + "', which does not exist next to "
                    + "the model (looked for " + file + ")");
        }
        if (needed > MAX_ELEMENTS) {
            throw invalid(what + " needs " + needed + " bytes of external data; a single tensor is limited to "
                    + MAX_ELEMENTS);
        }
        if (length >= 0 && length != needed) {
            throw invalid(what + ": external data length " + length + " bytes, but its dimensions and type need "
                    + needed);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset < 0 || offset > size || needed > size - offset) {
                throw invalid(what + ": external file '" + location + "' has " + size + " bytes, too few for "
                        + needed + " bytes at offset " + offset);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) needed);
            while (buf.hasRemaining()) {
                // 1 MB at a time: a heap buffer is read through a temporary direct buffer as large as the read,
                // which the JDK keeps for the thread
                ByteBuffer chunk = buf.slice(buf.position(), Math.min(1 << 20, buf.remaining()));
                int n = ch.read(chunk, offset + buf.position());
                if (n < 0) {
                    throw invalid(what + ": external file '" + location + "' ended early");
                }
                buf.position(buf.position() + n);
            }
            buf.flip();
            return buf;
        } catch (IOException e) {
            throw new ModelFormatException(source + ": " + what + ": cannot read external file '" + location + "': "
                    + e, e);
        }
    }

    private long parseLong(String s, String what, String key) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw invalid(what + ": external data " + key + " '" + s + "' is not a number");
        }
    }

    private long checkedMultiply(long a, long b, String what) {
        if (b != 0 && a > Long.MAX_VALUE / b) {
            throw invalid(what + " has more than 2^63 elements");
        }
        return a * b;
    }

    /** {@return bytes per element, or 0 for types we do not read} */
    static int elementSize(int type) {
        return switch (type) {
            case FLOAT, INT32 -> 4;
            case DOUBLE, INT64 -> 8;
            case INT16, UINT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
            default -> 0;
        };
    }

    private ModelFormatException invalid(String message) {
        return new ModelFormatException(source + ": " + message);
    }
}
