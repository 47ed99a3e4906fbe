package io.github.dtd4j.dl4j;

import io.github.dtd4j.errors.UnsupportedModelException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.Shape;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class UnsupportedModelTest {

    @Test
    void sigmoidDenseAndLstmAreListedTogether() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(8).nOut(6).activation(Activation.SIGMOID).build())
                .layer(new LSTM.Builder().nOut(5).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(8))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> Dl4jModels.from(net, Shape.of(8)));
        assertThat(e).isInstanceOf(Dtd4jException.class);
        assertThat(e.parts()).extracting(UnsupportedModelException.Part::node)
                .contains("layer0", "layer1", "layer2");
        assertThat(e.parts()).anySatisfy(i -> {
            assertThat(i.node()).isEqualTo("layer0");
            assertThat(i.operator()).isEqualTo("DenseLayer");
            assertThat(i.reason()).contains("activation sigmoid");
        });
        assertThat(e.parts()).anySatisfy(i -> {
            assertThat(i.node()).isEqualTo("layer1");
            assertThat(i.operator()).isEqualTo("LSTM");
            assertThat(i.reason()).contains("layer type not supported").contains("tanh");
        });
        assertThat(e.getMessage())
                .startsWith("DL4J MultiLayerNetwork")
                .contains("'layer0' (DenseLayer): activation sigmoid")
                .contains("'layer1' (LSTM): layer type not supported (activation tanh)")
                .contains("'layer2' (RnnOutputLayer)");
        assertThat(e.parts()).anySatisfy(p -> assertThat(p.toString()).contains("'layer1' (LSTM)"));
    }

    @Test
    void everyUnsupportedVertexAndLayerOfAGraphIsListed() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(),
                        "in")
                .addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), "conv", "conv2")
                .addVertex("scale", new ScaleVertex(2.0), "product")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "scale")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> Dl4jModels.from(net, Shape.of(2, 6, 6)));
        assertThat(e.parts()).extracting(UnsupportedModelException.Part::toString).containsExactly(
                "'conv' (ConvolutionLayer): activation tanh is not supported (only identity, ReLU, and softmax at the "
                        + "output)",
                "'product' (ElementWiseVertex): element-wise Product is not supported (only Add)",
                "'scale' (ScaleVertex): vertex type not supported (supported: layers, ElementWiseVertex Add, "
                        + "MergeVertex, PreprocessorVertex)");
    }

    @Test
    void softmaxInsideTheNetworkIsUnsupported() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.SOFTMAX).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> Dl4jModels.from(net));
        assertThat(e.getMessage()).contains("'layer0' (DenseLayer): activation softmax is supported only at the "
                + "network's output");
    }

    @Test
    void twoOutputsAreUnsupported() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("a", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("b", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build(), "in")
                .setOutputs("a", "b")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        UnsupportedModelException e = catchThrowableOfType(UnsupportedModelException.class,
                () -> Dl4jModels.from(net));
        assertThat(e.getMessage()).contains("1 inputs and 2 outputs");
    }
}
