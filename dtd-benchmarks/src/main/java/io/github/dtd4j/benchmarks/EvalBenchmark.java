package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.eval.RegionPerturbation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
 * Region perturbation with L = 100 steps of 2×2 patches (constant 0) on the first 100 images of the shipped
 * Fashion-MNIST sample, for one method, on the shipped models (float32): the target is ≤ 10 s on 2 cores.
 * Each measurement is one whole evaluation: the method on the 100 images, then 2 × 100 × 101 perturbed images through
 * the model in batches of 256. Reads {@code models/fashion-mnist/} from the working directory (the repository root,
 * where {@code scripts/benchmark.sh} runs), or from the directory in the system property {@code dtd4j.models}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgs = {"-Xmx3g"})
public class EvalBenchmark {
    @Param({"vgg", "resnet"})
    public String model;

    @Param({"lrp", "gradient"})
    public String method;

    private RegionPerturbation rp;
    private Attribution attribution;
    private INDArray x;

    @Setup(Level.Trial)
    public void setUp() {
        Path dir = Path.of(System.getProperty("dtd4j.models", "models"), "fashion-mnist");
        Graph g = OnnxModels.load(dir.resolve(model + ".onnx"));
        x = Npy.read(dir.resolve("sample-images.npy")).get(NDArrayIndex.interval(0, 100)).dup();
        rp = RegionPerturbation.of(g).withPatch(2).withSteps(100);
        attribution = method.equals("lrp") ? Methods.lrp(Explainer.of(g).preset(Presets.epsilonZPlus(0.25)))
                : Methods.gradient(g);
    }

    /** One evaluation: AOPC along MoRF and LeRF. */
    @Benchmark
    public double regionPerturbation() {
        return rp.evaluate(attribution, x).abpc();
    }
}
