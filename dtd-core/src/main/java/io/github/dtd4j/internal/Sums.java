package io.github.dtd4j.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The sweep's sums (the ledger's per-sample totals, per-channel sums for the bias's share, the forward pass's finite
 * check) as matrix–vector products with a column of ones. ND4J M2.1's reductions run at about 2 GB/s here; BLAS's
 * {@code gemv} reads the same array three to four times faster (0.07 against 0.25 ms for 144×56×56 floats) and, by
 * summing in blocks, more accurately (relative error 1.6e-7 against 2.5e-5 for 1.2 million floats in float32).
 * A NaN or an infinity anywhere makes the sum non-finite, as the reduction's does.
 */
public final class Sums {
    private Sums() {
    }

    /** Past this many elements per row the ones column is not kept (16 MB in float32), and the reduction is used. */
    private static final long MAX_CACHED = 1L << 22;
    private static final Map<DataType, INDArray> ONES = new ConcurrentHashMap<>();

    /** Columns of ones of the lengths asked for most, kept whole (a view of the long one costs an array per sum). */
    private static final Map<String, INDArray> EXACT = new ConcurrentHashMap<>();
    private static final int MAX_EXACT = 256;
    private static final long MAX_EXACT_LENGTH = 1L << 20;

    /** {@return a column {@code [length,1]} of ones (kept, or a view of a kept array), or null where none is kept} */
    private static INDArray ones(DataType dt, long length) {
        INDArray o = kept(dt, length);
        if (o == null || o.size(0) == length) {
            return o;
        }
        String key = dt + " " + length;
        INDArray e = EXACT.get(key);
        if (e != null) {
            return e;
        }
        if (length > MAX_EXACT_LENGTH || EXACT.size() >= MAX_EXACT) {
            return o.get(NDArrayIndex.interval(0, length), NDArrayIndex.all());
        }
        try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return EXACT.computeIfAbsent(key, k -> Nd4j.ones(dt, length, 1));
        }
    }

    /** {@return the kept column of ones, at least {@code length} long, or null where none is kept} */
    private static INDArray kept(DataType dt, long length) {
        if (length > MAX_CACHED || length < 1 || dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            return null;
        }
        INDArray o = ONES.get(dt);
        if (o == null || o.size(0) < length) {
            // the next power of two: a few arrays over a sweep, not one per layer size
            long len = Math.max(length, Math.min(MAX_CACHED, Long.highestOneBit(Math.max(1, length - 1)) << 1));
            // outside every workspace: kept across calls and threads, read only
            try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                o = Nd4j.ones(dt, len, 1);
            }
            ONES.put(dt, o);
        }
        return o;
    }

    /**
     * {@return the sums of the rows of one sample's {@code m} {@code [rows, cols]}, as {@code [rows, 1]}}: each sample
     * is summed by a call of its own, so that its bits do not depend on the batch it came in (a library call with
     * one picture equals a batch's row bit for bit: the Spark module's contract)
     */
    private static INDArray rowSums(INDArray m) {
        INDArray ones = ones(m.dataType(), m.size(1));
        if (ones == null) {
            // past the kept column (or another type): ND4J's reduction, in double for its accuracy
            return m.dataType() == DataType.FLOAT ? m.castTo(DataType.DOUBLE).sum(true, 1) : m.sum(true, 1);
        }
        if (m.size(0) == 1) {
            return m.mmul(ones); // a row times a column: ND4J's dot, the fastest here
        }
        // BLAS's gemv for a matrix: ND4J's mmul takes a slow path for a matrix times a column (0.36 against 0.08 ms for
        // [144, 3136]) and gemm with one column is slower than gemv for every shape here (0.09 against 0.02 ms for
        // [960, 49]). y starts at zero: some BLAS builds scale y by beta even when beta is 0 (NaN · 0)
        INDArray y = Nd4j.zeros(m.dataType(), m.size(0), 1);
        INDArray a = m.ordering() == 'c' && m.elementWiseStride() == 1 ? m : m.dup('c');
        Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, a, ones, 0.0, y);
        return y;
    }

    /** {@return Σ over all but the batch axis, per batch element} @param a {@code [N, ...]} */
    public static double[] perSample(INDArray a) {
        int n = (int) a.size(0);
        long per = a.length() / Math.max(1, n);
        INDArray ones = kept(a.dataType(), per);
        if (ones != null && a.ordering() == 'c' && a.elementWiseStride() == 1) {
            // BLAS's dot straight on each sample's memory: no view, result array or operation (each costs 3–35 µs of
            // ND4J's bookkeeping here, and an explanation of MobileNetV2 sums about 150 arrays)
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = Nd4j.getBlasWrapper().level1().dot(per, 1.0, n == 1 ? a : sample(a, i, per), ones);
            }
            return out;
        }
        INDArray rows = a.rank() == 2 ? a : a.reshape('c', new long[]{n, per});
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = rowSums(n == 1 ? rows : rows.getRow(i).reshape(1, per)).getDouble(0);
        }
        return out;
    }

    /** {@return sample i of a C-ordered array as a vector over its own memory} */
    private static INDArray sample(INDArray a, int i, long per) {
        return a.reshape('c', new long[]{a.size(0), per}).getRow(i);
    }

    /** {@return Σ of every element} @param a any array */
    public static double total(INDArray a) {
        if (a.length() == 0) {
            return 0;
        }
        return sumOf(perSample(a));
    }

    private static double sumOf(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /** {@return an NCHW array summed over its positions: {@code [N, C]}} @param a {@code [N,C,H,W]} */
    public static INDArray perChannel(INDArray a) {
        long n = a.size(0);
        long c = a.size(1);
        long hw = a.size(2) * a.size(3);
        INDArray ones = n == 1 ? ones(a.dataType(), hw) : null;
        if (ones != null) {
            // one image: gemv of its [C, HW] matrix, without the per-row views of the batch path
            INDArray m = a.reshape('c', new long[]{c, hw});
            INDArray y = Nd4j.zeros(a.dataType(), c, 1);
            Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, m.ordering() == 'c' && m.elementWiseStride() == 1 ? m
                    : m.dup('c'), ones, 0.0, y);
            return y.reshape('c', new long[]{1, c});
        }
        INDArray rows = a.reshape('c', new long[]{n, c, hw});
        if (n == 1) {
            return rowSums(rows.reshape('c', c, hw)).reshape('c', new long[]{1, c});
        }
        INDArray out = null;
        for (long i = 0; i < n; i++) {
            INDArray sums = rowSums(rows.tensorAlongDimension(i, 1, 2));
            if (out == null) {
                out = Nd4j.create(sums.dataType(), n, c); // double where the reduction's path summed in double
            }
            out.getRow(i).assign(sums.reshape(c));
        }
        return out;
    }
}
