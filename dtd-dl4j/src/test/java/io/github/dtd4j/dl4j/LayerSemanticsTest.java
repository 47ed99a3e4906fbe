package io.github.dtd4j.dl4j;

import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.errors.ModelFormatException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
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

/**
 * One DL4J layer setting at a time, each compared with DL4J's own output on inputs of both signs (a padded value
 * that wrongly wins a max, or a wrong divisor, changes the output).
 */
class LayerSemanticsTest {
    private static final int H = 9;
    private static final int W = 8;

    /** The layers, then a dense identity output layer, on a 2×9×8 input; biases randomised. */
    static MultiLayerNetwork net(Layer... layers) {
        var list = new NeuralNetConfiguration.Builder().seed(12).weightInit(WeightInit.XAVIER)
                .activation(Activation.IDENTITY).list();
        for (Layer l : layers) {
            list.layer(l);
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(4).activation(Activation.IDENTITY)
                .build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(InputType.convolutional(H, W, 2)).build());
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 21);
        return net;
    }

    /** Imports, compares with DL4J on a signed input, and returns the graph. */
    static Graph check(MultiLayerNetwork net) {
        INDArray before = net.params().dup();
        Graph g = Dl4jModels.from(net, Shape.of(2, H, W));
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 2, H, W);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.output(x, false), 1e-5);
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();
        return g;
    }

    static <T> T layer(Graph g, String name, Class<T> type) {
        Node n = g.node(name).orElseThrow(() -> new AssertionError("no node " + name + " in " + g));
        assertThat(n.layer()).isInstanceOf(type);
        return type.cast(n.layer());
    }

    static ConvolutionLayer.Builder conv(int k) {
        return new ConvolutionLayer.Builder(k, k).nOut(3);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void averagePoolingWithPaddingUsesDl4jsDivisor(boolean includePadInDivisor) {
        Graph g = check(net(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(3, 3).stride(2, 2)
                .padding(1, 1).avgPoolIncludePadInDivisor(includePadInDivisor).build()));
        assertThat(layer(g, "layer0", AvgPool2d.class).padTop()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void averagePoolingSameMode(boolean includePadInDivisor) {
        Graph g = check(net(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2)
                .convolutionMode(ConvolutionMode.Same).avgPoolIncludePadInDivisor(includePadInDivisor).build()));
        AvgPool2d p = layer(g, "layer0", AvgPool2d.class);
        assertThat(new int[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()}).containsExactly(0, 0, 1, 0);
    }

    @Test
    void maxPoolingSameModeNeverPicksPadding() {
        Graph g = check(net(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
                .convolutionMode(ConvolutionMode.Same).build()));
        MaxPool2d p = layer(g, "layer0", MaxPool2d.class);
        assertThat(new int[]{p.padTop(), p.padLeft(), p.padBottom(), p.padRight()}).containsExactly(1, 0, 1, 1);
    }

    @Test
    void maxPoolingWithPaddingAndUnevenStride() {
        check(net(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 2).stride(2, 3).padding(1, 1)
                .build()));
    }

    @Test
    void convolutionSameWithDilationAndStride() {
        Graph g = check(net(conv(3).stride(2, 2).dilation(2, 2).convolutionMode(ConvolutionMode.Same).build()));
        Conv2d c = layer(g, "layer0", Conv2d.class);
        assertThat(c.dilationH()).isEqualTo(2);
        // 9 rows, stride 2 -> 5 rows; effective kernel 5: (5-1)*2 + 5 - 9 = 4 -> 2 above, 2 below
        // 8 columns -> 4; (4-1)*2 + 5 - 8 = 3 -> 1 left, 2 right
        assertThat(new int[]{c.padTop(), c.padLeft(), c.padBottom(), c.padRight()}).containsExactly(2, 1, 2, 2);
    }

    @Test
    void convolutionTruncateWithPaddingDilationAndNoBias() {
        Graph g = check(net(conv(2).stride(1, 2).padding(2, 1).dilation(1, 2).hasBias(false).build()));
        assertThat(layer(g, "layer0", Conv2d.class).bias()).isNull();
    }

    @Test
    void convolutionStrictMode() {
        check(net(conv(3).stride(2, 1).padding(1, 0).convolutionMode(ConvolutionMode.Strict).build()));
    }

    @Test
    void zeroPaddingIsFoldedIntoTheConvolution() {
        Graph g = check(net(new ZeroPaddingLayer.Builder(1, 2, 0, 3).build(),
                conv(3).stride(2, 2).convolutionMode(ConvolutionMode.Same).build()));
        assertThat(g.node("layer0")).isEmpty();
        Conv2d c = layer(g, "layer1", Conv2d.class);
        // padded 12x11, stride 2 Same -> 6x6: (5*2+3-12)=1 -> 0/1 rows, (5*2+3-11)=2 -> 1/1 columns
        assertThat(new int[]{c.padTop(), c.padLeft(), c.padBottom(), c.padRight()}).containsExactly(1, 1, 3, 4);
        assertThat(g.provenance().get("rewritten")).contains("zero padding 'layer0' folded into the padding of 'layer1'");
    }

    @Test
    void twoZeroPaddingsInARowAreFoldedTogether() {
        Graph g = check(net(new ZeroPaddingLayer.Builder(1, 1).build(), new ZeroPaddingLayer.Builder(0, 1, 2, 0)
                .build(), conv(3).build()));
        Conv2d c = layer(g, "layer2", Conv2d.class);
        assertThat(new int[]{c.padTop(), c.padLeft(), c.padBottom(), c.padRight()}).containsExactly(1, 3, 2, 1);
    }

    @Test
    void zeroPaddingBeforeMaxPoolingFoldsAfterARelu() {
        Graph g = check(net(conv(3).activation(Activation.RELU).build(), new ZeroPaddingLayer.Builder(1, 1).build(),
                new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build()));
        assertThat(layer(g, "layer2", MaxPool2d.class).padTop()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void zeroPaddingBeforeAveragePoolingCountsItsZeros(boolean includePadInDivisor) {
        Graph g = check(net(new ZeroPaddingLayer.Builder(1, 1).build(), new SubsamplingLayer.Builder(PoolingType.AVG)
                .kernelSize(3, 3).stride(2, 2).avgPoolIncludePadInDivisor(includePadInDivisor).build()));
        assertThat(layer(g, "layer1", AvgPool2d.class).countIncludePad()).isTrue();
    }

    @Test
    void zeroPaddingBeforeMaxPoolingOfSignedValuesIsUnsupported() {
        MultiLayerNetwork net = net(new ZeroPaddingLayer.Builder(1, 1).build(),
                new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build());
        assertThatThrownBy(() -> Dl4jModels.from(net, Shape.of(2, H, W)))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("'layer1' (SubsamplingLayer)")
                .hasMessageContaining("a padded zero could win");
    }

    @Test
    void zeroPaddingBeforeAnActivationIsUnsupported() {
        MultiLayerNetwork net = net(new ZeroPaddingLayer.Builder(1, 1).build(),
                new ActivationLayer.Builder().activation(Activation.RELU).build(), conv(3).build());
        assertThatThrownBy(() -> Dl4jModels.from(net, Shape.of(2, H, W)))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("'layer1' (ActivationLayer): reads zero padding 'layer0'");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void globalAveragePooling(boolean collapse) {
        Graph g = check(net(conv(3).activation(Activation.RELU).build(), new GlobalPoolingLayer.Builder(PoolingType.AVG)
                .collapseDimensions(collapse).build()));
        assertThat(g.node("layer1/flatten").isPresent()).isEqualTo(collapse);
    }

    @Test
    void globalMaxPoolingOverOnePixelIsAFlatten() {
        check(net(conv(3).stride(7, 6).build(), new GlobalPoolingLayer.Builder(PoolingType.MAX).build()));
    }

    @Test
    void globalMaxPoolingOverManyPixelsIsUnsupported() {
        MultiLayerNetwork net = net(conv(3).build(), new GlobalPoolingLayer.Builder(PoolingType.MAX).build());
        assertThatThrownBy(() -> Dl4jModels.from(net, Shape.of(2, H, W)))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("'layer1' (GlobalPoolingLayer): global max pooling over 7x6 pixels");
    }

    /** DL4J applies locked gamma/beta only when gamma != 1 and beta != 0; the import reproduces that. */
    @ParameterizedTest
    @ValueSource(strings = {"2.0,0.5", "1.0,0.5", "2.0,0.0"})
    void batchNormWithLockedGammaAndBeta(String gammaBeta) {
        String[] gb = gammaBeta.split(",");
        check(net(conv(3).build(), new BatchNormalization.Builder().lockGammaBeta(true)
                .gamma(Double.parseDouble(gb[0])).beta(Double.parseDouble(gb[1])).build()));
    }

    @Test
    void frozenLayersAreConverted() {
        Graph g = check(net(new FrozenLayer.Builder().layer(conv(3).activation(Activation.RELU).build()).build(),
                new FrozenLayerWithBackprop(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2)
                        .stride(2, 2).build())));
        layer(g, "layer0", Conv2d.class);
        layer(g, "layer1", AvgPool2d.class);
    }

    @Test
    void imageInputFlattenedByTheFirstLayerIsInferred() {
        MultiLayerNetwork net = net();
        Graph g = Dl4jModels.from(net);
        assertThat(g.inputShape()).isEqualTo(Shape.of(2, H, W));
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 2, H, W);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.output(x, false), 1e-5);
    }
}
