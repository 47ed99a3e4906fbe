package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Forward pass and explanation of a full-size torchvision model (float32, random weights), per batch and preset.
 * State is built once per trial (weights, BatchNorm folding, derived weights); each invocation is one call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx3g", "-Xms3g"})
public class ModelBenchmark {
    @Param({"vgg16", "resnet50"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"dtd", "epsilon-zplus", "epsilon-alphabeta"})
    public String preset;

    private Explainer explainer;
    private INDArray x;

    @Setup(Level.Trial)
    public void setUp() {
        explainer = Models.explainer(Models.graph(model), preset);
        x = Models.input(batch);
        explainer.explain(x).close();
    }

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
