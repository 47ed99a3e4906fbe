package io.github.dtd4j.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Row;

/**
 * Writes the {@code png} column of explained rows as files, from the executors, into a directory of any file system
 * Hadoop reaches (HDFS, S3, local): one file per row, named after the id's last part and 8 hex digits of its SHA-256
 * (so that {@code a/cat.png} and {@code b/cat.png} do not collide, and a retried task writes the same names), and
 * for top-k rows {@code .topR} after the rank; each
 * written to a temporary name and renamed, so that no half-written file is left.
 */
final class PngFiles implements ForeachPartitionFunction<Row> {
    private static final long serialVersionUID = 1L;

    private final String dir;

    PngFiles(String dir) {
        this.dir = dir;
    }

    /** {@return the file name of a row's PNG} @param id the row's id @param rank its rank for top-k, or null */
    static String name(String id, Integer rank) {
        String last = id.replaceAll(".*[/\\\\]", "").replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return last + "-" + HexFormat.of().formatHex(h, 0, 4) + (rank == null ? "" : ".top" + rank) + ".png";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void call(Iterator<Row> rows) {
        try {
            Path base = new Path(dir);
            FileSystem fs = base.getFileSystem(new Configuration());
            fs.mkdirs(base);
            while (rows.hasNext()) {
                Row r = rows.next();
                byte[] png = r.getAs("png");
                String id = r.getAs("id");
                if (png == null || id == null) {
                    continue;
                }
                Path target = new Path(base, name(id, r.getAs("rank")));
                Path tmp = new Path(base, "." + target.getName() + ".part");
                try (OutputStream out = fs.create(tmp, true)) {
                    out.write(png);
                }
                fs.delete(target, false);
                if (!fs.rename(tmp, target)) {
                    throw new IOException("cannot rename " + tmp + " to " + target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the PNG files", e);
        }
    }
}
