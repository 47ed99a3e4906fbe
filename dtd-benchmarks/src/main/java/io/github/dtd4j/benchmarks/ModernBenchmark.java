package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
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
 * Forward pass and explanation of torchvision's MobileNetV2 and ViT-B/16 imported from ONNX (issue 13's targets), at
 * batch 1 in float32. The files are exported by {@code scripts/modern_models.py} into the directory the system property
 * {@code dtd.bench.modern} names (default {@code target/bench/modern}); {@code scripts/benchmark.sh modern} does both.
 * MobileNetV2 is explained with DTD (z^B on the first layer, z⁺ above); ViT-B/16 with z^B on its patchifying
 * convolution and γ = 0.25 on the dense layers, the how-to's recommendation for transformers.
 *
 * <p>Three forks per benchmark: JMH times each method in JVMs of its own, and on a shared machine a JVM keeps one
 * speed for its whole life (docs/performance-notes.md), so one fork per method divides two single draws of that speed;
 * three average over three. {@link PairedRatio} times both in one JVM.
 *
 * <p>Thirty seconds of warm-up per fork, after the setup's first explanation: with one thread the JIT still compiles
 * the explanation's code 20–45 s into the JVM's life (MobileNetV2, {@code -XX:+PrintCompilation}), and ViT-B/16's
 * explanation takes 1.6 s until about its fifteenth call and 1.2–1.3 s from then on, so that six seconds of warm-up
 * measured the JIT's progress rather than the explanation (docs/performance-notes.md, 2026-12-01).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 6, time = 5)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgs = {"-Xmx4g", "-Xms4g"})
public class ModernBenchmark extends ExplainerBenchmark {
    @Param({"mobilenet_v2", "vit_b_16"})
    public String model;

    @Setup(Level.Trial)
    public void setUp() {
        explainer = explainer(Path.of(System.getProperty("dtd.bench.modern", "target/bench/modern")), model);
        x = Models.input(1);
        explainer.explain(x).close();
    }

    /** {@return the benchmark's explainer for a model exported into the directory} */
    static Explainer explainer(Path dir, String model) {
        Graph g = OnnxModels.load(dir.resolve(model + ".onnx"));
        Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBoxImageNet()));
        return model.startsWith("vit") ? ex.rule(Selector.dense(), Rules.gamma(0.25)) : ex;
    }
}
