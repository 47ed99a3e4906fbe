package io.github.dtd4j.spark;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The throughput of dtd-spark against the plain library loop, for scripts/benchmark.sh spark: the shipped
 * Fashion-MNIST ResNet explained with LRP's DTD preset on the first N pictures of Fashion-MNIST's test set (Debian's
 * dataset-fashion-mnist), in batches of B, by the library in one thread of this JVM and by Spark in local[1] and
 * local[2]; each after a warm-up run on the first 500. Prints JSON.
 * Usage: SparkThroughput MODEL IDX_GZ N B
 */
public final class SparkThroughput {
    private SparkThroughput() {
    }

    /** @param args model, images (IDX, gzip), count, batch */
    public static void main(String[] args) throws Exception {
        Graph graph = OnnxModels.load(Path.of(args[0])).frozen();
        float[][] pictures = idx(Path.of(args[1]), Integer.parseInt(args[2]));
        int batch = Integer.parseInt(args[3]);
        Explainer local = Explainer.of(graph).preset(Presets.dtd(Rules.zBox(0, 1)));
        loop(local, pictures, batch, 500);
        long t0 = System.nanoTime();
        loop(local, pictures, batch, pictures.length);
        double loopSeconds = (System.nanoTime() - t0) / 1e9;
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"images\": %d, \"batch\": %d, \"model\": \"%s\", \"cores\": %d, \"library_seconds\": %.3f",
                pictures.length, batch, Path.of(args[0]).getFileName(), Runtime.getRuntime().availableProcessors(),
                loopSeconds));
        for (int cores : new int[]{1, 2}) {
            SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("throughput")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
            try {
                SparkExplainer sx = SparkExplainer.of(spark, Path.of(args[0])).idColumn("id").batchSize(batch)
                        .images(ImageSpec.unit(true));
                run(spark, sx, pictures, 500, cores);
                long s0 = System.nanoTime();
                long ok = run(spark, sx, pictures, pictures.length, cores);
                double seconds = (System.nanoTime() - s0) / 1e9;
                if (ok != pictures.length) {
                    throw new IllegalStateException(ok + " of " + pictures.length + " explained");
                }
                json.append(String.format(Locale.ROOT, ", \"spark_local%d_seconds\": %.3f", cores, seconds));
            } finally {
                spark.stop();
            }
        }
        System.out.println(json.append("}"));
    }

    private static void loop(Explainer e, float[][] pictures, int batch, int n) {
        for (int i = 0; i < n; i += batch) {
            int m = Math.min(batch, n - i);
            float[] v = new float[m * 784];
            for (int k = 0; k < m; k++) {
                System.arraycopy(pictures[i + k], 0, v, k * 784, 784);
            }
            INDArray x = Nd4j.create(v, new long[]{m, 1, 28, 28}, DataType.FLOAT);
            try (Explanation ex = e.explain(x)) {
                ex.inputRelevance().sumNumber();
            }
        }
    }

    private static long run(SparkSession spark, SparkExplainer sx, float[][] pictures, int n, int partitions) {
        StructType schema = new StructType(new StructField[]{
            DataTypes.createStructField("id", DataTypes.StringType, false),
            DataTypes.createStructField("tensor", DataTypes.createArrayType(DataTypes.FloatType, false), false)});
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create("f" + i, pictures[i]));
        }
        Dataset<Row> in = spark.createDataFrame(rows, schema).repartition(partitions);
        return sx.explain(in).filter("error is null").count();
    }

    /** {@return the first n pictures of an IDX image file, pixels / 255} */
    private static float[][] idx(Path file, int n) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != 0x803) {
                throw new IOException(file + ": not an IDX image file");
            }
            int count = in.readInt();
            int h = in.readInt();
            int w = in.readInt();
            float[][] out = new float[Math.min(n, count)][h * w];
            for (float[] p : out) {
                for (int k = 0; k < p.length; k++) {
                    p[k] = in.readUnsignedByte() / 255f;
                }
            }
            return out;
        }
    }
}
