package io.github.dtd4j.dl4j;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Helpers for the test networks. */
final class TestNets {
    private TestNets() {
    }

    /**
     * Gives biases and BatchNorm statistics non-trivial values (DL4J initialises them to 0, 1 and 0), writing into
     * DL4J's parameter views, so that a test notices a bias or statistic imported wrongly.
     */
    static void randomizeBiasesAndNorms(Map<String, INDArray> paramTable, long seed) {
        Nd4j.getRandom().setSeed(seed);
        paramTable.forEach((key, p) -> {
            String k = key.substring(key.lastIndexOf('_') + 1);
            switch (k) {
                case "b", "beta", "mean" -> p.assign(Nd4j.randn(p.dataType(), p.shape()).muli(0.2));
                case "gamma" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
                case "var" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
                case "log10stdev" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).muli(0.6).subi(0.3));
                default -> {
                }
            }
        });
    }

    /** {@return the largest |a − b|} */
    static double maxAbsDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}
