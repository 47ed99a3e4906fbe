package io.github.dtd4j.internal;

import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.RuleContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The {@link RuleContext} of one linear node in one sweep. */
final class Context implements RuleContext {
    private final LinearLayer layer;
    private final INDArray input;
    private final INDArray output;
    private final INDArray relevance;
    private final INDArray bias;
    private final double stabilizer;
    private final Accounts accounts;

    Context(LinearLayer layer, INDArray input, INDArray output, INDArray relevance, INDArray bias, double stabilizer,
            Accounts accounts) {
        this.layer = layer;
        this.input = input;
        this.output = output;
        this.relevance = relevance;
        this.bias = bias;
        this.stabilizer = stabilizer;
        this.accounts = accounts;
    }

    @Override
    public LinearLayer layer() {
        return layer;
    }

    @Override
    public INDArray input() {
        return input;
    }

    @Override
    public INDArray output() {
        return output;
    }

    @Override
    public INDArray relevance() {
        return relevance;
    }

    @Override
    public INDArray bias() {
        return bias;
    }

    @Override
    public double stabilizer() {
        return stabilizer;
    }

    @Override
    public INDArray divide(INDArray r, INDArray numeratorSum, INDArray biasTerm) {
        return accounts.divide(layer, r, numeratorSum, biasTerm, stabilizer);
    }

    @Override
    public INDArray divide(INDArray r, INDArray numeratorSum, INDArray biasTerm, double epsilon) {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
        }
        return accounts.divide(layer, r, numeratorSum, biasTerm, epsilon);
    }
}
