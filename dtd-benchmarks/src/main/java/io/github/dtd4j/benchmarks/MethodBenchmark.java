package io.github.dtd4j.benchmarks;

import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
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
 * The one-backward-pass methods (gradient, gradient×input, guided backprop, deconvnet) on full-size VGG16 and
 * ResNet-50 (float32, random weights), each invocation one {@code attribute} call, forward pass included. The
 * target is ≤ 2.5× our forward pass ({@link ModelBenchmark#forward}) at batch 1; batch 8 of the gradient is the
 * reference of {@link IntegratedGradientsBenchmark}. Grad-CAM, also one forward and one backward pass, at its
 * default layer ({@link Models#method}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx3g", "-Xms3g"})
public class MethodBenchmark {
    @Param({"vgg16", "resnet50"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"gradient", "gradient-input", "guided-backprop", "deconvnet", "grad-cam"})
    public String method;

    private Attribution attribution;
    private INDArray x;

    @Setup(Level.Trial)
    public void setUp() {
        attribution = Models.method(method, model, Models.graph(model));
        x = Models.input(batch);
        attribution.attribute(x).close();
    }

    /** One attribution of the batch's top classes. */
    @Benchmark
    public int attribute() {
        try (Attributions a = attribution.attribute(x)) {
            return a.targets()[0];
        }
    }
}
