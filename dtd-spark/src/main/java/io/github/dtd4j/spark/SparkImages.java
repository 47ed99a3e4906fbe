package io.github.dtd4j.spark;

import io.github.dtd4j.errors.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/** The other ways pictures come in: Spark's {@code image} source, and paths that the executors read. */
final class SparkImages {
    /** The largest file an executor reads from a path: larger ones are refused (a picture, not a video). */
    static final long MAX_BYTES = 256L << 20;

    private SparkImages() {
    }

    /**
     * {@return the picture of a row of Spark's {@code image} source}: {@code height}, {@code width},
     * {@code nChannels} (1 grey, 3 BGR, 4 BGRA) and {@code data}, row-major with interleaved channels in OpenCV's
     * order
     *
     * @param image the {@code image} struct
     * @throws InvalidInputException if its fields do not fit together
     */
    static BufferedImage picture(Row image) {
        int h = image.getAs("height");
        int w = image.getAs("width");
        int n = image.getAs("nChannels");
        byte[] data = image.getAs("data");
        if (h < 1 || w < 1 || (n != 1 && n != 3 && n != 4) || data == null || data.length != (long) h * w * n) {
            throw new InvalidInputException("image: " + w + "x" + h + " with " + n + " channels and "
                    + (data == null ? 0 : data.length) + " bytes do not fit together");
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int k = (y * w + x) * n;
                int b = data[k] & 255;
                int g = n == 1 ? b : data[k + 1] & 255;
                int r = n == 1 ? b : data[k + 2] & 255;
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    /**
     * {@return a file's bytes, read on the executor from any file system Hadoop reaches}
     *
     * @param path a path or URI
     * @throws InvalidInputException if it cannot be read, or is larger than {@link #MAX_BYTES}
     */
    static byte[] read(String path) {
        if (path == null) {
            throw new InvalidInputException("no path");
        }
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(new Configuration());
            long size = fs.getFileStatus(p).getLen();
            if (size > MAX_BYTES) {
                throw new InvalidInputException(path + ": " + size + " bytes, more than a picture's " + MAX_BYTES);
            }
            try (InputStream in = fs.open(p)) {
                return in.readNBytes((int) size);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidInputException(path + ": cannot read: " + e.getMessage());
        }
    }
}
