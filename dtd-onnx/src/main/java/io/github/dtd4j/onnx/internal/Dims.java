package io.github.dtd4j.onnx.internal;

/** Arithmetic and formatting of tensor dimensions that may be absurd (the file is not trusted). */
final class Dims {
    private Dims() {
    }

    /** {@return a × b for non-negative sizes, {@link Long#MAX_VALUE} when that overflows} @param a size @param b size */
    static long boundedProduct(long a, long b) {
        if (b > 0 && a > Long.MAX_VALUE / b) {
            return Long.MAX_VALUE;
        }
        return a * b;
    }

    /** {@return the product of every dimension, bounded as {@link #boundedProduct}} @param dims the dimensions */
    static long size(long[] dims) {
        long size = 1;
        for (long d : dims) {
            size = boundedProduct(size, d);
        }
        return size;
    }

    /** {@return dimensions as "[N,3,4]", the symbolic batch written N} @param dims the dimensions */
    static String format(long[] dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < dims.length; k++) {
            sb.append(k == 0 ? "" : ",");
            if (Const.isBatch(dims[k])) {
                long f = Const.batchFactor(dims[k]);
                sb.append(f == 1 ? "N" : f + "·N");
            } else {
                sb.append(dims[k]);
            }
        }
        return sb.append(']').toString();
    }
}
