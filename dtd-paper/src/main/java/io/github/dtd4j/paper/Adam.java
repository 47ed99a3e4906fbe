package io.github.dtd4j.paper;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam (β₁ 0.9, β₂ 0.999, ε 10⁻⁸) over a fixed set of arrays updated in place, with the experiment's schedule: the
 * learning rate divided by 10 for the last quarter of the steps. Both trainings of the experiment (the network and
 * its min-max relevance model) use it; the arithmetic is the one the shipped weights were trained with.
 */
final class Adam {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPSILON = 1e-8;

    private final INDArray[] params;
    private final INDArray[] m;
    private final INDArray[] v;
    private final double lr;
    private final int steps;
    private int step;

    /**
     * @param lr     learning rate (divided by 10 for the last quarter of the steps)
     * @param steps  steps the training will take
     * @param params the arrays to optimise, updated in place
     */
    Adam(double lr, int steps, INDArray... params) {
        this.params = params;
        this.lr = lr;
        this.steps = steps;
        this.m = new INDArray[params.length];
        this.v = new INDArray[params.length];
        for (int i = 0; i < params.length; i++) {
            m[i] = Nd4j.zerosLike(params[i]);
            v[i] = Nd4j.zerosLike(params[i]);
        }
    }

    /**
     * Takes one step.
     *
     * @param grads the gradients, one per array and in the same order and shape; they are overwritten (scaled in
     *              place, which spares a copy of the largest arrays on every step)
     */
    void step(INDArray... grads) {
        step++;
        double rate = step > steps * 3 / 4 ? lr / 10 : lr;
        double c1 = 1 - Math.pow(BETA1, step);
        double c2 = 1 - Math.pow(BETA2, step);
        for (int i = 0; i < params.length; i++) {
            INDArray g2 = grads[i].mul(grads[i]);
            m[i].muli(BETA1).addi(grads[i].muli(1 - BETA1));
            v[i].muli(BETA2).addi(g2.muli(1 - BETA2));
            INDArray denom = Transforms.sqrt(v[i], true).muli(1 / Math.sqrt(c2)).addi(EPSILON);
            params[i].subi(m[i].div(denom).muli(rate / c1));
        }
    }
}
