package io.github.dtd4j.paper;

import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Trains a {@link PairNet} on the §6.1 task: mean-square error to targets 100 / 0, Adam on minibatches of fresh
 * random pairs of training digits (each digit shifted by up to {@code shift} pixels, as the paper extends its
 * training data with translated digits), biases clipped to ≤ 0 after every step.
 *
 * @param seed  RNG seed (weights and pairs)
 * @param steps optimisation steps
 * @param batch pairs per step
 * @param lr    Adam learning rate (divided by 10 for the last quarter of the steps)
 * @param shift maximum translation of a digit in pixels
 */
record PairNetTrainer(long seed, int steps, int batch, double lr, int shift) {
    /** Checks the settings. */
    PairNetTrainer {
        if (steps < 1 || batch < 1 || !(lr > 0) || shift < 0) {
            throw new IllegalArgumentException("steps and batch must be >= 1, lr > 0, shift >= 0; got steps=" + steps
                    + ", batch=" + batch + ", lr=" + lr + ", shift=" + shift);
        }
    }

    /**
     * {@return the trained net (FLOAT)}
     *
     * @param data digits
     * @param log  receives a progress line now and then
     */
    PairNet train(MnistPairs data, Consumer<String> log) {
        DataType t = DataType.FLOAT;
        PairNet net = PairNet.init(seed, t);
        Adam adam = new Adam(lr, steps, net.w1(), net.b1(), net.w2(), net.b2());
        Random rnd = new Random(seed);
        double running = Double.NaN;
        for (int step = 1; step <= steps; step++) {
            MnistPairs.Batch b = data.pairs(rnd, batch, false, shift);
            PairNet.Pass pass = net.pass(b.input(t));
            INDArray err = pass.f().sub(b.targets(t));
            double loss = err.mul(err).meanNumber().doubleValue();
            running = Double.isNaN(running) ? loss : 0.98 * running + 0.02 * loss;
            PairNet.Grads g = net.backward(pass, err.mul(2.0 / batch));
            adam.step(g.w1(), g.b1().reshape(net.b1().shape()), g.w2(), g.b2().reshape(net.b2().shape()));
            // the paper's constraint: biases ≤ 0 throughout training
            Transforms.min(net.b1(), 0.0, false);
            Transforms.min(net.b2(), 0.0, false);
            if (step % 500 == 0 || step == steps) {
                log.accept(String.format(Locale.ROOT, "step %d/%d  mse %.2f", step, steps, running));
            }
        }
        return net;
    }

    /**
     * {@return the fraction of pairs classified correctly (f(x) > 50 ⇔ a digit 0–3 is present)}
     *
     * @param net the net
     * @param b   the pairs
     */
    static double accuracy(PairNet net, MnistPairs.Batch b) {
        double[] f = net.forward(b.input(net.w1().dataType())).castTo(DataType.DOUBLE).toDoubleVector();
        int ok = 0;
        for (int i = 0; i < f.length; i++) {
            if ((f[i] > MnistPairs.THRESHOLD) == MnistPairs.positive(b.digits()[i])) {
                ok++;
            }
        }
        return (double) ok / f.length;
    }
}
