package io.github.dtd4j.dl4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.errors.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** DL4J model zips and Keras files: good ones load, broken ones fail with our exception naming the file. */
class ModelFilesTest {
    @TempDir
    Path dir;

    private static MultiLayerNetwork denseNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(8).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 1);
        return net;
    }

    private Path save(Object net, String name) throws IOException {
        Path p = dir.resolve(name);
        ModelSerializer.writeModel((org.deeplearning4j.nn.api.Model) net, p.toFile(), false);
        return p;
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(ModelFilesTest.class.getResource("/keras/" + name).toURI());
    }

    // ------------------------------------------------------------------ DL4J zips

    @Test
    void multiLayerNetworkZipLoads() throws IOException {
        MultiLayerNetwork net = MultiLayerNetworkImportTest.smallCnn();
        Path zip = save(net, "cnn.zip");
        Graph g = Dl4jModels.load(zip, Shape.of(3, 11, 10));
        assertThat(g.provenance().get("file")).isEqualTo(zip.toAbsolutePath().toString());
        assertThat(g.provenance().get("source")).startsWith("DL4J MultiLayerNetwork");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 11, 10);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, x), 1e-4);
    }

    @Test
    void computationGraphZipLoads() throws IOException {
        ComputationGraph net = ComputationGraphImportTest.residualMergeNet();
        Path zip = save(net, "graph.zip");
        Graph g = Dl4jModels.load(zip, Shape.of(3, 12, 12));
        assertThat(g.provenance().get("source")).startsWith("DL4J ComputationGraph");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 12, 12);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, x), 1e-4);
    }

    @Test
    void denseZipLoadsWithoutAShape() throws IOException {
        MultiLayerNetwork net = denseNet();
        Graph g = Dl4jModels.load(save(net, "dense.zip"));
        assertThat(g.inputShape()).isEqualTo(Shape.of(5));
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 5);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, x), 1e-5);
    }

    @Test
    void missingZip() {
        Path p = dir.resolve("nothing-here.zip");
        assertThatThrownBy(() -> Dl4jModels.load(p))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("DL4J model file '" + p + "' does not exist");
    }

    @Test
    void notAZip() throws IOException {
        Path p = dir.resolve("noise.zip");
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        Files.write(p, noise);
        assertThatThrownBy(() -> Dl4jModels.load(p))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'" + p + "' is not a DL4J model zip");
    }

    @Test
    void truncatedZip() throws IOException {
        Path zip = save(denseNet(), "whole.zip");
        byte[] all = Files.readAllBytes(zip);
        Path cut = dir.resolve("cut.zip");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> Dl4jModels.load(cut))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'" + cut + "'");
    }

    /** Rewrites a model zip with one entry replaced by {@code content} (or left out when null). */
    private Path rewrite(Path zip, String entry, byte[] content, String name) throws IOException {
        Path out = dir.resolve(name);
        try (ZipFile in = new ZipFile(zip.toFile()); OutputStream os = Files.newOutputStream(out);
             ZipOutputStream zos = new ZipOutputStream(os)) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data;
                try (InputStream is = in.getInputStream(e)) {
                    data = is.readAllBytes();
                }
                if (e.getName().equals(entry)) {
                    if (content == null) {
                        continue;
                    }
                    data = content;
                }
                zos.putNextEntry(new ZipEntry(e.getName()));
                zos.write(data);
                zos.closeEntry();
            }
        }
        return out;
    }

    @Test
    void corruptCoefficients() throws IOException {
        Path zip = save(denseNet(), "good.zip");
        byte[] garbage = new byte[300];
        new Random(2).nextBytes(garbage);
        Path bad = rewrite(zip, ModelSerializer.COEFFICIENTS_BIN, garbage, "garbage-coefficients.zip");
        assertThatThrownBy(() -> Dl4jModels.load(bad))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("cannot read DL4J model '" + bad + "'");
    }

    @Test
    void truncatedCoefficients() throws IOException {
        Path zip = save(denseNet(), "good2.zip");
        byte[] coefficients;
        try (ZipFile z = new ZipFile(zip.toFile());
             InputStream is = z.getInputStream(z.getEntry(ModelSerializer.COEFFICIENTS_BIN))) {
            coefficients = is.readAllBytes();
        }
        Path bad = rewrite(zip, ModelSerializer.COEFFICIENTS_BIN, Arrays.copyOf(coefficients, coefficients.length / 2),
                "short-coefficients.zip");
        assertThatThrownBy(() -> Dl4jModels.load(bad))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("cannot read DL4J model '" + bad + "'");
    }

    @Test
    void zipWithoutConfiguration() throws IOException {
        Path bad = rewrite(save(denseNet(), "good3.zip"), ModelSerializer.CONFIGURATION_JSON, null, "no-conf.zip");
        assertThatThrownBy(() -> Dl4jModels.load(bad))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("'" + bad + "' is not a DL4J model: the zip has no configuration.json");
    }

    @Test
    void corruptConfiguration() throws IOException {
        Path bad = rewrite(save(denseNet(), "good4.zip"), ModelSerializer.CONFIGURATION_JSON,
                "{\"confs\": [ {\"layer\": 42 ".getBytes(java.nio.charset.StandardCharsets.UTF_8), "bad-conf.zip");
        assertThatThrownBy(() -> Dl4jModels.load(bad))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'" + bad + "'");
    }

    // ------------------------------------------------------------------ Keras

    @Test
    void kerasThreeFileIsRejectedClearly() throws URISyntaxException {
        Path h5 = resource("keras3-sequential.h5");
        assertThatThrownBy(() -> Dl4jModels.loadKeras(h5))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("Keras model '" + h5 + "' was written by Keras 3.15.1; DL4J 1.0.0-M2.1 imports only "
                        + "Keras 1 and 2 files (save it with tf.keras <= 2.15 or tf_keras)");
    }

    @Test
    void missingKerasFile() {
        Path p = dir.resolve("absent.h5");
        assertThatThrownBy(() -> Dl4jModels.loadKeras(p))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("Keras model file '" + p + "' does not exist");
    }

    @Test
    void kerasFileThatIsNotHdf5() throws IOException {
        Path zip = save(denseNet(), "model.h5");
        assertThatThrownBy(() -> Dl4jModels.loadKeras(zip))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("Keras model file '" + zip + "' is not an HDF5 file (no HDF5 signature)");
    }

    @Test
    void truncatedKerasFile() throws IOException, URISyntaxException {
        byte[] all = Files.readAllBytes(resource("keras3-sequential.h5"));
        for (int keep : new int[]{all.length / 2, 2048, 600}) {
            Path cut = dir.resolve("cut-" + keep + ".h5");
            Files.write(cut, Arrays.copyOf(all, keep));
            assertThatThrownBy(() -> Dl4jModels.loadKeras(cut))
                    .as("first %d bytes", keep)
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("'" + cut + "'");
        }
    }

    @Test
    void kerasFileWithGarbageAfterTheSignature() throws IOException {
        byte[] bytes = new byte[8192];
        new Random(3).nextBytes(bytes);
        System.arraycopy(new byte[]{(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}, 0, bytes, 0, 8);
        Path p = dir.resolve("garbage.h5");
        Files.write(p, bytes);
        assertThatThrownBy(() -> Dl4jModels.loadKeras(p))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("cannot import Keras model '" + p + "' through DL4J: ");
    }
}
