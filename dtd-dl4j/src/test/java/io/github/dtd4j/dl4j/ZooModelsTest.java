package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.ReferenceSpots;
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
 * downloaded): our forward pass equals DL4J's pre-softmax output, and DTD's relevance at every node equals the loop
 * reference's at drawn positions ({@link ReferenceSpots}: the whole-graph reference would need 10⁹ connections at
 * 224×224, and the zoo's builders have no narrower width; the spots check each layer against the relevance the
 * engine recorded above it, which chains into the whole heatmap).
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
        Explainer ex = Explainer.of(g).preset(Presets.dtd(-1, 1)).recordLayers(true);
        long t2 = System.nanoTime();
        INDArray ours = ex.forward(x);
        double tOurs = seconds(t2);
        long t3 = System.nanoTime();
        INDArray ref = Dl4jReference.logits(net, x);
        double tDl4j = seconds(t3);
        Dl4jReference.assertClose(ours, ref, 1e-4);

        long t4 = System.nanoTime();
        try (Explanation e = ex.explain(x)) {
            double tExplain = seconds(t4);
            long t5 = System.nanoTime();
            Graph run = ex.compiledGraph();
            // float32: z^B and z⁺ divide by sums of non-negative terms, the signed Adds are scaled by their
            // cancellation (ReferenceSpots), so 1e-4 of each position's terms leaves room for rounding only
            ReferenceSpots.Report r = ReferenceSpots.assertAgrees(name, run, x, e, ReferenceGraph.Setup.dtd(run, -1, 1),
                    3, seed, 1e-4);
            double tSpots = seconds(t5);
            Dl4jReference.assertBalances(e, 1e-3);
            assertThat(e.inputRelevance().shape()).isEqualTo(x.shape());
            System.out.printf(Locale.ROOT, "%s: %d params; DL4J init %.1f s, import %.2f s, our forward %.2f s, "
                            + "DL4J forward %.2f s, DTD explain %.2f s; f(x) = %.4g; reference at %d positions "
                            + "(%d non-zero) of %d nodes in %.1f s, worst |diff|/tolerance %.2g%n", name,
                    net.numParams(), tInit, tImport, tOurs, tDl4j, tExplain, e.explainedScores()[0], r.positions(),
                    r.nonZero(), run.nodes().size(), tSpots, r.worstRatio());
        }
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();
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
