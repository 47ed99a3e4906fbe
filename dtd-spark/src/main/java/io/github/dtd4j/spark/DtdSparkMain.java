package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.viz.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code spark-submit} entry point: explains a directory of pictures (or a Parquet dataset of {@code content} or
 * {@code tensor} rows) and writes the rows of {@link SparkExplainer#SCHEMA} as Parquet, with {@code dtd explain}'s
 * option names.
 *
 * <pre>
 * spark-submit --class io.github.dtd4j.spark.DtdSparkMain APP.jar --model resnet50.onnx --input photos/ \
 *     --out explained.parquet --method lrp --preset epsilon-zplus --batch 16 --png --stats stats/
 * </pre>
 *
 * <p>Options: {@code --model} (ONNX, a DL4J zip or a Keras .h5), {@code --input-shape C,H,W} (a DL4J zip's input,
 * which DL4J does not keep for images), {@code --input} (a directory of .png/.jpg, searched recursively, or a Parquet
 * dataset), {@code --out} (a new Parquet directory), {@code --method} and its options (dtd explain's: LRP's rule
 * options, {@code --ig-steps}, {@code --ig-method}, {@code --samples}, {@code --noise}, {@code --layer},
 * {@code --window}, {@code --stride}, ...), {@code --target top|N|top-k:K|FILE} (each row's top class,
 * one class, each row's K top classes as K rows ranked 1 to K, or a file of {@code image,class} lines matched by file
 * name), {@code --layout nchw|nhwc} (tensor rows), {@code --preprocess imagenet|unit|none},
 * {@code --resize}, {@code --size H[,W]}, {@code --crop H[,W]}, {@code --mean}/{@code --std}, {@code --grayscale},
 * {@code --contrast A,B} (LRP: class A against class B), {@code --batch B}, {@code --png}, {@code --labels FILE},
 * {@code --colormap MAP}, {@code --scale max|pNN}, {@code --overlay ALPHA} (the PNG: the heatmap blended over the
 * picture the model saw), {@code --blur SIGMA} (the PNG's heatmap blurred), {@code --contour} (the PNG with contour
 * lines at 25, 50 and 75 % of the scale), {@code --aopc STEPS}, {@code --partition-by COLUMN},
 * {@code --stats DIR} (per-class statistics and the relevance atlas, as Parquet), {@code --png-files DIR} (each
 * heatmap as a PNG file, named after its id; implies {@code --png}). A mistake is one line on stderr
 * and exit code 2, before Spark reads anything.
 */
public final class DtdSparkMain {
    private static final Set<String> METHOD_OPTIONS = Set.of("preset", "rule", "conv-rule", "dense-rule",
            "first-rule", "epsilon", "gamma", "alpha", "beta", "low", "high", "zbox-bias", "bias", "stabilizer",
            "batchnorm", "maxpool", "sum-split", "dtype", "ig-steps", "ig-method", "internal-batch-size", "samples",
            "noise", "smoothgrad-seed", "smoothgrad-variant", "layer", "channels", "window", "stride", "baseline",
            "engine");
    private static final Set<String> VALUED = Set.of("model", "input", "out", "method", "preprocess", "size", "crop",
            "mean", "std", "batch",
            "target", "aopc", "partition-by", "stats", "png-files", "layout", "labels", "colormap", "scale",
            "contrast", "input-shape", "overlay", "blur");
    private static final Set<String> FLAGS = Set.of("resize", "grayscale", "png", "contour");

    private DtdSparkMain() {
    }

    /** @param args the options */
    public static void main(String[] args) {
        Map<String, String> o;
        try {
            o = parse(args);
        } catch (ConfigurationException e) {
            System.err.println("dtd-spark: " + e.getMessage());
            System.exit(2);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("dtd-spark explain").getOrCreate();
        try {
            long failed = run(spark, o);
            System.out.println("dtd-spark: wrote " + o.get("out") + (failed > 0 ? "; " + failed
                    + " rows have an error (the error column says why)" : ""));
        } finally {
            spark.stop();
        }
    }

    /**
     * {@return the options, checked}: {@code --name value} pairs and flags, by the names of {@code dtd explain}
     *
     * @param args the command line
     * @throws ConfigurationException naming an unknown option, a missing value or a missing required option
     */
    static Map<String, String> parse(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new ConfigurationException("unexpected argument '" + args[i] + "'");
            }
            String name = args[i].substring(2);
            if (FLAGS.contains(name)) {
                o.put(name, "true");
            } else if (VALUED.contains(name) || METHOD_OPTIONS.contains(name)) {
                if (i + 1 >= args.length) {
                    throw new ConfigurationException("--" + name + " needs a value");
                }
                o.put(name, args[++i]);
            } else {
                throw new ConfigurationException("unknown option --" + name);
            }
        }
        for (String required : List.of("model", "input", "out")) {
            if (!o.containsKey(required)) {
                throw new ConfigurationException("--" + required + " is required");
            }
        }
        Map<String, String> methodOptions = new LinkedHashMap<>();
        o.forEach((k, v) -> {
            if (METHOD_OPTIONS.contains(k)) {
                methodOptions.put(k, v);
            }
        });
        MethodSpec.of(o.getOrDefault("method", "lrp"), methodOptions);
        imageSpec(o);
        style(o);
        for (String n : List.of("batch", "aopc")) {
            if (o.containsKey(n)) {
                try {
                    Integer.parseInt(o.get(n));
                } catch (NumberFormatException e) {
                    throw new ConfigurationException("--" + n + ": expected a whole number, got '" + o.get(n) + "'");
                }
            }
        }
        if (o.containsKey("target") && !o.get("target").matches("-?\\d+|top|top-k:\\d+")
                && !Files.isRegularFile(Path.of(o.get("target")))) {
            throw new ConfigurationException("--target: expected top, a class index, top-k:K or a file of"
                    + " 'image,class' lines, got '" + o.get("target") + "'");
        }
        inputShape(o);
        if (o.containsKey("layout") && !o.get("layout").matches("(?i)nchw|nhwc")) {
            throw new ConfigurationException("--layout: expected nchw or nhwc, got '" + o.get("layout") + "'");
        }
        if (Files.exists(Path.of(o.get("out")))) {
            throw new ConfigurationException("--out " + o.get("out") + " exists; dtd-spark writes a new dataset");
        }
        return o;
    }

    private static ImageSpec imageSpec(Map<String, String> o) {
        Images.Preprocess mode;
        try {
            mode = Images.Preprocess.valueOf(o.getOrDefault("preprocess", "imagenet").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("--preprocess: expected imagenet, unit or none, got '"
                    + o.get("preprocess") + "'");
        }
        return new ImageSpec(mode, o.containsKey("resize"), o.containsKey("grayscale"), ints(o, "size"),
                ints(o, "crop"), doubles(o, "mean"), doubles(o, "std"));
    }

    private static List<Integer> ints(Map<String, String> o, String option) {
        return o.containsKey(option) ? doubles(o, option).stream().map(v -> {
            if (v != Math.rint(v)) {
                throw new ConfigurationException("--" + option + ": expected whole numbers, got '" + o.get(option)
                        + "'");
            }
            return (int) (double) v;
        }).toList() : List.of();
    }

    private static List<Double> doubles(Map<String, String> o, String option) {
        if (!o.containsKey(option)) {
            return List.of();
        }
        try {
            return java.util.Arrays.stream(o.get(option).split(",")).map(v -> Double.parseDouble(v.strip())).toList();
        } catch (NumberFormatException e) {
            throw new ConfigurationException("--" + option + ": expected numbers separated by commas, got '"
                    + o.get(option) + "'");
        }
    }

    /** {@return --labels (a file, one name per line), --colormap and --scale (max or pNN) as the rows' style} */
    private static OutputStyle style(Map<String, String> o) {
        List<String> labels = List.of();
        if (o.containsKey("labels")) {
            try {
                labels = Files.readAllLines(Path.of(o.get("labels"))).stream().map(String::strip)
                        .filter(l -> !l.isEmpty()).toList();
            } catch (java.io.IOException e) {
                throw new ConfigurationException("--labels " + o.get("labels") + ": cannot read: " + e.getMessage());
            }
        }
        String scale = o.getOrDefault("scale", "max").strip().toLowerCase(Locale.ROOT);
        double percentile;
        try {
            percentile = scale.equals("max") ? 100 : Double.parseDouble(scale.substring(1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new ConfigurationException("--scale: expected max or pNN, got '" + o.get("scale") + "'");
        }
        if (!scale.equals("max") && !scale.startsWith("p")) {
            throw new ConfigurationException("--scale: expected max or pNN, got '" + o.get("scale") + "'");
        }
        Double overlay = o.containsKey("overlay") ? number(o, "overlay") : null;
        double blur = o.containsKey("blur") ? number(o, "blur") : 0;
        return new OutputStyle(labels, o.getOrDefault("colormap", "red-blue"), percentile, overlay, blur,
                o.containsKey("contour"));
    }

    private static double number(Map<String, String> o, String option) {
        try {
            return Double.parseDouble(o.get(option).strip());
        } catch (NumberFormatException e) {
            throw new ConfigurationException("--" + option + ": expected a number, got '" + o.get(option) + "'");
        }
    }

    /** {@return --input-shape C,H,W as a per-sample shape, or null} */
    private static io.github.dtd4j.graph.Shape inputShape(Map<String, String> o) {
        if (!o.containsKey("input-shape")) {
            return null;
        }
        List<Integer> dims = ints(o, "input-shape");
        if (dims.stream().anyMatch(d -> d < 1)) {
            throw new ConfigurationException("--input-shape: expected positive sizes such as 3,224,224, got '"
                    + o.get("input-shape") + "'");
        }
        return io.github.dtd4j.graph.Shape.of(dims.stream().mapToLong(Integer::longValue).toArray());
    }

    /**
     * {@return the input with a {@code target} column from a file of {@code image,class} lines, matched on the last
     * part of each row's id (its file name); rows the file does not name get no target, and so an error row}
     */
    private static Dataset<Row> withTargets(SparkSession spark, Dataset<Row> in, Path file, String idColumn) {
        List<Row> pairs = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] p = line.split(",");
                if (p.length != 2) {
                    throw new ConfigurationException("--target " + file + ": expected 'image,class' lines, got '"
                            + line + "'");
                }
                pairs.add(org.apache.spark.sql.RowFactory.create(Path.of(p[0].strip()).getFileName().toString(),
                        Integer.parseInt(p[1].strip())));
            }
        } catch (java.io.IOException | NumberFormatException e) {
            throw new ConfigurationException("--target " + file + ": " + e.getMessage());
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("target_name", "string").add("target", "int");
        Dataset<Row> targets = spark.createDataFrame(pairs, schema);
        Dataset<Row> named = in.withColumn("target_name", org.apache.spark.sql.functions.regexp_extract(
                org.apache.spark.sql.functions.col(idColumn), "([^/\\\\]+)$", 1));
        return named.join(targets, named.col("target_name").equalTo(targets.col("target_name")), "left")
                .drop("target_name");
    }

    /**
     * Explains and writes, as {@link #main} does, in a session the caller owns.
     *
     * @param spark the session
     * @param o     options from {@link #parse}
     * @return the number of rows with an error
     */
    static long run(SparkSession spark, Map<String, String> o) {
        Map<String, String> methodOptions = new LinkedHashMap<>();
        o.forEach((k, v) -> {
            if (METHOD_OPTIONS.contains(k)) {
                methodOptions.put(k, v);
            }
        });
        SparkExplainer sx = SparkExplainer.of(spark, Path.of(o.get("model")), inputShape(o))
                .method(MethodSpec.of(o.getOrDefault("method", "lrp"), methodOptions)).images(imageSpec(o))
                .batchSize(Integer.parseInt(o.getOrDefault("batch", "16")))
                .png(o.containsKey("png") || o.containsKey("png-files"))
                .tensorLayout(o.getOrDefault("layout", "nchw")).style(style(o))
                .aopc(Integer.parseInt(o.getOrDefault("aopc", "0")));
        String target = o.getOrDefault("target", "top");
        boolean targetFile = !target.matches("-?\\d+|top|top-k:\\d+");
        if (target.startsWith("top-k:")) {
            sx = sx.topK(Integer.parseInt(target.substring("top-k:".length())));
        } else if (!targetFile) {
            sx = sx.target(target.equals("top") ? -1 : Integer.parseInt(target));
        }
        if (o.containsKey("contrast")) {
            String[] ab = o.get("contrast").split(",");
            try {
                sx = sx.contrast(Integer.parseInt(ab[0].strip()), Integer.parseInt(ab[ab.length - 1].strip()));
            } catch (NumberFormatException e) {
                throw new ConfigurationException("--contrast: expected two class indices A,B, got '"
                        + o.get("contrast") + "'");
            }
        }
        String input = o.get("input");
        Dataset<Row> in;
        if (input.endsWith(".parquet")) {
            in = spark.read().parquet(input);
            if (!List.of(in.schema().fieldNames()).contains("path")) {
                sx = sx.idColumn("id");
            }
        } else {
            in = spark.read().format("binaryFile").option("pathGlobFilter", "*.{png,jpg,jpeg,PNG,JPG,JPEG}")
                    .option("recursiveFileLookup", "true").load(input);
        }
        if (targetFile) {
            in = withTargets(spark, in, Path.of(target), o.get("input").endsWith(".parquet") && !List.of(
                    in.schema().fieldNames()).contains("path") ? "id" : "path");
        }
        Dataset<Row> explained = sx.explain(in).cache();
        List<String> partitions = new ArrayList<>();
        if (o.containsKey("partition-by")) {
            partitions.add(o.get("partition-by"));
        }
        explained.write().mode(SaveMode.ErrorIfExists).partitionBy(partitions.toArray(String[]::new))
                .parquet(o.get("out"));
        if (o.containsKey("stats")) {
            Path stats = Path.of(o.get("stats"));
            CorpusStatistics.perClass(explained).write().mode(SaveMode.ErrorIfExists)
                    .parquet(stats.resolve("per-class.parquet").toString());
            CorpusStatistics.atlas(explained).write().mode(SaveMode.ErrorIfExists)
                    .parquet(stats.resolve("atlas.parquet").toString());
        }
        if (o.containsKey("png-files")) {
            explained.select("id", "rank", "png").foreachPartition(new PngFiles(o.get("png-files")));
        }
        long failed = explained.filter("error is not null").count();
        explained.unpersist();
        return failed;
    }
}
