package io.github.dtd4j.paper;

import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.LayerPropagation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The min-max relevance model of the paper's §5.1 for the first detection-pooling layer of a {@link PairNet}.
 *
 * <p>For each of the 100 pooled units k, 4 detectors j model its relevance:
 * {@code y_j = max(0, Σ_i x_i v_ij + a_j)} with the inhibiting, top-down bias
 * {@code a_j = min(0, Σ_l R_l u_lj + d_j)}, and {@code R̂_k = Σ_{j ∈ k} y_j}. The target {@code R_k} is the true
 * relevance of unit k obtained by the z⁺-rule on the top layer (whose detectors hold {@code R_l = x_l}).
 * {@code v, u, d} are fitted by minimising {@code ⟨Σ_k (R̂_k − R_k)²⟩} (Adam, hand-written gradients).
 * Explaining then takes {@code R_j = y_j} and the z^B-rule (box [−0.5, 1.5]) over the weights {@code v}, so
 * Σ_p R_p = Σ_k R̂_k, which equals f(x) up to the fitting error.
 *
 * @param v {@code [1568,400]} bottom-up weights
 * @param u {@code [400,400]} top-down weights, from the 400 upper detectors l
 * @param d {@code [400]} bias of the inhibitor
 */
record MinMaxModel(INDArray v, INDArray u, INDArray d) {
    private static final int K = PairNet.HIDDEN / PairNet.POOL;

    /** {@return the arrays by name} */
    Map<String, INDArray> arrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("v", v);
        m.put("u", u);
        m.put("d", d);
        return m;
    }

    /** Writes v, u, d to an {@code .npz}. @param path the file */
    void save(Path path) {
        Npy.writeNpz(arrays(), path);
    }

    /** {@return the model from named arrays} @param a v, u, d @param what for errors */
    static MinMaxModel of(Map<String, INDArray> a, String what) {
        for (String k : new String[]{"v", "u", "d"}) {
            if (!a.containsKey(k)) {
                throw new io.github.dtd4j.errors.InvalidInputException(what + ": no array '" + k + "' (has " + a.keySet() + ")");
            }
        }
        return new MinMaxModel(a.get("v"), a.get("u"), a.get("d").reshape(PairNet.HIDDEN));
    }

    /** {@return the same model in another dtype} @param t dtype */
    MinMaxModel castTo(DataType t) {
        return new MinMaxModel(v.castTo(t), u.castTo(t), d.castTo(t));
    }

    /** Targets and top-down inputs computed from the network: R_l of the upper detectors and R_k of the pooled units. */
    record Truth(INDArray rl, INDArray rk) {
    }

    /** The true relevances of the network on x: R_l = x_l (top detectors), R_k by the z⁺-rule. */
    static Truth truth(PairNet net, INDArray x) {
        PairNet.Pass p = net.pass(x);
        INDArray rl = Transforms.relu(p.z2(), true);
        INDArray wp = Transforms.max(net.w2(), 0.0, true);
        INDArray z = p.p1().mmul(wp);
        INDArray s = rl.div(z.add(1e-12));
        INDArray rk = p.p1().mul(s.mmul(wp.transpose()));
        return new Truth(rl, rk);
    }

    record Pass(INDArray x, INDArray rl, INDArray pre, INDArray u, INDArray y, INDArray rhat) {
    }

    Pass pass(INDArray x, INDArray rl) {
        INDArray pre = rl.mmul(u).addiRowVector(d);
        INDArray a = Transforms.min(pre, 0.0, true);
        INDArray uu = x.mmul(v).addi(a);
        INDArray y = Transforms.relu(uu, true);
        INDArray rhat = y.reshape(new long[]{y.size(0), K, PairNet.POOL}).sum(2);
        return new Pass(x, rl, pre, uu, y, rhat);
    }

    /**
     * {@return the pixel relevances {@code [B,1568]}, float64}
     *
     * @param net the network (for R_l)
     * @param x   inputs {@code [B,1568]}
     */
    INDArray relevance(PairNet net, INDArray x) {
        PairNet n = net.castTo(DataType.DOUBLE);
        MinMaxModel m = castTo(DataType.DOUBLE);
        INDArray xx = x.castTo(DataType.DOUBLE);
        Pass p = m.pass(xx, truth(n, xx).rl());
        return LayerPropagation.apply(new Dense(m.v(), null), xx, p.y(), Rules.zBox(-0.5, 1.5)).relevance();
    }

    /** {@return the fitting loss ⟨Σ_k (R̂_k − R_k)²⟩ on a batch} @param net the network @param x inputs */
    double loss(PairNet net, INDArray x) {
        Truth tr = truth(net, x);
        INDArray err = pass(x, tr.rl()).rhat().sub(tr.rk());
        return err.mul(err).sum(1).meanNumber().doubleValue();
    }

    /** {@return the gradients of {@link #loss} with respect to v, u, d}; loss[0] receives the loss. */
    INDArray[] gradients(PairNet net, INDArray x, INDArray pool, double[] loss) {
        DataType t = v.dataType();
        Truth tr = truth(net, x);
        Pass ps = pass(x, tr.rl());
        INDArray err = ps.rhat().sub(tr.rk());
        loss[0] = err.mul(err).sum(1).meanNumber().doubleValue();
        INDArray du = err.mul(2.0 / x.size(0)).mmul(pool.transpose()).muli(ps.u().gt(0).castTo(t));
        INDArray dpre = du.mul(ps.pre().lt(0).castTo(t));
        return new INDArray[]{x.transpose().mmul(du), tr.rl().transpose().mmul(dpre), dpre.sum(0).reshape(d.shape())};
    }

    /**
     * {@return a relevance model fitted to a trained network}: v starts from the network's first-layer weights, u
     * from 0 and d from the network's first-layer biases (so at the start R̂_k is the pooled activation), then Adam
     * on fresh random pairs of training digits.
     *
     * @param net   the trained network
     * @param data  digits
     * @param seed  RNG seed
     * @param steps Adam steps
     * @param batch pairs per step
     * @param lr    learning rate (/10 for the last quarter)
     * @param shift max translation of a digit
     * @param log   progress lines
     */
    static MinMaxModel train(PairNet net, MnistPairs data, long seed, int steps, int batch, double lr, int shift,
                                    Consumer<String> log) {
        DataType t = DataType.FLOAT;
        PairNet n = net.castTo(t);
        Nd4j.getRandom().setSeed(seed);
        MinMaxModel m = new MinMaxModel(n.w1().dup(), Nd4j.zeros(t, PairNet.HIDDEN, PairNet.HIDDEN), n.b1().dup());
        Adam adam = new Adam(lr, steps, m.v, m.u, m.d);
        Random rnd = new Random(seed);
        double running = Double.NaN;
        INDArray pool = PairNet.pooling(t);
        for (int step = 1; step <= steps; step++) {
            MnistPairs.Batch b = data.pairs(rnd, batch, false, shift);
            double[] loss = new double[1];
            adam.step(m.gradients(n, b.input(t), pool, loss));
            running = Double.isNaN(running) ? loss[0] : 0.98 * running + 0.02 * loss[0];
            if (step % 250 == 0 || step == steps) {
                log.accept(String.format(Locale.ROOT, "relevance model step %d/%d  mse %.2f", step, steps, running));
            }
        }
        return m;
    }
}
