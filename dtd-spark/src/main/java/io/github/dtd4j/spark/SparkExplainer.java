package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.OnnxModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Explains a corpus on Apache Spark: every row of a {@code Dataset<Row>} of pictures (a {@code content} binary
 * column, as Spark's {@code binaryFile} source reads them; an {@code image} column, as its {@code image} source reads
 * them; or only a {@code path} column, whose files the executors read) or tensors (a {@code tensor} array column, one
 * input without its batch axis) becomes a row of {@link #SCHEMA}: the id, the label if the input has one, the
 * explained class, its logit, the relevance sum, the heatmap (summed over channels), optionally as a PNG, LRP's
 * ledger, and the error for a row that could not be explained. The job never fails for a bad row.
 *
 * <pre>{@code
 * Dataset<Row> pictures = spark.read().format("binaryFile").load("photos/");
 * Dataset<Row> explained = SparkExplainer.of(spark, Path.of("resnet50.onnx"))
 *         .method(MethodSpec.of("lrp", Map.of("preset", "epsilon-zplus")))
 *         .explain(pictures);
 * explained.write().parquet("explained.parquet");
 * }</pre>
 *
 * <p>The model's bytes reach the executors once, as a broadcast; each executor JVM imports the model and makes the
 * method once, and reuses them for every task. Explanations are deterministic, so a task that Spark retries gives
 * the same rows. Immutable: each setting returns a new explainer.
 */
public final class SparkExplainer {
    /** The rows {@link #explain} returns. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
        DataTypes.createStructField("id", DataTypes.StringType, true),
        DataTypes.createStructField("label", DataTypes.IntegerType, true),
        DataTypes.createStructField("class", DataTypes.IntegerType, true),
        DataTypes.createStructField("class_name", DataTypes.StringType, true),
        DataTypes.createStructField("logit", DataTypes.DoubleType, true),
        DataTypes.createStructField("relevance_sum", DataTypes.DoubleType, true),
        DataTypes.createStructField("heatmap", DataTypes.createArrayType(DataTypes.FloatType, false), true),
        DataTypes.createStructField("height", DataTypes.IntegerType, true),
        DataTypes.createStructField("width", DataTypes.IntegerType, true),
        DataTypes.createStructField("png", DataTypes.BinaryType, true),
        DataTypes.createStructField("ledger", DataTypes.createArrayType(new StructType(new StructField[]{
            DataTypes.createStructField("node", DataTypes.StringType, false),
            DataTypes.createStructField("kind", DataTypes.StringType, false),
            DataTypes.createStructField("relevance_in", DataTypes.DoubleType, false),
            DataTypes.createStructField("relevance_out", DataTypes.DoubleType, false),
            DataTypes.createStructField("bias", DataTypes.DoubleType, false),
            DataTypes.createStructField("stabilizer", DataTypes.DoubleType, false)}), false), true),
        DataTypes.createStructField("aopc_morf", DataTypes.DoubleType, true),
        DataTypes.createStructField("error", DataTypes.StringType, true)});

    private final SparkSession spark;
    private final byte[] model;
    private final String modelKey;
    private final Graph graph;
    private final MethodSpec method;
    private final ImageSpec images;
    private final int batch;
    private final boolean png;
    private final int target;
    private final String idColumn;
    private final int aopcSteps;
    private final boolean nhwc;
    private final OutputStyle style;
    private final int[] contrast;

    private SparkExplainer(SparkSession spark, byte[] model, String modelKey, Graph graph, MethodSpec method,
                           ImageSpec images, int batch, boolean png, int target, String idColumn, int aopcSteps,
                           boolean nhwc, OutputStyle style, int[] contrast) {
        this.spark = spark;
        this.model = model;
        this.modelKey = modelKey;
        this.graph = graph;
        this.method = method;
        this.images = images;
        this.batch = batch;
        this.png = png;
        this.target = target;
        this.idColumn = idColumn;
        this.aopcSteps = aopcSteps;
        this.nhwc = nhwc;
        this.style = style;
        this.contrast = contrast;
    }

    /**
     * {@return an explainer of an ONNX model: LRP's DTD preset, ImageNet preprocessing, batches of 16, the top class}
     *
     * @param spark the session
     * @param model an ONNX file, read on the driver and imported there once to check it
     * @throws UncheckedIOException if it cannot be read
     */
    public static SparkExplainer of(SparkSession spark, Path model) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new UncheckedIOException(model + ": cannot read the model", e);
        }
        Graph g = OnnxModels.load(bytes).frozen();
        String key;
        try {
            key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new SparkExplainer(spark, bytes, key, g, MethodSpec.lrp(), ImageSpec.imagenet(), 16, false, -1, "path",
                0, false, OutputStyle.defaults(), null);
    }

    /** {@return a copy with another method} @param m the method and its options */
    public SparkExplainer method(MethodSpec m) {
        return new SparkExplainer(spark, model, modelKey, graph, m, images, batch, png, target, idColumn, aopcSteps,
                nhwc, style, contrast);
    }

    /** {@return a copy with another preprocessing of pictures} @param s the preprocessing */
    public SparkExplainer images(ImageSpec s) {
        return new SparkExplainer(spark, model, modelKey, graph, method, s, batch, png, target, idColumn, aopcSteps,
                nhwc, style, contrast);
    }

    /** {@return a copy that explains {@code rows} inputs at once on the executors} @param rows at least 1 */
    public SparkExplainer batchSize(int rows) {
        if (rows < 1) {
            throw new ConfigurationException("dtd-spark: the batch size must be at least 1, got " + rows);
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, rows, png, target, idColumn,
                aopcSteps, nhwc, style, contrast);
    }

    /** {@return a copy that also renders each heatmap as a PNG (red-blue, scaled by max |R|)} @param on whether */
    public SparkExplainer png(boolean on) {
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, on, target, idColumn,
                aopcSteps, nhwc, style, contrast);
    }

    /** {@return a copy that explains one class for every row (-1: each row's top class)} @param c the class */
    public SparkExplainer target(int c) {
        long classes = graph.outputShape().dim(graph.outputShape().rank() - 1);
        if (c < -1 || c >= classes) {
            throw new ConfigurationException("dtd-spark: the model has " + classes + " classes, got target " + c);
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, c, idColumn, aopcSteps,
                nhwc, style, contrast);
    }

    /** {@return a copy that takes the rows' ids from another column (default {@code path})} @param column its name */
    public SparkExplainer idColumn(String column) {
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, target, column,
                aopcSteps, nhwc, style, contrast);
    }

    /**
     * {@return a copy that explains class {@code a} against class {@code b} in every row (LRP only, as
     * {@code dtd explain --contrast A,B}): the relevance starts as +logit at a and −logit at b, so the heatmap
     * explains f_a − f_b; the row's class is a and its logit f_a − f_b}
     *
     * @param a the class explained
     * @param b the class it is set against
     */
    public SparkExplainer contrast(int a, int b) {
        long classes = graph.outputShape().dim(graph.outputShape().rank() - 1);
        if (a < 0 || b < 0 || a >= classes || b >= classes || a == b) {
            throw new ConfigurationException("dtd-spark: contrast: two different classes of the model's " + classes
                    + ", got " + a + " and " + b);
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, target, idColumn,
                aopcSteps, nhwc, style, new int[]{a, b});
    }

    /**
     * {@return a copy that names the classes ({@code class_name}) and draws the PNGs with a colour map and scale}
     *
     * @param s the style; its labels, if any, must be one per class of the model
     */
    public SparkExplainer style(OutputStyle s) {
        long classes = graph.outputShape().dim(graph.outputShape().rank() - 1);
        if (!s.labels().isEmpty() && s.labels().size() != classes) {
            throw new ConfigurationException("dtd-spark: " + s.labels().size() + " labels for a model of " + classes
                    + " classes");
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, target, idColumn,
                aopcSteps, nhwc, s, contrast);
    }

    /**
     * {@return a copy that reads {@code tensor} rows as {@code nchw} (the model's own layout, the default) or
     * {@code nhwc} (channels last, as TensorFlow and most image arrays keep them), as dtd explain's --layout}
     *
     * @param layout nchw or nhwc
     */
    public SparkExplainer tensorLayout(String layout) {
        String l = layout.strip().toLowerCase(java.util.Locale.ROOT);
        if (!l.equals("nchw") && !l.equals("nhwc")) {
            throw new ConfigurationException("dtd-spark: the tensor layout is nchw or nhwc, got '" + layout + "'");
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, target, idColumn,
                aopcSteps, l.equals("nhwc"), style, contrast);
    }

    /**
     * {@return a copy that also scores each heatmap by region perturbation (dtd-eval's {@code RegionPerturbation}
     * with its default patches, most relevant first, the top class): the row's {@code aopc_morf}, the mean drop of
     * the logit over {@code steps} steps; the mean over rows is the library's AOPC of those images}
     *
     * @param steps the perturbation steps (0: none)
     */
    public SparkExplainer aopc(int steps) {
        if (steps < 0) {
            throw new ConfigurationException("dtd-spark: AOPC steps must be >= 0, got " + steps);
        }
        if (steps > 0) {
            io.github.dtd4j.eval.RegionPerturbation.of(graph).withSteps(steps);
        }
        return new SparkExplainer(spark, model, modelKey, graph, method, images, batch, png, target, idColumn, steps,
                nhwc, style, contrast);
    }

    /**
     * {@return the explained rows, one per input row, lazily (Spark runs them when an action asks)}
     *
     * @param input rows with a {@code content} binary column (PNG/JPEG bytes), an {@code image} struct, a
     *              {@code tensor} array column or only paths; an id column ({@link #idColumn}, default {@code path});
     *              optionally an integer {@code label}, and an integer {@code target}: the class to explain for that
     *              row (a row without one, or with one out of range, gets an error)
     * @throws ConfigurationException if a column is missing, or the method does not fit the model (checked on the
     *                                driver, before any task)
     */
    public Dataset<Row> explain(Dataset<Row> input) {
        List<String> fields = Arrays.asList(input.schema().fieldNames());
        if (!fields.contains("content") && !fields.contains("tensor") && !fields.contains("image")
                && !idColumn.equals("path")) {
            throw new ConfigurationException("dtd-spark: the input needs a 'content' column (picture bytes), an"
                    + " 'image' column (Spark's image source), a 'tensor' column (numbers) or a 'path' column (files"
                    + " the executors read); it has " + fields);
        }
        if (!fields.contains(idColumn)) {
            throw new ConfigurationException("dtd-spark: the input has no id column '" + idColumn + "' (it has "
                    + fields + "); choose one with idColumn(...)");
        }
        if (contrast != null && (!method.name().equals("lrp") || target >= 0)) {
            throw new ConfigurationException("dtd-spark: contrast is for the method lrp, without a target");
        }
        // the method is made once on the driver too: a wrong layer or option fails here, not in every task
        method.make(graph, images.box());
        Broadcast<byte[]> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        return input.mapPartitions(new PartitionExplainer(shared, modelKey, method, images, batch, png, target,
                idColumn, aopcSteps, nhwc, style, contrast), Encoders.row(SCHEMA));
    }
}
