package io.github.dtd4j.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Corpus-level measures of {@link SparkExplainer#explain}'s rows, as Spark aggregations (they run where the rows
 * are): statistics per explained class, and the relevance atlas, the mean heatmap of each class.
 */
public final class CorpusStatistics {
    private CorpusStatistics() {
    }

    private static boolean hasLabels(Dataset<Row> explained) {
        return Arrays.asList(explained.schema().fieldNames()).contains("label");
    }

    /** {@return the rows without error, and of top-k's rows those of rank 1 only} */
    private static Dataset<Row> usable(Dataset<Row> explained) {
        Dataset<Row> ok = explained.filter(col("error").isNull());
        return Arrays.asList(explained.schema().fieldNames()).contains("rank")
                ? ok.filter(col("rank").isNull().or(col("rank").equalTo(1))) : ok;
    }

    /**
     * {@return one row per explained class: {@code class}, {@code images}, {@code correct} (rows whose label is the
     * class; null without labels), {@code mean_logit}, {@code mean_relevance_sum}, {@code sd_relevance_sum},
     * {@code mean_aopc_morf} (null unless AOPC was asked), ordered by class}; rows with an error, and top-k's rows
     * beyond rank 1, are left out
     *
     * @param explained rows of {@link SparkExplainer#SCHEMA}
     */
    public static Dataset<Row> perClass(Dataset<Row> explained) {
        Dataset<Row> ok = usable(explained);
        Column correct = hasLabels(explained) ? sum(when(col("label").equalTo(col("class")), 1).otherwise(0))
                : lit(null).cast("long");
        return ok.groupBy("class").agg(count(lit(1)).as("images"), correct.as("correct"),
                avg("logit").as("mean_logit"), avg("relevance_sum").as("mean_relevance_sum"),
                stddev_samp("relevance_sum").as("sd_relevance_sum"), avg("aopc_morf").as("mean_aopc_morf"))
                .orderBy("class");
    }

    /**
     * {@return the relevance atlas: for each class, the mean heatmap of its correctly classified rows (all its rows
     * when there are no labels; of top-k's rows, rank 1 only): {@code class}, {@code height}, {@code width},
     * {@code images}, {@code mean_heatmap} (row-major, as the rows' heatmaps), ordered by class}
     *
     * @param explained rows of {@link SparkExplainer#SCHEMA} whose heatmaps are of pictures (height and width set)
     */
    public static Dataset<Row> atlas(Dataset<Row> explained) {
        Dataset<Row> ok = usable(explained).filter(col("height").isNotNull());
        if (hasLabels(explained)) {
            ok = ok.filter(col("label").isNull().or(col("label").equalTo(col("class"))));
        }
        Dataset<Row> cells = ok.select(col("class"), col("height"), col("width"), posexplode(col("heatmap")));
        Dataset<Row> means = cells.groupBy("class", "height", "width", "pos")
                .agg(avg("col").as("mean"), count(lit(1)).as("images"));
        return means.groupBy("class", "height", "width")
                .agg(max("images").as("images"), sort_array(collect_list(struct(col("pos"), col("mean")))).as("cells"))
                .select(col("class"), col("height"), col("width"), col("images"),
                        expr("transform(cells, c -> c.mean)").as("mean_heatmap"))
                .orderBy("class");
    }
}
