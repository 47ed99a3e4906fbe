package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;

/** What the model benchmarks time: our forward pass and a full explanation of one prepared input. */
abstract class ExplainerBenchmark {
    /** Built by the subclass's trial setup. */
    Explainer explainer;
    /** The input, built by the subclass's trial setup. */
    INDArray x;

    /** Our forward pass on the explainer's graph (BatchNorm folded), as inside an explanation. */
    @Benchmark
    public INDArray forward() {
        INDArray logits = explainer.forward(x);
        logits.close();
        return logits;
    }

    /** A full explanation, forward pass included. */
    @Benchmark
    public double explain() {
        try (Explanation e = explainer.explain(x)) {
            return e.explainedScores()[0];
        }
    }
}
