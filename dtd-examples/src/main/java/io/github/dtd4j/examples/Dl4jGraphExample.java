package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Explains a DL4J {@link ComputationGraph} with a residual connection: the network is converted to dtd4j's layer
 * graph (the softmax output is removed and recorded), explained with DTD, and the ledger shows how relevance split
 * at the residual sum.
 */
public final class Dl4jGraphExample {
    private Dl4jGraphExample() {
    }

    /** @param args ignored */
    public static void main(String[] args) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("block", new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "stem")
                .addVertex("residual", new ElementWiseVertex(ElementWiseVertex.Op.Add), "block", "stem")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "residual")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out")
                .build();
        ComputationGraph dl4j = new ComputationGraph(conf);
        dl4j.init();

        Graph net = Dl4jModels.from(dl4j, Shape.of(3, 16, 16));
        System.out.println(net);
        System.out.println(net.provenance());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 16, 16);
        try (Explanation e = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x)) {
            System.out.printf("class %d, f(x) = %.4f, input relevance %.4f%n", e.targets()[0], e.explainedScores()[0],
                    e.ledger().inputSums()[0]);
            for (LedgerEntry le : e.ledger().entries()) {
                if (!le.branches().isEmpty()) {
                    le.branches().forEach((k, v) -> System.out.printf("  at %s: %.4f went to %s%n", le.node(), v[0], k));
                }
            }
        }
    }
}
