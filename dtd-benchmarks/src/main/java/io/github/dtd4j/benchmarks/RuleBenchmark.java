package io.github.dtd4j.benchmarks;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.spi.Rule;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
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
 * One rule on one VGG-sized convolution (64→64 channels, 3×3, padding 1, 112×112, batch 1, float32), against the
 * convolution itself: the cost of a rule in units of forward convolutions.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class RuleBenchmark {
    @Param({"conv", "zplus", "zbox", "wsquare", "epsilon", "alphabeta", "flat", "gamma"})
    public String rule;

    private static final WorkspaceConfiguration WS = WorkspaceConfiguration.builder().initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP).build();

    private Conv2d conv;
    private INDArray x;
    private INDArray r;
    private Rule impl;

    @Setup(Level.Trial)
    public void setUp() {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(3);
        conv = Conv2d.of(Nd4j.randn(rng, new long[]{64, 64, 3, 3}).castTo(DataType.FLOAT).muli(0.06),
                Nd4j.zeros(DataType.FLOAT, 64)).withPadding(1);
        x = Transforms.relu(Nd4j.randn(rng, new long[]{1, 64, 112, 112}).castTo(DataType.FLOAT), false);
        r = Nd4j.rand(rng, new long[]{1, 64, 112, 112}).castTo(DataType.FLOAT);
        impl = switch (rule) {
            case "conv" -> null;
            case "zplus" -> Rules.Z_PLUS;
            case "zbox" -> Rules.zBox(0, 100);
            case "wsquare" -> Rules.W_SQUARE;
            case "epsilon" -> Rules.epsilon(0.25);
            case "alphabeta" -> Rules.ALPHA2_BETA1;
            case "flat" -> Rules.FLAT;
            case "gamma" -> Rules.gamma(0.25);
            default -> throw new IllegalArgumentException(rule);
        };
    }

    @Benchmark
    public double run() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WS, "bench-rule")) {
            if (impl == null) {
                return LayerPropagation.forward(conv, java.util.List.of(x)).getDouble(0);
            }
            return LayerPropagation.apply(conv, x, r, impl).relevance().getDouble(0);
        }
    }
}
