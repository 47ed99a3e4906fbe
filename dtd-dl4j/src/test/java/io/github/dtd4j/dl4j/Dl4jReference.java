package io.github.dtd4j.dl4j;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DL4J's own pre-softmax output, the reference our imported graphs are compared against: a second network with the
 * same configuration except an identity activation on the output layer, reading the same parameter buffer (DL4J
 * inference does not write to its parameters).
 */
final class Dl4jReference {
    private Dl4jReference() {
    }

    static INDArray logits(MultiLayerNetwork net, INDArray x) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        int last = conf.getConfs().size() - 1;
        ((BaseLayer) conf.getConf(last).getLayer()).setActivationFn(new ActivationIdentity());
        MultiLayerNetwork ref = new MultiLayerNetwork(conf);
        ref.init(net.params(), false);
        return ref.output(x, false);
    }

    static INDArray logits(ComputationGraph net, INDArray x) {
        ComputationGraphConfiguration conf = net.getConfiguration().clone();
        String out = conf.getNetworkOutputs().get(0);
        ((BaseLayer) ((LayerVertex) conf.getVertices().get(out)).getLayerConf().getLayer())
                .setActivationFn(new ActivationIdentity());
        ComputationGraph ref = new ComputationGraph(conf);
        ref.init(net.params(), false);
        return ref.outputSingle(false, x);
    }

    /** Asserts max|ours − ref| ≤ rel·max|ref|. */
    static void assertClose(INDArray ours, INDArray ref, double rel) {
        assertThat(ours.shape()).as("shape").isEqualTo(ref.shape());
        double scale = Math.max(ref.amaxNumber().doubleValue(), 1e-30);
        double err = Transforms.abs(ours.castTo(ref.dataType()).sub(ref), false).maxNumber().doubleValue();
        assertThat(err / scale).as("max |ours - dl4j| / max |dl4j| (max |dl4j| = %s)", scale).isLessThanOrEqualTo(rel);
    }

    /**
     * Explains {@code x} with DTD (z^B [low, high] on the first layers, z⁺ above) and asserts that the heatmap equals
     * the whole-graph loop reference's (dtd-rules' {@link ReferenceGraph}, from docs/conventions.md's formulas) on the graph as
     * explained: in float64 to 1e-9, in float32 to 1e-4 of the largest |R|. Each element explains the top class of
     * the next element (often not its own), so that a target mixed up between elements shows. The ledger, which
     * balances for any rule, is an extra check.
     *
     * @return the float64 explanation
     */
    static Explanation assertDtdMatchesTheReference(Graph g, INDArray x, double low, double high) {
        INDArray x64 = x.castTo(DataType.DOUBLE);
        Explainer ex = Explainer.of(g).preset(Presets.dtd(low, high)).precision(Precision.FLOAT64);
        int[] targets = ReferenceGraph.nextElementsTopClass(ex.forward(x64));
        Graph run = ex.compiledGraph();
        double[][] ref = ReferenceGraph.inputRelevance(run, x64, targets, ReferenceGraph.Setup.dtd(run, low, high));
        Explanation e = ex.explain(x64, targets);
        ReferenceGraph.assertAgrees("float64", e.inputRelevance(), ref, 1e-9, true);
        try (Explanation f = Explainer.of(g).preset(Presets.dtd(low, high)).explain(x.castTo(DataType.FLOAT), targets)) {
            // z^B and z⁺ divide by sums of non-negative terms: float32 rounding stays near 1e-7 relative
            ReferenceGraph.assertAgrees("float32", f.inputRelevance(), ref, 1e-4, true);
            assertBalances(f, 1e-3);
        }
        assertBalances(e, 1e-9);
        return e;
    }

    /** Asserts that input + bias + stabilizer shares add up to f(x), to {@code rel}·|f|. */
    static void assertBalances(Explanation e, double rel) {
        double[] f = e.explainedScores();
        double[] imbalance = e.ledger().imbalance();
        for (int i = 0; i < f.length; i++) {
            assertThat(Math.abs(imbalance[i])).as("imbalance of sample %d (f = %s)", i, f[i])
                    .isLessThanOrEqualTo(rel * Math.abs(f[i]) + 1e-6);
        }
    }
}
