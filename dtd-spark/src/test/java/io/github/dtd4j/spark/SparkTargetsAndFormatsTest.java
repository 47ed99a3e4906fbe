package io.github.dtd4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * dtd-spark's targets beyond one class per row (top-k), its PNG styles (overlay, blur, contours) and its model
 * formats beyond ONNX (DL4J zips, Keras .h5): each row equals what the library (or dtd-viz, for pictures) gives for
 * the same input, model and class, bit for bit.
 */
class SparkTargetsAndFormatsTest {
    private static final Path FASHION = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
    private static final Path KERAS = Path.of("../dtd-dl4j/src/test/resources/keras").toAbsolutePath().normalize();
    private static final StructType TENSOR_ROWS = new StructType(new StructField[]{
        DataTypes.createStructField("id", DataTypes.StringType, false),
        DataTypes.createStructField("tensor", DataTypes.createArrayType(DataTypes.FloatType, false), true)});

    private static SparkSession spark;
    private static INDArray images;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,4]").appName("dtd-spark-test-targets")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        images = Npy.read(FASHION.resolve("sample-images.npy"));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static INDArray image(int i) {
        return images.get(NDArrayIndex.interval(i, i + 1)).castTo(DataType.FLOAT).dup();
    }

    private static Dataset<Row> tensors(int n, boolean withBad) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create("t" + i, image(i).data().asFloat()));
        }
        if (withBad) {
            rows.add(RowFactory.create("short", new float[10]));
        }
        return spark.createDataFrame(rows, TENSOR_ROWS).repartition(2);
    }

    private static float[] floats(Row r) {
        List<Object> values = r.getList(r.fieldIndex("heatmap"));
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) values.get(i);
        }
        return f;
    }

    private static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /**
     * top-k gives k rows per input, ranked 1 to k, their classes the input's k largest logits in order, each row the
     * library's explanation of that class bit for bit; a bad input gives one error row; the per-class statistics
     * count rank 1 only.
     */
    @Test
    void topKGivesTheKLargestClassesEachExplainedAsTheLibraryDoes() {
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).idColumn("id")
                .images(ImageSpec.unit(true)).batchSize(1).topK(3); // batch 1: the library's bits (docs/spark.md)
        Dataset<Row> out = sx.explain(tensors(7, true)).cache();
        List<Row> rows = out.collectAsList();
        assertThat(rows).hasSize(7 * 3 + 1);
        Explainer local = Explainer.of(OnnxModels.load(FASHION.resolve("resnet.onnx")))
                .preset(Presets.dtd(Rules.zBox(0, 1)));
        for (int i = 0; i < 7; i++) {
            String id = "t" + i;
            List<Row> mine = rows.stream().filter(r -> id.equals(r.getAs("id")))
                    .sorted(Comparator.comparing(r -> (Integer) r.getAs("rank"))).toList();
            assertThat(mine).extracting(r -> (Integer) r.getAs("rank")).containsExactly(1, 2, 3);
            INDArray x = image(i);
            double[] z = local.forward(x).castTo(DataType.DOUBLE).dup().data().asDouble();
            int[] order = IntStream.range(0, z.length).boxed().sorted((p, q) -> Double.compare(z[q], z[p]))
                    .mapToInt(Integer::intValue).toArray();
            for (int k = 0; k < 3; k++) {
                Row r = mine.get(k);
                assertThat((Integer) r.getAs("class")).as(id + " rank " + (k + 1)).isEqualTo(order[k]);
                assertThat((String) r.getAs("error")).isNull();
                try (Explanation e = local.explain(x, Start.classes(order[k]))) {
                    assertThat(Arrays.equals(floats(r), floats(e.inputRelevance()))).as(id + " rank " + (k + 1))
                            .isTrue();
                    assertThat((Double) r.getAs("logit")).isEqualTo(e.logits().getDouble(0, order[k]));
                }
            }
        }
        Row bad = rows.stream().filter(r -> "short".equals(r.getAs("id"))).findFirst().orElseThrow();
        assertThat((String) bad.getAs("error")).contains("10 values");
        assertThat(bad.isNullAt(bad.fieldIndex("rank"))).isTrue();
        assertThat(rows.stream().filter(r -> "short".equals(r.getAs("id"))).count()).isEqualTo(1);
        long counted = CorpusStatistics.perClass(out).collectAsList().stream().mapToLong(r -> r.getLong(1)).sum();
        assertThat(counted).isEqualTo(7);
        out.unpersist();
        assertThatThrownBy(() -> sx.topK(0)).isInstanceOf(ConfigurationException.class).hasMessageContaining("1 to");
        assertThatThrownBy(() -> sx.topK(11)).isInstanceOf(ConfigurationException.class).hasMessageContaining("10");
    }

    /**
     * The PNG with overlay, blur and contours is dtd-viz's drawing of the library's heatmap over the prepared
     * picture, pixel for pixel; without overlay, of the heatmap alone.
     */
    @Test
    void pngsAreBlendedBlurredAndContouredAsDtdVizDrawsThem() throws IOException {
        List<Row> rows = new ArrayList<>();
        List<BufferedImage> pictures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] png = SparkExplainerTest.greyPng(images, i);
            rows.add(RowFactory.create("p" + i + ".png", png));
            pictures.add(Images.read(png, "p" + i));
        }
        StructType schema = new StructType(new StructField[]{
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("content", DataTypes.BinaryType, false)});
        Dataset<Row> in = spark.createDataFrame(rows, schema);
        OutputStyle style = new OutputStyle(List.of(), "viridis", 99).withOverlay(0.6).withBlur(1.5)
                .withContour(true);
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).images(ImageSpec.unit(true))
                .png(true).batchSize(1); // batch 1: the library's bits (docs/spark.md)
        List<Row> over = sx.style(style).explain(in).collectAsList();
        List<Row> plain = sx.style(new OutputStyle(List.of(), "viridis", 99).withContour(true)).explain(in)
                .collectAsList();
        Explainer local = Explainer.of(OnnxModels.load(FASHION.resolve("resnet.onnx")))
                .preset(Presets.dtd(Rules.zBox(0, 1)));
        for (int i = 0; i < 3; i++) {
            BufferedImage seen = Images.grayscale(Images.resize(pictures.get(i), 28, 28));
            try (Explanation e = local.explain(Images.toTensor(seen, io.github.dtd4j.viz.Normalization.unit(1)))) {
                double[][] px = Heatmaps.blur(Heatmaps.pixels(e.inputRelevance()), 1.5);
                Heatmaps.Scale scale = Heatmaps.Scale.percentile(99);
                BufferedImage heat = Heatmaps.render(px, ColorMap.VIRIDIS, scale);
                BufferedImage expected = Heatmaps.contourLines(Heatmaps.overlay(seen, heat, 0.6), px,
                        Heatmaps.scaleValue(px, scale), false);
                assertSamePixels(over.get(i).getAs("png"), expected, "overlay " + i);
                double[][] sharp = Heatmaps.pixels(e.inputRelevance());
                BufferedImage alone = Heatmaps.contourLines(Heatmaps.render(sharp, ColorMap.VIRIDIS, scale), sharp,
                        Heatmaps.scaleValue(sharp, scale), true);
                assertSamePixels(plain.get(i).getAs("png"), alone, "heatmap " + i);
                // the heatmap column is the relevance itself, never blurred
                assertThat(Arrays.equals(floats(over.get(i)), floats(e.inputRelevance()))).isTrue();
            }
        }
        assertThatThrownBy(() -> style.withOverlay(1.5)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> style.withBlur(-1)).isInstanceOf(ConfigurationException.class);
    }

    /**
     * The spark-submit main class takes top-k, overlay, blur and contour as dtd explain does: k rows per picture, the
     * PNG files named by rank; bad values are refused before Spark reads anything.
     */
    @Test
    void theMainClassTakesTopKAndThePictureOptions(@TempDir Path dir) throws IOException {
        Path photos = Files.createDirectories(dir.resolve("photos"));
        for (int i = 0; i < 3; i++) {
            Files.write(photos.resolve("s" + i + ".png"), SparkExplainerTest.greyPng(images, i));
        }
        String out = dir.resolve("explained.parquet").toString();
        String[] base = {"--model", FASHION.resolve("resnet.onnx").toString(), "--input", photos.toString(), "--out",
            out, "--preprocess", "unit", "--resize", "--grayscale"};
        List<String> args = new ArrayList<>(List.of(base));
        args.addAll(List.of("--target", "top-k:2", "--overlay", "0.5", "--blur", "1", "--contour", "--png-files",
                dir.resolve("png").toString()));
        assertThat(DtdSparkMain.run(spark, DtdSparkMain.parse(args.toArray(String[]::new)))).isZero();
        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertThat(rows).hasSize(6);
        assertThat(rows.stream().map(r -> (Integer) r.getAs("rank")).sorted().toList()).containsExactly(1, 1, 1, 2, 2,
                2);
        try (java.util.stream.Stream<Path> files = Files.list(dir.resolve("png"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")
                    && !n.endsWith(".crc")).sorted().toList();
            assertThat(names).hasSize(6).allMatch(n -> n.matches("s\\d\\.png-[0-9a-f]{8}\\.top[12]\\.png"));
        }
        for (String[] extra : new String[][]{{"--target", "top-k:x"}, {"--overlay", "2"}, {"--overlay", "half"},
            {"--blur", "-1"}, {"--input-shape", "3,a"}, {"--input-shape", "0,2"}}) {
            List<String> bad = new ArrayList<>(List.of(base));
            bad.set(5, dir.resolve("other.parquet").toString());
            bad.addAll(List.of(extra));
            assertThatThrownBy(() -> DtdSparkMain.parse(bad.toArray(String[]::new))).as(String.join(" ", extra))
                    .isInstanceOf(ConfigurationException.class);
        }
    }

    /** LRP on the ONNX Runtime engine gives the reference engine's heatmaps (to float rounding) on the executors. */
    @Test
    void lrpOnOnnxRuntimeGivesTheReferenceEnginesHeatmaps() {
        List<Row> rows = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).idColumn("id")
                .images(ImageSpec.unit(true)).batchSize(3)
                .method(MethodSpec.of("lrp", Map.of("preset", "epsilon-zplus", "engine", "onnxruntime")))
                .explain(tensors(6, true)).collectAsList();
        Explainer local = Explainer.of(OnnxModels.load(FASHION.resolve("resnet.onnx")))
                .preset(Presets.epsilonZPlus(0.25));
        assertThat(rows).hasSize(7);
        for (Row r : rows) {
            String id = r.getAs("id");
            if (id.equals("short")) {
                assertThat((String) r.getAs("error")).contains("10 values");
                continue;
            }
            try (Explanation e = local.explain(image(Integer.parseInt(id.substring(1))))) {
                float[] want = floats(e.inputRelevance());
                float[] got = floats(r);
                double worst = 0;
                double scale = 0;
                for (int k = 0; k < want.length; k++) {
                    worst = Math.max(worst, Math.abs(got[k] - want[k]));
                    scale = Math.max(scale, Math.abs(want[k]));
                }
                assertThat(worst).as(id).isLessThanOrEqualTo(1e-5 * scale);
                assertThat(r.getList(r.fieldIndex("ledger"))).as("the compiled graph's ledger").isNotEmpty();
            }
        }
        assertThatThrownBy(() -> MethodSpec.of("lrp", Map.of("engine", "gpu")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("engine");
        // Integrated Gradients and SmoothGrad take the engine too; occlusion does not
        io.github.dtd4j.graph.Graph g = OnnxModels.load(FASHION.resolve("resnet.onnx"));
        assertThat(MethodSpec.of("integrated-gradients", Map.of("ig-steps", "4", "engine", "onnxruntime"))
                .make(g, null).settings()).endsWith("onnxruntime");
        assertThat(MethodSpec.of("smoothgrad", Map.of("engine", "onnxruntime")).make(g, null).settings())
                .endsWith("onnxruntime");
        assertThatThrownBy(() -> MethodSpec.of("occlusion", Map.of("engine", "onnxruntime")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("engine");
    }

    private static void assertSamePixels(byte[] png, BufferedImage expected, String what) throws IOException {
        BufferedImage got = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(got.getWidth()).as(what).isEqualTo(expected.getWidth());
        assertThat(got.getHeight()).as(what).isEqualTo(expected.getHeight());
        for (int y = 0; y < got.getHeight(); y++) {
            for (int x = 0; x < got.getWidth(); x++) {
                assertThat(got.getRGB(x, y) & 0xFFFFFF).as(what + " at " + x + "," + y)
                        .isEqualTo(expected.getRGB(x, y) & 0xFFFFFF);
            }
        }
    }

    /**
     * A DL4J zip (its input shape given, as DL4J does not keep it) and a Keras .h5 are explained on the executors as
     * the library explains the same files; a DL4J zip without its shape is refused on the driver with the option to
     * give.
     */
    @Test
    void dl4jZipsAndKerasFilesAreExplainedAsTheLibraryExplainsThem(@TempDir Path dir) throws IOException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, 1)).build());
        net.init();
        Path zip = dir.resolve("cnn.zip");
        ModelSerializer.writeModel(net, zip.toFile(), false);
        byte[] before = Files.readAllBytes(zip);
        Shape shape = Shape.of(1, 28, 28);
        // one row per batch: BLAS's matrix product of a dense layer with DL4J's weight layout can round the last bit
        // differently for another number of rows, and the library here explains one row at a time
        List<Row> rows = SparkExplainer.of(spark, zip, shape).idColumn("id").images(ImageSpec.unit(true))
                .batchSize(1).explain(tensors(5, false)).collectAsList();
        Explainer local = Explainer.of(Dl4jModels.load(zip, shape)).preset(Presets.dtd(Rules.zBox(0, 1)));
        assertThat(rows).hasSize(5);
        for (Row r : rows) {
            int i = Integer.parseInt(((String) r.getAs("id")).substring(1));
            assertThat((String) r.getAs("error")).isNull();
            try (Explanation e = local.explain(image(i))) {
                assertThat(Arrays.equals(floats(r), floats(e.inputRelevance()))).as("dl4j t" + i).isTrue();
                assertThat((Integer) r.getAs("class")).isEqualTo(e.targets()[0]);
                assertThat((Double) r.getAs("logit")).isEqualTo(e.logits().getDouble(0, e.targets()[0]));
            }
        }
        assertThat(Files.readAllBytes(zip)).as("the user's file is not touched").isEqualTo(before);
        assertThatThrownBy(() -> SparkExplainer.of(spark, zip)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("input shape");
        assertThatThrownBy(() -> SparkExplainer.of(spark, dir.resolve("model.pb")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining(".onnx");

        Path h5 = KERAS.resolve("keras2-layout-mlp.h5");
        INDArray x = Npy.read(KERAS.resolve("keras2-layout-mlp.input.npy")).castTo(DataType.FLOAT);
        List<Row> kr = new ArrayList<>();
        for (int i = 0; i < x.size(0); i++) {
            kr.add(RowFactory.create("k" + i, x.getRow(i).dup().data().asFloat()));
        }
        MethodSpec epsilon = MethodSpec.of("lrp", Map.of("rule", "epsilon"));
        // one row per batch, as above
        List<Row> krows = SparkExplainer.of(spark, h5).idColumn("id").method(epsilon).batchSize(1)
                .explain(spark.createDataFrame(kr, TENSOR_ROWS)).collectAsList();
        Graph keras = Dl4jModels.loadKeras(h5);
        Explainer k = Explainer.of(keras).rule(Rules.epsilon(0.25));
        assertThat(krows).hasSize((int) x.size(0));
        for (Row r : krows) {
            int i = Integer.parseInt(((String) r.getAs("id")).substring(1));
            assertThat((String) r.getAs("error")).isNull();
            try (Explanation e = k.explain(x.get(NDArrayIndex.interval(i, i + 1)).dup())) {
                assertThat(Arrays.equals(floats(r), floats(e.inputRelevance()))).as("keras k" + i).isTrue();
            }
        }
        assertThatThrownBy(() -> SparkExplainer.of(spark, h5, Shape.of(9)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("differs");
    }
}
