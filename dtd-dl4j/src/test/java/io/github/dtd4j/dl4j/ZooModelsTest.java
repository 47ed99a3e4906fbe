package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInitRelu;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.VGG16;
import org.deeplearning4j.zoo.model.VGG19;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J zoo's ImageNet networks with random weights ({@code init()}, never {@code initPretrained()}: nothing is
 * downloaded): our forward pass equals DL4J's pre-softmax output, and DTD explains them with a balanced ledger.
 */
@Tag("slow")
class ZooModelsTest {
    private static final Shape IMAGE = Shape.of(3, 224, 224);

    @AfterEach
    void releaseOffHeapMemory() {
        // ND4J frees native buffers when their Java objects are collected; these networks hold ~0.1-0.6 GB each.
        System.gc();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void check(String name, ZooModel<?> zoo, long seed) {
        long t0 = System.nanoTime();
        ComputationGraph net = (ComputationGraph) zoo.init();
        double tInit = seconds(t0);
        TestNets.randomizeBiasesAndNorms(net.paramTable(), seed);
        INDArray before = net.params().dup();

        long t1 = System.nanoTime();
        Graph g = Dl4jModels.from(net, IMAGE);
        double tImport = seconds(t1);

        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224).muli(2).subi(1);
        long t2 = System.nanoTime();
        INDArray ours = io.github.dtd4j.rules.Forwards.output(g, x);
        double tOurs = seconds(t2);
        long t3 = System.nanoTime();
        INDArray ref = Dl4jReference.logits(net, x);
        double tDl4j = seconds(t3);
        Dl4jReference.assertClose(ours, ref, 1e-4);

        long t4 = System.nanoTime();
        Explanation e = Dl4jReference.assertDtdBalances(g, x, -1, 1);
        double tExplain = seconds(t4);
        assertThat(e.inputRelevance().shape()).isEqualTo(x.shape());
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();

        System.out.printf(Locale.ROOT, "%s: %d params; DL4J init %.1f s, import %.2f s, our forward %.2f s, "
                        + "DL4J forward %.2f s, DTD explain %.2f s; f(x) = %.4g, imbalance %.3g%n", name,
                net.numParams(), tInit, tImport, tOurs, tDl4j, tExplain, e.explainedScores()[0],
                e.ledger().imbalance()[0]);
    }

    @Test
    void vgg16() {
        check("VGG16", VGG16.builder().numClasses(1000).build(), 16);
    }

    @Test
    void vgg19() {
        check("VGG19", VGG19.builder().numClasses(1000).build(), 19);
    }

    @Test
    void resNet50() {
        // The zoo's default initialisation (truncated normal, std 0.5) overflows float32 through 50 layers with
        // inference-mode BatchNorm: DL4J itself outputs NaN. He initialisation keeps the activations finite.
        check("ResNet50", ResNet50.builder().numClasses(1000).weightInit(new WeightInitRelu()).build(), 50);
    }
}
