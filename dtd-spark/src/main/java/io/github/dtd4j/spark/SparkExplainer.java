package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
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
 * explained class (and its rank among the row's top classes), its logit, the relevance sum, the heatmap (summed over
 * channels), optionally as a PNG, LRP's ledger, and the error for a row that could not be explained. The job never
 * fails for a bad row. The model is an ONNX file, a Keras .h5 or a DL4J zip.
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
        DataTypes.createStructField("rank", DataTypes.IntegerType, true),
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
    private final Graph graph;
    private final Settings settings;

    /** Everything the executors need besides the model's bytes: a copy per setting, never changed once shared. */
    static final class Settings implements java.io.Serializable, Cloneable {
        private static final long serialVersionUID = 1L;
        String modelKey;
        ModelFormat format;
        /** The given per-sample input shape's sizes (Shape is not serializable), or null. */
        long[] inputShape;
        MethodSpec method = MethodSpec.lrp();
        ImageSpec images = ImageSpec.imagenet();
        int batch = 16;
        boolean png;
        int target = -1;
        int topK;
        String idColumn = "path";
        int aopcSteps;
        boolean nhwc;
        OutputStyle style = OutputStyle.defaults();
        int[] contrast;

        Settings copy() {
            try {
                return (Settings) clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private SparkExplainer(SparkSession spark, byte[] model, Graph graph, Settings settings) {
        this.spark = spark;
        this.model = model;
        this.graph = graph;
        this.settings = settings;
    }

    private SparkExplainer with(java.util.function.Consumer<Settings> change) {
        Settings s = settings.copy();
        change.accept(s);
        return new SparkExplainer(spark, model, graph, s);
    }

    /**
     * {@return an explainer of a model file: LRP's DTD preset, ImageNet preprocessing, batches of 16, the top class}
     *
     * @param spark the session
     * @param model an ONNX file, a Keras .h5 or a DL4J model zip whose configuration gives its input shape; read on
     *              the driver and imported there once to check it
     * @throws UncheckedIOException if it cannot be read
     */
    public static SparkExplainer of(SparkSession spark, Path model) {
        return of(spark, model, null);
    }

    /**
     * {@return an explainer of a model file, as {@link #of(SparkSession, Path)}, with its per-sample input shape}:
     * DL4J's zips do not keep it for images (dtd explain's {@code --input-shape})
     *
     * @param spark      the session
     * @param model      an ONNX file, a DL4J model zip or a Keras .h5
     * @param inputShape the per-sample input shape, channels first ({@code Shape.of(3, 224, 224)}); for ONNX and Keras
     *                   it must equal the file's own; null: the file's own
     * @throws UncheckedIOException   if it cannot be read
     * @throws ConfigurationException for an unknown extension or a shape that does not fit
     */
    public static SparkExplainer of(SparkSession spark, Path model, Shape inputShape) {
        ModelFormat format = ModelFormat.of(model);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new UncheckedIOException(model + ": cannot read the model", e);
        }
        Graph g = format.load(bytes, inputShape);
        Settings s = new Settings();
        try {
            s.modelKey = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)) + "|"
                    + inputShape;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        s.format = format;
        s.inputShape = inputShape == null ? null : inputShape.dims();
        return new SparkExplainer(spark, bytes, g, s);
    }

    /** {@return a copy with another method} @param m the method and its options */
    public SparkExplainer method(MethodSpec m) {
        return with(s -> s.method = m);
    }

    /** {@return a copy with another preprocessing of pictures} @param spec the preprocessing */
    public SparkExplainer images(ImageSpec spec) {
        return with(s -> s.images = spec);
    }

    /** {@return a copy that explains {@code rows} inputs at once on the executors} @param rows at least 1 */
    public SparkExplainer batchSize(int rows) {
        if (rows < 1) {
            throw new ConfigurationException("dtd-spark: the batch size must be at least 1, got " + rows);
        }
        return with(s -> s.batch = rows);
    }

    /**
     * {@return a copy that also renders each heatmap as a PNG (by default red-blue, scaled by max |R|; the
     * {@link #style} may blend it over the picture, blur it and draw contour lines)}
     *
     * @param on whether
     */
    public SparkExplainer png(boolean on) {
        return with(s -> s.png = on);
    }

    /** {@return a copy that explains one class for every row (-1: each row's top class)} @param c the class */
    public SparkExplainer target(int c) {
        long classes = classes();
        if (c < -1 || c >= classes) {
            throw new ConfigurationException("dtd-spark: the model has " + classes + " classes, got target " + c);
        }
        return with(s -> {
            s.target = c;
            s.topK = 0;
        });
    }

    /**
     * {@return a copy that explains each row's {@code k} top classes (dtd explain's {@code --target top-k:K}): k rows
     * per input, their {@code rank} 1 to k, the classes by decreasing logit (ties: the lower class first)}
     *
     * @param k from 1 to the number of classes
     */
    public SparkExplainer topK(int k) {
        long classes = classes();
        if (k < 1 || k > classes) {
            throw new ConfigurationException("dtd-spark: top-k needs k from 1 to the model's " + classes
                    + " classes, got " + k);
        }
        return with(s -> {
            s.topK = k;
            s.target = -1;
        });
    }

    private long classes() {
        return graph.outputShape().dim(graph.outputShape().rank() - 1);
    }

    /** {@return a copy that takes the rows' ids from another column (default {@code path})} @param column its name */
    public SparkExplainer idColumn(String column) {
        return with(s -> s.idColumn = column);
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
        long classes = classes();
        if (a < 0 || b < 0 || a >= classes || b >= classes || a == b) {
            throw new ConfigurationException("dtd-spark: contrast: two different classes of the model's " + classes
                    + ", got " + a + " and " + b);
        }
        return with(s -> s.contrast = new int[]{a, b});
    }

    /**
     * {@return a copy that names the classes ({@code class_name}) and draws the PNGs with a colour map, scale,
     * overlay, blur and contour lines}
     *
     * @param style the style; its labels, if any, must be one per class of the model
     */
    public SparkExplainer style(OutputStyle style) {
        long classes = classes();
        if (!style.labels().isEmpty() && style.labels().size() != classes) {
            throw new ConfigurationException("dtd-spark: " + style.labels().size() + " labels for a model of "
                    + classes + " classes");
        }
        return with(s -> s.style = style);
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
        return with(s -> s.nhwc = l.equals("nhwc"));
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
        return with(s -> s.aopcSteps = steps);
    }

    /**
     * {@return the explained rows, one per input row (k per input row with {@link #topK}; an input that fails gives
     * one error row), lazily (Spark runs them when an action asks)}
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
                && !settings.idColumn.equals("path")) {
            throw new ConfigurationException("dtd-spark: the input needs a 'content' column (picture bytes), an"
                    + " 'image' column (Spark's image source), a 'tensor' column (numbers) or a 'path' column (files"
                    + " the executors read); it has " + fields);
        }
        if (!fields.contains(settings.idColumn)) {
            throw new ConfigurationException("dtd-spark: the input has no id column '" + settings.idColumn
                    + "' (it has " + fields + "); choose one with idColumn(...)");
        }
        if (settings.contrast != null && (!settings.method.name().equals("lrp") || settings.target >= 0
                || settings.topK > 0)) {
            throw new ConfigurationException("dtd-spark: contrast is for the method lrp, without a target");
        }
        if (settings.topK > 0 && fields.contains("target")) {
            throw new ConfigurationException("dtd-spark: top-k explains each row's top classes; the input's 'target'"
                    + " column names one class per row: drop one of them");
        }
        // the method is made once on the driver too: a wrong layer or option fails here, not in every task
        settings.method.make(graph, settings.images.box());
        Broadcast<byte[]> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        return input.mapPartitions(new PartitionExplainer(shared, settings), Encoders.row(SCHEMA));
    }
}
