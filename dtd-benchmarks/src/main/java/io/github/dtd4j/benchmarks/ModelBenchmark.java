package io.github.dtd4j.benchmarks;

import java.util.concurrent.TimeUnit;
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
public class ModelBenchmark extends ExplainerBenchmark {
    @Param({"vgg16", "resnet50"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"dtd", "epsilon-zplus", "epsilon-alphabeta"})
    public String preset;

    @Setup(Level.Trial)
    public void setUp() {
        explainer = Models.explainer(Models.graph(model), preset);
        x = Models.input(batch);
        explainer.explain(x).close();
    }
}
