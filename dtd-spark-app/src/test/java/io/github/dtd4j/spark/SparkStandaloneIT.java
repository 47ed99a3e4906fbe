package io.github.dtd4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dtd-spark-app.jar} on a Spark standalone cluster: a master, a worker and the executor it launches, each its
 * own JVM, from a Spark installation made of Spark's released jars; the driver ships the jar to the executor
 * ({@code spark.jars}) and the model's bytes as a broadcast, over the network. Every explained row equals the
 * library's explanation of the same picture and class, bit for bit.
 */
class SparkStandaloneIT {
    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@return a Spark installation: the jars of Spark's distribution in jars/, and a RELEASE file} */
    private Path sparkHome() throws IOException {
        Path home = Files.createDirectories(dir.resolve("spark"));
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (String jar : Files.readString(Path.of(System.getProperty("spark.classpath"))).strip()
                .split(java.io.File.pathSeparator)) {
            Path j = Path.of(jar);
            Files.createSymbolicLink(jars.resolve(j.getFileName()), j);
        }
        Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 from its released jars, for this test\n");
        return home;
    }

    private static Process start(List<String> cmd, Path home, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        return pb.start();
    }

    private static void awaitLine(Path log, String text, Process p) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            assertThat(p.isAlive()).as(log + " ended early:\n" + (Files.exists(log) ? Files.readString(log) : ""))
                    .isTrue();
            Thread.sleep(250);
        }
        throw new AssertionError("no '" + text + "' in " + log + " after 90 s:\n" + Files.readString(log));
    }

    @Test
    void theJarExplainsOnAStandaloneClusterAsTheLibraryDoes() throws Exception {
        Path fashion = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();
        INDArray images = Npy.read(fashion.resolve("sample-images.npy"));
        int n = 12;
        Path photos = SparkSubmitIT.photos(dir, images, n);
        Path home = sparkHome();
        String options = "@" + System.getProperty("spark.jvm.options");
        String sparkJars = home.resolve("jars") + "/*";
        int port = freePort();
        String master = "spark://127.0.0.1:" + port;
        List<Process> cluster = new ArrayList<>();
        try {
            Path masterLog = dir.resolve("master.log");
            cluster.add(start(List.of(java(), "-Xmx512m", options, "-cp", sparkJars,
                    "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
                    "--webui-port", String.valueOf(freePort())), home, masterLog));
            awaitLine(masterLog, "I have been elected leader", cluster.get(0));
            Path workerLog = dir.resolve("worker.log");
            cluster.add(start(List.of(java(), "-Xmx512m", options, "-cp", sparkJars,
                    "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "3g",
                    "--webui-port", String.valueOf(freePort()), "--work-dir", dir.resolve("work").toString(), master),
                    home, workerLog));
            awaitLine(workerLog, "Successfully registered with master", cluster.get(1));

            String app = System.getProperty("app.jar");
            Path out = dir.resolve("out.parquet");
            List<String> cmd = List.of(java(), "-Xmx1g", options, "-Dspark.master=" + master,
                    "-Dspark.jars=" + app, "-Dspark.driver.host=127.0.0.1", "-Dspark.ui.enabled=false",
                    "-Dspark.executor.memory=2g", "-Dspark.cores.max=2", "-Dspark.task.maxFailures=1",
                    // Spark gives executors OMP_NUM_THREADS = spark.task.cpus (1) unless told; on some processors
                    // oneDNN rounds differently with another number of threads, so the executor gets this JVM's
                    "-Dspark.executorEnv.OMP_NUM_THREADS=" + System.getenv().getOrDefault("OMP_NUM_THREADS",
                            String.valueOf(Runtime.getRuntime().availableProcessors())),
                    "-Dspark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.cachedir="
                            + System.getProperty("javacpp.cachedir"),
                    "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"),
                    "-cp", app + java.io.File.pathSeparator + sparkJars, "io.github.dtd4j.spark.DtdSparkMain",
                    "--model", fashion.resolve("resnet.onnx").toString(), "--input", photos.toString(),
                    "--out", out.toString(), "--preprocess", "unit", "--resize", "--grayscale", "--batch", "1",
                    "--target", "top-k:2"); // batch 1: every row the library's bits (docs/spark.md)
            Path driverLog = dir.resolve("driver.log");
            Process driver = start(cmd, home, driverLog);
            boolean finished = driver.waitFor(240, TimeUnit.SECONDS);
            if (!finished) {
                driver.destroyForcibly().waitFor();
            }
            String log = Files.readString(driverLog);
            assertThat(finished).as("the driver finished:\n" + tail(log)).isTrue();
            assertThat(driver.exitValue()).as(tail(log)).isZero();
            assertThat(log).contains("1 rows have an error");
            // the tasks ran in an executor JVM the worker launched
            try (Stream<Path> s = Files.walk(dir.resolve("work"))) {
                List<Path> stderr = s.filter(f -> f.getFileName().toString().equals("stderr")).toList();
                assertThat(stderr).isNotEmpty();
                String executor = String.join("\n", stderr.stream().map(f -> {
                    try {
                        return Files.readString(f);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList());
                assertThat(executor).contains("Finished task").contains("dtd-spark-app.jar");
            }
            compare(out, photos, fashion, n);
        } finally {
            for (Process p : cluster) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The cluster's rows against the library's explanations of the same pictures, in this JVM. */
    private static void compare(Path out, Path photos, Path fashion, int n) throws IOException {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("read").config("spark.ui.enabled",
                "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            assertThat(rows).hasSize(2 * n + 1);
            Explainer local = Explainer.of(OnnxModels.load(fashion.resolve("resnet.onnx")))
                    .preset(Presets.dtd(Rules.zBox(0, 1)));
            for (Row r : rows) {
                String id = r.getAs("id");
                if (id.endsWith("broken.png")) {
                    assertThat((String) r.getAs("error")).isNotNull();
                    continue;
                }
                BufferedImage seen = Images.grayscale(Images.resize(Images.read(photos.resolve(
                        Path.of(java.net.URI.create(id)).getFileName())), 28, 28));
                INDArray x = Images.toTensor(seen, Normalization.unit(1));
                int c = r.getAs("class");
                try (Explanation e = local.explain(x, Start.classes(c))) {
                    List<Object> heat = r.getList(r.fieldIndex("heatmap"));
                    float[] got = new float[heat.size()];
                    for (int i = 0; i < got.length; i++) {
                        got[i] = (Float) heat.get(i);
                    }
                    assertThat(Arrays.equals(got, e.inputRelevance().castTo(DataType.FLOAT).dup('c').data()
                            .asFloat())).as(id + " class " + c).isTrue();
                    assertThat((Double) r.getAs("logit")).isEqualTo(e.logits().getDouble(0, c));
                    if ((Integer) r.getAs("rank") == 1) {
                        assertThat(c).isEqualTo(e.logits().argMax(1).getInt(0));
                    }
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 40), lines.length));
    }
}
