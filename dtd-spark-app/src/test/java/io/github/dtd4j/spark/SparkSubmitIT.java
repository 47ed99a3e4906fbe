package io.github.dtd4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.io.Npy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dtd-spark-app.jar} as spark-submit runs it: the jar beside Spark's own jars (the cluster's), the master
 * given as a property, Spark's JVM flags; it explains a directory of pictures and writes Parquet and statistics.
 */
class SparkSubmitIT {
    @TempDir
    Path dir;

    /**
     * {@return a directory of the first n samples as 28×28 grey PNGs {@code p0.png}… and a {@code broken.png} that is
     * not a picture}
     */
    static Path photos(Path dir, INDArray images, int n) throws java.io.IOException {
        Path photos = Files.createDirectories(dir.resolve("photos"));
        for (int i = 0; i < n; i++) {
            BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    grey.getRaster().setSample(x, y, 0, (int) Math.round(255 * images.getDouble(i, 0, y, x)));
                }
            }
            ImageIO.write(grey, "png", photos.resolve("p" + i + ".png").toFile());
        }
        Files.writeString(photos.resolve("broken.png"), "not a picture");
        return photos;
    }

    @Test
    void theJarExplainsADirectoryBesideSparksOwnJars() throws Exception {
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray images = Npy.read(fashion.resolve("sample-images.npy"));
        Path photos = photos(dir, images, 10);
        String sparkJars = Files.readString(Path.of(System.getProperty("spark.classpath"))).strip();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "@" + System.getProperty("spark.jvm.options"), "-Dspark.master=local[2]",
                "-Dspark.ui.enabled=false", "-Dspark.driver.host=127.0.0.1",
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"),
                "-cp", System.getProperty("app.jar") + java.io.File.pathSeparator + sparkJars,
                "io.github.dtd4j.spark.DtdSparkMain", "--model", fashion.resolve("resnet.onnx").toString(),
                "--input", photos.toString(), "--out", dir.resolve("out.parquet").toString(), "--preprocess", "unit",
                "--resize", "--grayscale", "--batch", "4", "--stats", dir.resolve("stats").toString()));
        Path log = dir.resolve("log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("finished").isTrue();
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("1 rows have an error");
        assertThat(dir.resolve("out.parquet/_SUCCESS")).exists();
        try (Stream<Path> s = Files.list(dir.resolve("out.parquet"))) {
            assertThat(s.filter(f -> f.getFileName().toString().endsWith(".parquet"))).isNotEmpty();
        }
        assertThat(dir.resolve("stats/per-class.parquet/_SUCCESS")).exists();
        assertThat(dir.resolve("stats/atlas.parquet/_SUCCESS")).exists();
        // no Spark inside the jar: the cluster's is the one that runs
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(System.getProperty("app.jar"))) {
            assertThat(jar.getEntry("org/apache/spark/sql/SparkSession.class")).isNull();
            assertThat(jar.getEntry("io/github/dtd4j/spark/DtdSparkMain.class")).isNotNull();
            // DL4J's importers and HDF5's natives, for DL4J zips and Keras .h5 models on the executors
            assertThat(jar.getEntry("io/github/dtd4j/dl4j/Dl4jModels.class")).isNotNull();
            assertThat(jar.getEntry("org/bytedeco/hdf5/linux-x86_64/libjnihdf5.so")).isNotNull();
        }
    }
}
