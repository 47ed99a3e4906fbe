package io.github.dtd4j.paper;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The network of the paper's §6.1: 1568 pixels → 400 ReLU detectors sum-pooled in groups of 4 into 100 → 400 ReLU
 * detectors sum-pooled into the single output {@code f(x)}. Biases are ≤ 0.
 *
 * <p>Forward and backward passes are written out by hand with ND4J matrix products (the net is small and dense),
 * so that training needs no autodiff. The heatmapping methods that need the input gradient (sensitivity,
 * nearest-root Taylor) take it from the library's reverse sweep on {@link #graph()}.
 *
 * @param w1 {@code [1568,400]}
 * @param b1 {@code [400]}
 * @param w2 {@code [100,400]}
 * @param b2 {@code [400]}
 */
record PairNet(INDArray w1, INDArray b1, INDArray w2, INDArray b2) {
    /** Input size: 28×56 pixels. */
    static final int IN = 28 * 56;
    /** Detectors per layer. */
    static final int HIDDEN = 400;
    /** Pool size of the first layer. */
    static final int POOL = 4;

    /** Checks the shapes. */
    PairNet {
        check("w1", w1, IN, HIDDEN);
        check("b1", b1, HIDDEN);
        check("w2", w2, HIDDEN / POOL, HIDDEN);
        check("b2", b2, HIDDEN);
    }

    private static void check(String name, INDArray a, long... shape) {
        if (!java.util.Arrays.equals(a.shape(), shape)) {
            throw new InvalidInputException("PairNet: " + name + " must have shape " + java.util.Arrays.toString(shape)
                    + ", got " + java.util.Arrays.toString(a.shape()));
        }
    }

    /** {@return weights drawn like the paper: N(0, 0.05²), biases 0} @param seed RNG seed @param dtype FLOAT or DOUBLE */
    static PairNet init(long seed, DataType dtype) {
        Nd4j.getRandom().setSeed(seed);
        return new PairNet(Nd4j.randn(dtype, IN, HIDDEN).muli(0.05), Nd4j.zeros(dtype, HIDDEN),
                Nd4j.randn(dtype, HIDDEN / POOL, HIDDEN).muli(0.05), Nd4j.zeros(dtype, HIDDEN));
    }

    /** {@return the same net in another dtype} @param dtype target */
    PairNet castTo(DataType dtype) {
        return new PairNet(w1.castTo(dtype), b1.castTo(dtype), w2.castTo(dtype), b2.castTo(dtype));
    }

    /** {@return the net as a dtd4j graph (names {@code detect1}, {@code detect2})} */
    Graph graph() {
        return Graph.sequential(IN).dense("detect1", w1, b1).relu().sumPool(POOL)
                .dense("detect2", w2, b2).relu().sumPool(HIDDEN).build();
    }

    /** {@return the arrays by name, for {@code .npz}} */
    Map<String, INDArray> arrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("w1", w1);
        m.put("b1", b1);
        m.put("w2", w2);
        m.put("b2", b2);
        return m;
    }

    /** {@return a net read from an {@code .npz} written by {@link #save}} @param path the file */
    static PairNet load(Path path) {
        return of(Npy.readNpz(path), path.toString());
    }

    /** {@return a net from named arrays} @param a w1, b1, w2, b2 @param what where they came from, for errors */
    static PairNet of(Map<String, INDArray> a, String what) {
        for (String k : new String[]{"w1", "b1", "w2", "b2"}) {
            if (!a.containsKey(k)) {
                throw new InvalidInputException(what + ": no array '" + k + "' (has " + a.keySet() + ")");
            }
        }
        return new PairNet(a.get("w1"), a.get("b1").reshape(HIDDEN), a.get("w2"), a.get("b2").reshape(HIDDEN));
    }

    /** Writes w1, b1, w2, b2 to an {@code .npz}. @param path the file */
    void save(Path path) {
        Npy.writeNpz(arrays(), path);
    }

    /** The activations of one forward pass, kept for the backward pass. */
    record Pass(INDArray x, INDArray z1, INDArray p1, INDArray z2, INDArray f) {
    }

    private static final Map<DataType, INDArray> POOLING = new java.util.concurrent.ConcurrentHashMap<>();

    /** The {@code [400,100]} 0/1 matrix that sums consecutive groups of 4 detectors (as {@code SumPool(4)} does). */
    static INDArray pooling(DataType dtype) {
        return POOLING.computeIfAbsent(dtype, PairNet::makePooling);
    }

    private static INDArray makePooling(DataType dtype) {
        INDArray p = Nd4j.zeros(dtype, HIDDEN, HIDDEN / POOL);
        for (int j = 0; j < HIDDEN; j++) {
            p.putScalar(j, j / POOL, 1.0);
        }
        return p;
    }

    Pass pass(INDArray x) {
        INDArray xx = x.castTo(w1.dataType());
        INDArray z1 = xx.mmul(w1).addiRowVector(b1);
        INDArray p1 = Transforms.relu(z1, true).mmul(pooling(w1.dataType()));
        INDArray z2 = p1.mmul(w2).addiRowVector(b2);
        INDArray f = Transforms.relu(z2, true).sum(1);
        return new Pass(xx, z1, p1, z2, f);
    }

    /** {@return f(x) per sample, {@code [B]}} @param x {@code [B,1568]} */
    INDArray forward(INDArray x) {
        return pass(x).f();
    }

    /** Gradients of a loss with respect to the parameters. */
    record Grads(INDArray w1, INDArray b1, INDArray w2, INDArray b2) {
    }

    /** Back-propagates {@code dL/df} ({@code [B]}) through a pass to the parameters. */
    Grads backward(Pass p, INDArray dF) {
        DataType t = w1.dataType();
        INDArray dz2 = p.z2().gt(0).castTo(t).muliColumnVector(dF.castTo(t).reshape(new long[]{dF.length(), 1}));
        INDArray dp1 = dz2.mmul(w2.transpose());
        INDArray dz1 = dp1.mmul(pooling(t).transpose()).muli(p.z1().gt(0).castTo(t));
        return new Grads(p.x().transpose().mmul(dz1), dz1.sum(0), p.p1().transpose().mmul(dz2), dz2.sum(0));
    }
}
