package io.github.dtd4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * dtd-spark in local mode inside the test JVM, on the shipped Fashion-MNIST ResNet (trained) and its sample
 * pictures: every row equals the library's local result, bit for bit at batch 1 (parallelism 1 and 2) and to float
 * rounding in batches of other sizes (the CPU's matrix kernels may round a row differently then); bad
 * rows fill the error column and the job completes; a task that fails and is retried gives the same rows; methods and
 * options are checked on the driver.
 */
class SparkExplainerTest {
    private static final Path FASHION = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
    private static final int PICTURES = 24;

    private static SparkSession spark;
    private static Graph graph;
    private static INDArray images;
    private static int[] labels;

    @BeforeAll
    static void start() {
        // local[2,4]: two cores, and a failed task is tried up to 4 times
        spark = SparkSession.builder().master("local[2,4]").appName("dtd-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        graph = OnnxModels.load(FASHION.resolve("resnet.onnx"));
        images = Npy.read(FASHION.resolve("sample-images.npy"));
        INDArray l = Npy.read(FASHION.resolve("sample-labels.npy"));
        labels = new int[PICTURES];
        for (int i = 0; i < PICTURES; i++) {
            labels[i] = l.getInt(i);
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** {@return sample i as a 28×28 grey PNG} */
    private static byte[] png(int i) throws Exception {
        return greyPng(images, i);
    }

    /** {@return picture i of a {@code [N,1,28,28]} array of values in [0, 1] as a 28×28 grey PNG} */
    static byte[] greyPng(INDArray images, int i) throws java.io.IOException {
        BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                grey.getRaster().setSample(x, y, 0, (int) Math.round(255 * images.getDouble(i, 0, y, x)));
            }
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(grey, "png", b);
        return b.toByteArray();
    }

    private static final StructType PICTURE_ROWS = new StructType(new StructField[]{
        DataTypes.createStructField("path", DataTypes.StringType, false),
        DataTypes.createStructField("content", DataTypes.BinaryType, true),
        DataTypes.createStructField("label", DataTypes.IntegerType, true)});

    /** The pictures, with a non-picture and a truncated picture among them. */
    private static Dataset<Row> pictures(int partitions) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < PICTURES; i++) {
            rows.add(RowFactory.create("sample-" + i + ".png", png(i), labels[i]));
            if (i == 5) {
                rows.add(RowFactory.create("notes.png", "not a picture".getBytes(java.nio.charset.StandardCharsets
                        .US_ASCII), null));
            }
            if (i == 11) {
                byte[] p = png(i);
                rows.add(RowFactory.create("truncated.png", Arrays.copyOf(p, p.length / 2), labels[i]));
            }
        }
        return spark.createDataFrame(rows, PICTURE_ROWS).repartition(partitions);
    }

    /** What the library computes for sample i read from its PNG, alone. */
    private static INDArray tensor(int i) throws Exception {
        return Images.toTensor(Images.read(png(i), "sample"), Normalization.unit(1));
    }

    @Test
    void everyPictureEqualsTheLibrarysResultAndBadRowsCarryTheirError() throws Exception {
        Explainer local = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1)));
        Map<String, float[]> heat = new HashMap<>();
        Map<String, Double> logit = new HashMap<>();
        Map<String, Integer> cls = new HashMap<>();
        Map<String, Double> sum = new HashMap<>();
        for (int i = 0; i < PICTURES; i++) {
            try (Explanation e = local.explain(tensor(i))) {
                heat.put("sample-" + i + ".png", e.inputRelevance().castTo(DataType.FLOAT).dup('c').data().asFloat());
                cls.put("sample-" + i + ".png", e.targets()[0]);
                logit.put("sample-" + i + ".png", e.logits().getDouble(0, e.targets()[0]));
                sum.put("sample-" + i + ".png", e.ledger().inputSums()[0]);
            }
        }
        SparkExplainer explainer = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).images(ImageSpec.unit(true));
        for (int partitions : new int[]{1, 2}) {
            for (int batch : new int[]{1, 5}) {
                List<Row> out = explainer.batchSize(batch).png(true).explain(pictures(partitions)).collectAsList();
                assertThat(out).hasSize(PICTURES + 2);
                for (Row r : out) {
                    String id = r.getAs("id");
                    String what = id + " at parallelism " + partitions + ", batch " + batch;
                    if (id.equals("notes.png") || id.equals("truncated.png")) {
                        assertThat((String) r.getAs("error")).as(what).contains(id)
                                .containsAnyOf("not a readable PNG/JPEG image", "cannot read image");
                        assertThat(r.isNullAt(r.fieldIndex("class"))).isTrue();
                        continue;
                    }
                    assertThat((String) r.getAs("error")).as(what).isNull();
                    assertThat((Integer) r.getAs("class")).as(what).isEqualTo(cls.get(id));
                    float[] h = floats(r.getList(r.fieldIndex("heatmap")));
                    if (batch == 1) {
                        assertThat((Double) r.getAs("logit")).as(what).isEqualTo(logit.get(id));
                        assertThat((Double) r.getAs("relevance_sum")).as(what).isEqualTo(sum.get(id));
                        assertThat(Arrays.equals(h, heat.get(id))).as(what + ": heatmap bit for bit").isTrue();
                    } else {
                        // in a batch of another size the CPU's matrix kernels may round a row differently (seen on
                        // an AVX2 machine: oneDNN's product of 2, 3 or 7 rows against 1): float rounding, no more
                        assertThat((Double) r.getAs("logit")).as(what).isCloseTo(logit.get(id),
                                org.assertj.core.data.Offset.offset(1e-5 * Math.abs(logit.get(id))));
                        assertThat((Double) r.getAs("relevance_sum")).as(what).isCloseTo(sum.get(id),
                                org.assertj.core.data.Offset.offset(1e-5 * Math.abs(sum.get(id))));
                        assertCloseToRounding(h, heat.get(id), what);
                    }
                    assertThat((Integer) r.getAs("height")).isEqualTo(28);
                    assertThat((Integer) r.getAs("label")).isEqualTo(labels[Integer.parseInt(id.replaceAll("\\D",
                            ""))]);
                    assertThat(ImageIO.read(new java.io.ByteArrayInputStream(r.getAs("png"))).getWidth()).isEqualTo(28);
                    assertThat(r.getList(r.fieldIndex("ledger"))).hasSizeGreaterThan(10);
                }
            }
        }
    }

    /** Asserts that two heatmaps differ by float rounding at most: 1e-5 of the larger's largest magnitude. */
    static void assertCloseToRounding(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("%s: heatmap element %d", what, i).isCloseTo(expected[i],
                    org.assertj.core.data.Offset.offset(1e-5 * scale));
        }
    }

    private static float[] floats(List<Object> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) values.get(i);
        }
        return f;
    }

    private static final StructType TENSOR_ROWS = new StructType(new StructField[]{
        DataTypes.createStructField("id", DataTypes.StringType, false),
        DataTypes.createStructField("tensor", DataTypes.createArrayType(DataTypes.FloatType, false), true)});

    private static List<Row> tensorRows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rows.add(RowFactory.create("t" + i, images.get(NDArrayIndex.point(i)).castTo(DataType.FLOAT).dup('c')
                    .data().asFloat()));
        }
        rows.add(RowFactory.create("short", new float[10]));
        float[] nan = images.get(NDArrayIndex.point(3)).castTo(DataType.FLOAT).dup('c').data().asFloat();
        nan[100] = Float.NaN;
        rows.add(RowFactory.create("nan", nan));
        return rows;
    }

    @Test
    void tensorsAnyMethodAndATaskRetriedGiveTheSameRows() {
        Dataset<Row> in = spark.createDataFrame(tensorRows(), TENSOR_ROWS).repartition(2);
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).idColumn("id").batchSize(4)
                .method(MethodSpec.of("gradient", Map.of()));
        List<Row> first = sx.explain(in).collectAsList();
        Map<String, Row> byId = new HashMap<>();
        first.forEach(r -> byId.put(r.getAs("id"), r));
        assertThat(byId).hasSize(14);
        assertThat((String) byId.get("short").getAs("error")).contains("10 values").contains("784");
        assertThat((String) byId.get("nan").getAs("error")).isNotNull();
        for (int i = 0; i < 12; i++) {
            INDArray x = images.get(NDArrayIndex.interval(i, i + 1)).castTo(DataType.FLOAT).dup();
            try (Attributions a = Methods.gradient(graph).attribute(x)) {
                float[] expected = a.attribution().castTo(DataType.FLOAT).dup('c').data().asFloat();
                Row r = byId.get("t" + i);
                assertThat((String) r.getAs("error")).isNull();
                assertThat(Arrays.equals(floats(r.getList(r.fieldIndex("heatmap"))), expected)).as("t" + i).isTrue();
                assertThat(r.isNullAt(r.fieldIndex("ledger"))).as("no ledger for the gradient").isTrue();
            }
        }
        // the first attempt of partition 0 fails after 2 rows; Spark retries it, and the rows are the same
        System.setProperty(PartitionExplainer.FAIL_FIRST_ATTEMPT, "2");
        try {
            List<Row> retried = sx.explain(in).collectAsList();
            assertThat(retried).containsExactlyInAnyOrderElementsOf(first);
        } finally {
            System.clearProperty(PartitionExplainer.FAIL_FIRST_ATTEMPT);
        }
    }

    @Test
    void methodsOptionsAndColumnsAreCheckedOnTheDriver() throws Exception {
        // a rule for every layer, as dtd explain --rule: the library's explainer with that rule
        INDArray x = images.get(NDArrayIndex.interval(0, 2)).castTo(DataType.FLOAT).dup();
        try (Attributions a = MethodSpec.of("lrp", Map.of("rule", "gamma", "gamma", "0.5")).make(graph,
                new double[][]{{0}, {1}}).attribute(x);
             Explanation e = Explainer.of(graph).rule(Rules.gamma(0.5)).explain(x)) {
            assertThat(a.attribution()).isEqualTo(e.inputRelevance());
        }
        // every rule option of dtd explain, against the library's explainer with the same settings
        Map<String, String> all = new HashMap<>(Map.of("rule", "epsilon", "conv-rule", "gamma", "first-rule", "zbox",
                "low", "0", "high", "1", "epsilon", "0.1", "gamma", "0.3", "bias", "ignore", "stabilizer", "1e-4"));
        all.putAll(Map.of("maxpool", "proportional", "sum-split", "positive", "dtype", "float64",
                "zbox-bias", "as-neuron", "batchnorm", "fold"));
        try (Attributions a = MethodSpec.of("lrp", all).make(graph, null).attribute(x);
             Explanation e = Explainer.of(graph).rule(Rules.epsilon(0.1))
                     .rule(io.github.dtd4j.Selector.conv(), Rules.gamma(0.3))
                     .rule(io.github.dtd4j.Selector.first(), Rules.zBox(0, 1).withPositiveBias())
                     .biasPolicy(io.github.dtd4j.BiasPolicy.IGNORE).stabilizer(1e-4)
                     .maxPool(io.github.dtd4j.MaxPoolMode.PROPORTIONAL).sumSplit(io.github.dtd4j.SumSplit.POSITIVE)
                     .precision(io.github.dtd4j.graph.Precision.FLOAT64).explain(x)) {
            assertThat(a.attribution().dataType()).isEqualTo(DataType.DOUBLE);
            assertThat(a.attribution()).isEqualTo(e.inputRelevance());
        }
        assertThat(MethodSpec.of("integrated-gradients", Map.of("ig-method", "riemann-left", "dtype", "float64"))
                .options()).hasSize(2);
        // a baseline file, read on the driver, travels with the method: the library's result with that baseline
        Path baselineFile = java.nio.file.Files.createTempFile("baseline", ".npy");
        INDArray half = org.nd4j.linalg.factory.Nd4j.valueArrayOf(new long[]{1, 28, 28}, 0.5f);
        Npy.write(half, baselineFile);
        try (Attributions a = MethodSpec.of("integrated-gradients", Map.of("baseline", baselineFile.toString(),
                "ig-steps", "8")).make(graph, null).attribute(x);
             Attributions b = Methods.integratedGradients(graph).withSteps(8).withBaseline(half).attribute(x);
             Attributions d = MethodSpec.of("deeplift", Map.of("baseline", baselineFile.toString())).make(graph, null)
                     .attribute(x);
             Attributions e = Methods.deepLift(graph).withBaseline(half).attribute(x)) {
            assertThat(a.attribution()).isEqualTo(b.attribution());
            assertThat(d.attribution()).isEqualTo(e.attribution());
        } finally {
            java.nio.file.Files.deleteIfExists(baselineFile);
        }
        assertThatThrownBy(() -> MethodSpec.of("deeplift", Map.of("baseline", "/no/such/file.npy")))
                .hasMessageContaining("/no/such/file.npy");
        assertThat(MethodSpec.of("smoothgrad", Map.of("smoothgrad-variant", "vargrad")).name()).isEqualTo("smoothgrad");
        assertThatThrownBy(() -> MethodSpec.of("lrp", Map.of("maxpool", "huge")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("winner-takes-all");
        assertThatThrownBy(() -> MethodSpec.of("smoothgrad", Map.of("smoothgrad-variant", "mean-ish")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("vargrad");
        assertThatThrownBy(() -> MethodSpec.of("lrp", Map.of("rule", "fancy")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("rule 'fancy'");
        assertThatThrownBy(() -> MethodSpec.of("magic", Map.of())).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("unknown method");
        assertThatThrownBy(() -> MethodSpec.of("gradient", Map.of("epsilon", "0.1")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("takes no option 'epsilon'");
        assertThatThrownBy(() -> MethodSpec.of("lrp", Map.of("epsilon", "x")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("expected a number");
        assertThatThrownBy(() -> MethodSpec.of("lrp", Map.of("preset", "nope")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("preset");
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx"));
        assertThatThrownBy(() -> sx.method(MethodSpec.of("grad-cam", Map.of("layer", "no-such-node")))
                .idColumn("id").explain(spark.createDataFrame(tensorRows(), TENSOR_ROWS)))
                .hasMessageContaining("no-such-node");
        assertThatThrownBy(() -> sx.explain(spark.createDataFrame(tensorRows(), TENSOR_ROWS)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no id column 'path'");
        assertThatThrownBy(() -> sx.target(10)).isInstanceOf(ConfigurationException.class);
        // the default box is ImageNet's, of 3 channels: this grey model's LRP fails on the driver, before any task
        assertThatThrownBy(() -> sx.idColumn("id").explain(spark.createDataFrame(tensorRows(), TENSOR_ROWS)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("1 channels");
        assertThatThrownBy(() -> sx.batchSize(0)).isInstanceOf(ConfigurationException.class);
    }
    @Test
    void perClassStatisticsTheAtlasAndAopcAreTheLibrarysOverTheSameRows() throws Exception {
        int steps = 20;
        List<Row> rows = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).images(ImageSpec.unit(true))
                .aopc(steps).explain(pictures(2)).cache().collectAsList();
        Dataset<Row> explained = spark.createDataFrame(rows, SparkExplainer.SCHEMA);
        Map<Integer, List<Integer>> byClass = new java.util.TreeMap<>();
        Map<Integer, Row> byIndex = new HashMap<>();
        for (Row r : rows) {
            if (r.getAs("error") == null) {
                int i = Integer.parseInt(((String) r.getAs("id")).replaceAll("\\D", ""));
                byIndex.put(i, r);
                byClass.computeIfAbsent(r.getAs("class"), k -> new ArrayList<>()).add(i);
            }
        }
        Explainer local = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1)));
        List<Row> stats = CorpusStatistics.perClass(explained).collectAsList();
        assertThat(stats).hasSize(byClass.size());
        for (Row s : stats) {
            int c = s.getAs("class");
            List<Integer> members = byClass.get(c);
            assertThat((Long) s.getAs("images")).isEqualTo(members.size());
            assertThat((Long) s.getAs("correct")).isEqualTo(members.stream().filter(i -> labels[i] == c).count());
            double meanSum = members.stream().mapToDouble(i -> byIndex.get(i).<Double>getAs("relevance_sum"))
                    .average().orElseThrow();
            assertThat((Double) s.getAs("mean_relevance_sum")).isCloseTo(meanSum,
                    org.assertj.core.data.Offset.offset(1e-12 * Math.abs(meanSum) + 1e-300));
            // the library's AOPC of the same images and relevances
            INDArray x = org.nd4j.linalg.factory.Nd4j.concat(0, members.stream().map(i -> {
                try {
                    return tensor(i);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toArray(INDArray[]::new));
            INDArray r;
            try (Explanation e = local.explain(x)) {
                r = e.inputRelevance().dup();
            }
            double aopc = io.github.dtd4j.eval.RegionPerturbation.of(graph).withSteps(steps).evaluate("lrp", x, r)
                    .aopcMorf();
            // the executors explained and perturbed in batches of other sizes than here: float rounding apart
            assertThat((Double) s.getAs("mean_aopc_morf")).as("class " + c).isCloseTo(aopc,
                    org.assertj.core.data.Offset.offset(1e-5 * Math.abs(aopc) + 1e-9));
        }
        List<Row> atlas = CorpusStatistics.atlas(explained).collectAsList();
        assertThat(atlas).isNotEmpty();
        for (Row a : atlas) {
            int c = a.getAs("class");
            List<Integer> correct = byClass.get(c).stream().filter(i -> labels[i] == c).toList();
            assertThat((Long) a.getAs("images")).isEqualTo(correct.size());
            double[] mean = new double[28 * 28];
            for (int i : correct) {
                float[] h = floats(byIndex.get(i).getList(byIndex.get(i).fieldIndex("heatmap")));
                for (int k = 0; k < mean.length; k++) {
                    mean[k] += h[k] / (double) correct.size();
                }
            }
            List<Object> got = a.getList(a.fieldIndex("mean_heatmap"));
            assertThat(got).hasSize(mean.length);
            for (int k = 0; k < mean.length; k++) {
                assertThat((Double) got.get(k)).isCloseTo(mean[k], org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }
    @Test
    void theMainClassWritesParquetAndStatisticsAndChecksItsOptionsFirst(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path photos = java.nio.file.Files.createDirectories(dir.resolve("photos/sub"));
        for (int i = 0; i < 6; i++) {
            java.nio.file.Files.write((i < 3 ? photos.getParent() : photos).resolve("s" + i + ".png"), png(i));
        }
        java.nio.file.Files.writeString(photos.resolve("broken.png"), "no picture");
        java.nio.file.Files.writeString(photos.resolve("notes.txt"), "skipped: not a picture's name");
        String out = dir.resolve("explained.parquet").toString();
        List<String> classNames = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            classNames.add("kind-" + c);
        }
        Path labelsFile = java.nio.file.Files.write(dir.resolve("labels.txt"), classNames);
        Map<String, String> o = DtdSparkMain.parse(new String[]{"--model", FASHION.resolve("resnet.onnx").toString(),
            "--input", photos.getParent().toString(), "--out", out, "--preprocess", "unit", "--resize", "--grayscale",
            "--batch", "4", "--png-files", dir.resolve("png").toString(), "--stats", dir.resolve("stats").toString(),
            "--method", "lrp", "--rule", "gamma", "--gamma", "0.5", "--labels", labelsFile.toString(),
            "--colormap", "viridis", "--scale", "p99"});
        assertThat(DtdSparkMain.run(spark, o)).isEqualTo(1);
        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertThat(rows).hasSize(7);
        assertThat(rows.stream().filter(r -> r.getAs("error") != null).map(r -> (String) r.getAs("id")))
                .singleElement().asString().endsWith("broken.png");
        for (Row r : rows) {
            if (r.getAs("error") == null) {
                assertThat((String) r.getAs("class_name")).isEqualTo("kind-" + r.<Integer>getAs("class"));
            }
        }
        assertThat(spark.read().parquet(dir.resolve("stats/per-class.parquet").toString()).count()).isPositive();
        // a target file: one class per picture, matched by file name; a picture it does not name gets an error
        Path targets = java.nio.file.Files.write(dir.resolve("targets.csv"), List.of("s0.png,3", "sub/s1.png,7",
                "s2.png,3", "s3.png,7", "s4.png,3"));
        String targeted = dir.resolve("targeted.parquet").toString();
        DtdSparkMain.run(spark, DtdSparkMain.parse(new String[]{"--model", FASHION.resolve("resnet.onnx").toString(),
            "--input", photos.getParent().toString(), "--out", targeted, "--preprocess", "unit", "--resize",
            "--grayscale", "--target", targets.toString()}));
        for (Row r : spark.read().parquet(targeted).collectAsList()) {
            String id = r.getAs("id");
            String name = id.replaceAll(".*/", "");
            if (name.equals("s5.png") || name.equals("broken.png")) {
                assertThat((String) r.getAs("error")).as(id).isNotNull();
            } else {
                assertThat((Integer) r.getAs("class")).as(id).isEqualTo(name.matches("s[024]\\.png") ? 3 : 7);
            }
        }
        // one PNG per explained picture, named after its id, none half-written
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir.resolve("png"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")
                    && !n.endsWith(".crc")).sorted().toList();
            assertThat(names).hasSize(6).allMatch(n -> n.matches("s\\d\\.png-[0-9a-f]{8}\\.png"));
            for (String n : names) {
                assertThat(ImageIO.read(dir.resolve("png").resolve(n).toFile()).getWidth()).isEqualTo(28);
            }
        }
        assertThat(spark.read().parquet(dir.resolve("stats/atlas.parquet").toString()).count()).isPositive();
        for (String[] bad : new String[][]{{"--model", "m.onnx", "--input", "x"}, {"--model", "m", "--input", "x",
            "--out", "y", "--colour", "red"}, {"--model", "m", "--input", "x", "--out", "y", "--method", "gradient",
            "--epsilon", "0.1"}, {"--model", "m", "--input", "x", "--out", out}, {"--model", "m", "--input", "x",
            "--out", "y", "--preprocess", "fancy"}, {"--model", "m", "--input", "x", "--out", "y", "--batch", "many"},
            {"--model", "m", "--input", "x", "--out", "y", "--colormap", "jet"}, {"--model", "m", "--input", "x",
                "--out", "y", "--scale", "q5"}}) {
            assertThatThrownBy(() -> DtdSparkMain.parse(bad)).as(String.join(" ", bad))
                    .isInstanceOf(ConfigurationException.class);
        }
    }
    private static long rss() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    /**
     * 10,000 explanations in one executor (this JVM, whose heap is allocated and touched at start: -Xms = -Xmx with
     * AlwaysPreTouch, so only native memory can grow) hold RSS: at most 1.1 times its value after the first 1,000.
     */
    @Test
    void tenThousandExplanationsKeepTheExecutorsMemoryFlat() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            rows.add(RowFactory.create("t" + i, images.get(NDArrayIndex.point(i % 200)).castTo(DataType.FLOAT)
                    .dup('c').data().asFloat()));
        }
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).idColumn("id").batchSize(32)
                .images(ImageSpec.unit(true));
        Dataset<Row> first = spark.createDataFrame(rows.subList(0, 1_000), TENSOR_ROWS).repartition(1);
        assertThat(sx.explain(first).filter("error is null").count()).isEqualTo(1_000);
        System.gc();
        long after1000 = rss();
        Dataset<Row> all = spark.createDataFrame(rows, TENSOR_ROWS).repartition(1);
        assertThat(sx.explain(all).filter("error is null").count()).isEqualTo(10_000);
        System.gc();
        long after10000 = rss();
        System.out.printf("dtd-spark RSS: %d MB after 1,000 explanations, %d MB after 10,000 more%n", after1000 >> 20,
                after10000 >> 20);
        assertThat((double) after10000).isLessThanOrEqualTo(1.1 * after1000);
    }
    /**
     * The other ways pictures come in give the same rows as bytes: only a path (the executors read the file), and
     * Spark's image source (its BGR struct).
     */
    @Test
    void pathsAndSparksImageSourceGiveTheSameRowsAsBytes(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<Row> paths = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Path f = dir.resolve("s" + i + ".png");
            java.nio.file.Files.write(f, png(i));
            paths.add(RowFactory.create(f.toUri().toString()));
        }
        paths.add(RowFactory.create(dir.resolve("missing.png").toUri().toString()));
        // batch 1 for both reads: then the rows are the same bits whatever the partitions hold (docs/spark.md)
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).images(ImageSpec.unit(true))
                .batchSize(1);
        Map<String, float[]> byName = new HashMap<>();
        for (Row r : sx.explain(pictures(1)).collectAsList()) {
            if (r.getAs("error") == null) {
                byName.put(r.getAs("id"), floats(r.getList(r.fieldIndex("heatmap"))));
            }
        }
        StructType onlyPaths = new StructType(new StructField[]{
            DataTypes.createStructField("path", DataTypes.StringType, false)});
        List<Row> fromPaths = sx.explain(spark.createDataFrame(paths, onlyPaths)).collectAsList();
        assertThat(fromPaths).hasSize(7);
        for (Row r : fromPaths) {
            String id = r.getAs("id");
            if (id.endsWith("missing.png")) {
                assertThat((String) r.getAs("error")).contains("cannot read");
                continue;
            }
            String name = "sample-" + id.replaceAll(".*/s(\\d+)\\.png", "$1") + ".png";
            assertThat(Arrays.equals(floats(r.getList(r.fieldIndex("heatmap"))), byName.get(name))).as(id).isTrue();
        }
        // rows as Spark's image source (spark-mllib) makes them: origin, height, width, nChannels, mode, data (BGR)
        StructType imageStruct = new StructType(new StructField[]{
            DataTypes.createStructField("origin", DataTypes.StringType, true),
            DataTypes.createStructField("height", DataTypes.IntegerType, false),
            DataTypes.createStructField("width", DataTypes.IntegerType, false),
            DataTypes.createStructField("nChannels", DataTypes.IntegerType, false),
            DataTypes.createStructField("mode", DataTypes.IntegerType, false),
            DataTypes.createStructField("data", DataTypes.BinaryType, false)});
        List<Row> imageRows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int channels = i % 2 == 0 ? 1 : 3;
            BufferedImage p = ImageIO.read(new java.io.ByteArrayInputStream(png(i)));
            byte[] data = new byte[28 * 28 * channels];
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    byte v = (byte) (p.getRaster().getSample(x, y, 0));
                    for (int c = 0; c < channels; c++) {
                        data[(y * 28 + x) * channels + c] = v;
                    }
                }
            }
            String origin = dir.resolve("s" + i + ".png").toUri().toString();
            imageRows.add(RowFactory.create(RowFactory.create(origin, 28, 28, channels, channels == 1 ? 0 : 16, data),
                    origin));
        }
        Dataset<Row> images = spark.createDataFrame(imageRows, new StructType(new StructField[]{
            DataTypes.createStructField("image", imageStruct, false),
            DataTypes.createStructField("path", DataTypes.StringType, false)}));
        List<Row> fromImages = sx.explain(images).collectAsList();
        assertThat(fromImages).hasSize(6);
        for (Row r : fromImages) {
            String id = r.getAs("id");
            assertThat((String) r.getAs("error")).as(id).isNull();
            String name = "sample-" + id.replaceAll(".*/s(\\d+)\\.png", "$1") + ".png";
            assertThat(Arrays.equals(floats(r.getList(r.fieldIndex("heatmap"))), byName.get(name))).as(id).isTrue();
        }
        // CRP and activation maximisation are there too
        assertThat(MethodSpec.of("crp", Map.of("layer", "x", "channels", "1,2")).name()).isEqualTo("crp");
        assertThatThrownBy(() -> MethodSpec.of("crp", Map.of())).hasMessageContaining("layer");
        assertThat(MethodSpec.of("activation-maximization", Map.of()).name()).isEqualTo("activation-maximization");
    }
    /**
     * A contrast (LRP, class a against class b) equals the library's explanation from the same start relevance, bit
     * for bit, and the difference of the two classes' explanations (LRP's rules are linear in the start relevance).
     */
    @Test
    void aContrastIsTheLibrarysAndTheDifferenceOfTheTwoClassesExplanations() {
        Dataset<Row> in = spark.createDataFrame(tensorRows().subList(0, 6), TENSOR_ROWS).repartition(2);
        SparkExplainer sx = SparkExplainer.of(spark, FASHION.resolve("resnet.onnx")).idColumn("id")
                .images(ImageSpec.unit(true)).batchSize(1); // batch 1: the library's bits (docs/spark.md)
        List<Row> rows = sx.contrast(0, 3).explain(in).collectAsList();
        Explainer local = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1)));
        for (Row r : rows) {
            int i = Integer.parseInt(((String) r.getAs("id")).substring(1));
            INDArray x = images.get(NDArrayIndex.interval(i, i + 1)).castTo(DataType.FLOAT).dup();
            INDArray logits = local.forward(x);
            INDArray start = org.nd4j.linalg.factory.Nd4j.zeros(logits.dataType(), logits.shape());
            start.putScalar(0, 0, logits.getDouble(0, 0));
            start.putScalar(0, 3, -logits.getDouble(0, 3));
            float[] heat = floats(r.getList(r.fieldIndex("heatmap")));
            try (Explanation e = local.explain(x, io.github.dtd4j.Start.relevance(start));
                 Explanation a = local.explain(x, io.github.dtd4j.Start.classes(0));
                 Explanation b = local.explain(x, io.github.dtd4j.Start.classes(3))) {
                assertThat(Arrays.equals(heat, e.inputRelevance().castTo(DataType.FLOAT).dup('c').data().asFloat()))
                        .as("t" + i).isTrue();
                INDArray diff = a.inputRelevance().sub(b.inputRelevance());
                double worst = 0;
                for (int k = 0; k < heat.length; k++) {
                    worst = Math.max(worst, Math.abs(heat[k] - diff.getDouble(k)));
                }
                assertThat(worst).isLessThanOrEqualTo(1e-5 * diff.amaxNumber().doubleValue());
                assertThat((Integer) r.getAs("class")).isEqualTo(0);
                assertThat((Double) r.getAs("logit")).isEqualTo(logits.getDouble(0, 0) - logits.getDouble(0, 3));
            }
        }
        assertThatThrownBy(() -> sx.contrast(0, 0)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> sx.contrast(0, 3).method(MethodSpec.of("gradient", Map.of())).explain(in))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("lrp");
    }
}
