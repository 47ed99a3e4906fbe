package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
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

    /** Explains with DTD (zB on the first layer, z+ elsewhere) and asserts the ledger balances in float32. */
    static Explanation assertDtdBalances(Graph g, INDArray x, double low, double high) {
        Explanation e = Explainer.of(g).preset(Presets.dtd(low, high)).explain(x);
        double[] f = e.explainedScores();
        double[] imbalance = e.ledger().imbalance();
        for (int i = 0; i < f.length; i++) {
            assertThat(Math.abs(imbalance[i])).as("imbalance of sample %d (f = %s)", i, f[i])
                    .isLessThanOrEqualTo(1e-3 * Math.abs(f[i]) + 1e-6);
        }
        return e;
    }
}
