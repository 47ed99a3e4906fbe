package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class MultiLayerNetworkImportTest {

    /** conv Same (asymmetric padding) + conv Truncate + BN + ReLU + max and avg pooling + dense + softmax output. */
    static MultiLayerNetwork smallCnn() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).weightInit(WeightInit.XAVIER)
                .activation(Activation.IDENTITY).list()
                .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).name("convSame").build())
                .layer(new ConvolutionLayer.Builder(3, 3).stride(1, 1).padding(1, 1).nOut(8)
                        .convolutionMode(ConvolutionMode.Truncate).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).name("fc").build())
                .layer(new DropoutLayer.Builder(0.5).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(11, 10, 3))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 7);
        return net;
    }

    @Test
    void smallCnnMatchesDl4jAndExplains() {
        MultiLayerNetwork net = smallCnn();
        INDArray before = net.params().dup();
        Graph g = Dl4jModels.from(net, Shape.of(3, 11, 10));

        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 11, 10).muli(2).subi(1);
        INDArray ours = io.github.dtd4j.rules.Forwards.output(g, x);
        Dl4jReference.assertClose(ours, Dl4jReference.logits(net, x), 1e-4);

        assertThat(g.node("layer0_convSame").orElseThrow().layer()).isInstanceOfSatisfying(Conv2d.class, c -> {
            // 11x10 input, kernel 3, stride 2, Same: 6x5 output, padding 1/1 rows and 0/1 columns
            assertThat(new int[]{c.padTop(), c.padLeft(), c.padBottom(), c.padRight()}).containsExactly(1, 0, 1, 1);
        });
        assertThat(g.node("layer0_convSame/relu")).isPresent();
        assertThat(g.node("layer2").orElseThrow().layer()).isInstanceOf(BatchNorm.class);
        assertThat(g.node("layer6_fc/flatten")).isPresent();
        assertThat(g.outputName()).isEqualTo("layer8");
        assertThat(g.provenance().get("removed")).contains("softmax of 'layer8'");
        assertThat(g.provenance().get("source")).startsWith("DL4J MultiLayerNetwork");

        Dl4jReference.assertDtdMatchesTheReference(g, x, -1, 1);
        assertThat(net.params().equals(before)).isTrue();
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();
    }

    /** A large eps, so that adding it to the variance or not shows far above the tolerance. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void batchNormMatchesWithLogStdAndWithVariance(boolean useLogStd) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new DenseLayer.Builder().nIn(7).nOut(6).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().useLogStd(useLogStd).eps(0.1).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 5);
        assertThat(net.paramTable()).containsKey(useLogStd ? "1_log10stdev" : "1_var");
        Graph g = Dl4jModels.from(net);
        assertThat(g.inputShape()).isEqualTo(Shape.of(7));
        INDArray x = Nd4j.randn(DataType.FLOAT, 5, 7);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.output(x, false), 1e-5);
        assertThat(g.provenance()).doesNotContainKey("removed");
    }

    @Test
    void flatImageInputIsReshapedAndItsShapeInferred() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(12, 12, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 9);
        Graph g = Dl4jModels.from(net);
        assertThat(g.inputShape()).isEqualTo(Shape.of(144));
        assertThat(g.node("layer0/reshape").orElseThrow().layer()).isEqualTo(new Reshape(Shape.of(1, 12, 12)));
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 144);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, x), 1e-4);
        Dl4jReference.assertDtdMatchesTheReference(g, x, 0, 1);
    }

    @Test
    void convolutionalInputWithoutShapeAsksForIt() {
        assertThatThrownBy(() -> Dl4jModels.from(smallCnn()))
                .isInstanceOf(Dtd4jException.class)
                .hasMessageContaining("cannot tell the input shape")
                .hasMessageContaining("Shape.of(3, 224, 224)");
    }

    @Test
    void wrongInputShapeIsReportedWhereTheNetworkDisagrees() {
        assertThatThrownBy(() -> Dl4jModels.from(smallCnn(), Shape.of(3, 20, 20)))
                .isInstanceOf(Dtd4jException.class)
                .hasMessageContaining("configured for [N,8,2,1]")
                .hasMessageContaining("check the input shape");
    }

    @Test
    void uninitialisedNetworkIsRejected() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2).activation(Activation.IDENTITY).build()).build();
        assertThatThrownBy(() -> Dl4jModels.from(new MultiLayerNetwork(conf)))
                .isInstanceOf(Dtd4jException.class).hasMessageContaining("init()");
    }
}
