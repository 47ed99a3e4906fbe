package io.github.dtd4j.benchmarks;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.IntegratedGradients;
import io.github.dtd4j.methods.Methods;
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
 * Integrated Gradients with 50 steps (Gauss–Legendre, zero baseline: the library's and Captum's defaults) on
 * full-size VGG16 and ResNet-50, float32. One call takes seconds to minutes, so each measurement is one call
 * ({@link Mode#SingleShotTime}). The scaled inputs run {@code internalBatchSize} rows per backward sweep: 8 here
 * (the library's default of 50 rows would hold the activations of 50 VGG16 inputs at once, about 5 GB by estimate,
 * more than the off-heap limit that a 3 GB heap gives). The target is ≤ 50× the gradient at the same batch ({@link MethodBenchmark}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgs = {"-Xmx3g", "-Xms3g"})
public class IntegratedGradientsBenchmark {
    @Param({"vgg16", "resnet50"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"8"})
    public int internalBatchSize;

    private IntegratedGradients ig;
    private INDArray x;

    @Setup(Level.Trial)
    public void setUp() {
        Graph g = Models.graph(model);
        ig = Methods.integratedGradients(g).withSteps(50).withInternalBatchSize(internalBatchSize);
        x = Models.input(batch);
    }

    /** One attribution of the batch's top classes: 50 backward sweeps' worth of rows per element. */
    @Benchmark
    public int attribute() {
        try (Attributions a = ig.attribute(x)) {
            return a.targets()[0];
        }
    }
}
