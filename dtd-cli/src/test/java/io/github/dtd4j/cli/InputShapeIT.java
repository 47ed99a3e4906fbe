package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.io.Npy;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code --input-shape}: a convolutional DL4J model zip, whose configuration keeps no image size, is inspected and
 * explained from the command line once the shape is given; without it the error names the option; an ONNX model's
 * own shape wins over a different one.
 */
class InputShapeIT {
    @TempDir
    Path dir;

    @Test
    void aConvolutionalDl4jZipNeedsItsInputShapeAndTakesItFromTheCommandLine() throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        Path zip = dir.resolve("cnn.zip");
        ModelSerializer.writeModel(net, zip.toFile(), false);

        Run without = DtdJar.dtd(dir, "inspect", "--model", zip.toString());
        assertThat(without.exit()).isNotZero();
        assertThat(without.err()).contains("--input-shape").doesNotContain("\tat ");

        Run inspect = DtdJar.dtd(dir, "inspect", "--model", zip.toString(), "--input-shape", "3,8,8");
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("[N,3,8,8]");

        Path x = dir.resolve("x.npy");
        Npy.write(Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8), x);
        Path r = dir.resolve("r.npy");
        Run explain = DtdJar.dtd(dir, "explain", "--model", zip.toString(), "--input-shape", "3,8,8", "--input",
                x.toString(), "--out", r.toString(), "--preset", "dtd", "--low", "0", "--high", "1");
        assertThat(explain.exit()).as(explain.err()).isZero();
        assertThat(Npy.read(r).shape()).containsExactly(1, 3, 8, 8);

        Run bad = DtdJar.dtd(dir, "inspect", "--model", zip.toString(), "--input-shape", "3,x,8");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--input-shape").contains("3,x,8");

        Run onnx = DtdJar.dtd(dir, "inspect", "--model", DtdCliIT.MODEL.toString(), "--input-shape", "3,32,32");
        assertThat(onnx.exit()).isNotZero();
        assertThat(onnx.err()).contains("differs from the model's own input");
    }
}
