package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Networks in DL4J's NHWC layout (as its Keras importer builds for channels_last models): the graph is channels
 * first, and equals DL4J fed the same image as NHWC.
 */
class NhwcImportTest {
    private static INDArray nhwc(INDArray nchw) {
        return nchw.permute(0, 2, 3, 1).dup('c');
    }

    @Test
    void flattenOfNhwcActivationsReordersTheDenseWeights() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(31).weightInit(WeightInit.XAVIER)
                .activation(Activation.IDENTITY).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).stride(2, 2).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(CNN2DFormat.NHWC).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().dataFormat(CNN2DFormat.NHWC).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(1, 1)
                        .dataFormat(CNN2DFormat.NHWC).build())
                .layer(new DenseLayer.Builder().nOut(7).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(9, 7, 2, CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 3);
        INDArray before = net.params().dup();

        Graph g = Dl4jModels.from(net, Shape.of(2, 9, 7));
        assertThat(g.provenance().get("input layout")).contains("x.permute(0,3,1,2)");
        assertThat(g.provenance().get("rewritten")).contains("'layer3': weight rows reordered");

        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 2, 9, 7).muli(2).subi(1);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, nhwc(x)), 1e-4);
        Dl4jReference.assertDtdMatchesTheReference(g, x, -1, 1);
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();
    }

    @Test
    void mergeAndGlobalPoolingOfNhwcActivations() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(32)
                .weightInit(WeightInit.XAVIER).activation(Activation.RELU).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(8, 8, 3, CNN2DFormat.NHWC))
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).dataFormat(CNN2DFormat.NHWC).build(), "in")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(2).dataFormat(CNN2DFormat.NHWC).build(), "a")
                .addVertex("ab", new MergeVertex(), "a", "b")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).poolingDimensions(1, 2).build(), "ab")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "gap")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 4);
        Graph g = Dl4jModels.from(net, Shape.of(3, 8, 8));
        assertThat(g.shapeOf("ab")).isEqualTo(Shape.of(6, 6, 6));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.outputSingle(false, nhwc(x)), 1e-4);
    }

    @Test
    void nhwcImageReadByADenseLayer() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(33).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(4, 5, 3, CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 5);
        Graph g = Dl4jModels.from(net);
        assertThat(g.inputShape()).isEqualTo(Shape.of(3, 4, 5));
        assertThat(g.provenance()).containsKey("input layout");
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 4, 5);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.output(nhwc(x), false), 1e-5);
    }
}
