package io.github.dtd4j.graph;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The floating-point precision a graph's parameters are held in and an explanation is computed in. Float32 is the
 * default everywhere; float64 is for references and for studying rounding.
 */
public enum Precision {
    /** 32-bit IEEE floats (ND4J {@code FLOAT}). */
    FLOAT32(DataType.FLOAT),
    /** 64-bit IEEE floats (ND4J {@code DOUBLE}). */
    FLOAT64(DataType.DOUBLE);

    private final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    /** {@return the ND4J data type of arrays in this precision} */
    public DataType dataType() {
        return dataType;
    }

    /**
     * {@return the precision of an ND4J data type}
     *
     * @param type {@code FLOAT} or {@code DOUBLE}
     * @throws io.github.dtd4j.errors.InvalidInputException for any other type
     */
    public static Precision of(DataType type) {
        for (Precision p : values()) {
            if (p.dataType == type) {
                return p;
            }
        }
        throw new io.github.dtd4j.errors.InvalidInputException("dtd4j computes in float32 or float64, not " + type);
    }
}
