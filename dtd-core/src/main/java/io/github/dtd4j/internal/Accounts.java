package io.github.dtd4j.internal;

import io.github.dtd4j.spi.LinearLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One node's relevance accounts during a sweep, and the stabilized division every rule and every proportional
 * split uses, so that what a bias or the stabilizer absorbs is always booked.
 */
final class Accounts {
    final double[] bias;
    final double[] stabilizer;

    Accounts(int batch) {
        bias = new double[batch];
        stabilizer = new double[batch];
    }

    /**
     * {@return s = R / (d + ε·sign(d)), d = numeratorSum + biasTerm, sign(0) = +1}, booking Σ biasTerm·s and
     * Σ ε·sign(d)·s.
     */
    INDArray divide(LinearLayer layer, INDArray relevance, INDArray numeratorSum, INDArray biasTerm, double eps) {
        INDArray biasFull = null;
        if (biasTerm != null) {
            if (biasTerm.rank() == 1 && numeratorSum.rank() > 1) {
                if (layer == null) {
                    throw new IllegalArgumentException("a per-output bias term needs a linear layer to broadcast it");
                }
                biasFull = layer.addBias(numeratorSum.mul(0), biasTerm);
            } else {
                biasFull = biasTerm;
            }
        }
        INDArray d = biasFull == null ? numeratorSum : numeratorSum.add(biasFull);
        INDArray stab = d.gte(0.0).castTo(d.dataType()).muli(2 * eps).subi(eps);
        // d may be the caller's array (a recorded output): never write into it
        INDArray s = relevance.div(d.add(stab));
        add(stabilizer, perSample(stab.muli(s)));
        if (biasFull != null) {
            add(bias, perSample(biasFull.mul(s)));
        }
        return s;
    }

    private static void add(double[] acc, double[] v) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += v[i];
        }
    }

    /** {@return Σ over all but the batch axis, per batch element, accumulated in double} */
    static double[] perSample(INDArray a) {
        long n = a.size(0);
        INDArray flat = a.rank() == 2 ? a : a.reshape('c', new long[]{n, a.length() / n});
        INDArray sums = flat.dataType() == DataType.DOUBLE ? flat.sum(1) : flat.castTo(DataType.DOUBLE).sum(1);
        return sums.toDoubleVector();
    }
}
