package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.io.Npy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dtd explain --batch} gives what explaining one input at a time gives, and a run killed midway leaves only
 * whole files, on the ResNet-18 fixture (64×64, 10 classes), through {@code dtd.jar}.
 */
class ExplainBatchIT {
    @TempDir
    Path dir;

    private Path pictures(String name, int count) throws Exception {
        Path in = dir.resolve(name);
        for (int i = 0; i < count; i++) {
            DtdJar.png(in, String.format("img-%02d.png", i), 100 + i);
        }
        return in;
    }

    @Test
    void batchesGiveWhatOneAtATimeGives() throws Exception {
        Path in = pictures("in", 7);
        Files.write(in.resolve("img-03-broken.png"), "not a picture".getBytes(StandardCharsets.US_ASCII));
        Path targets = dir.resolve("targets.csv");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            lines.add(String.format("img-%02d.png,%d", i, i % 10));
        }
        lines.add("img-03-broken.png,1");
        Files.write(targets, lines);
        for (String[] variant : new String[][]{{"--method", "lrp"}, {"--method", "gradient", "--target",
                targets.toString()}}) {
            Path one = dir.resolve("one-" + variant[1]);
            Path batched = dir.resolve("batched-" + variant[1]);
            List<String> base = new ArrayList<>(List.of("explain", "--model", DtdCliIT.MODEL.toString(), "--input",
                    in.toString(), "--preprocess", "unit"));
            base.addAll(List.of(variant));
            List<String> a = new ArrayList<>(base);
            a.addAll(List.of("--out", one.toString()));
            List<String> b = new ArrayList<>(base);
            b.addAll(List.of("--out", batched.toString(), "--batch", "3"));
            Run r1 = DtdJar.dtd(dir, a.toArray(String[]::new));
            Run r2 = DtdJar.dtd(dir, b.toArray(String[]::new));
            // the broken picture fails alone, in both
            assertThat(r1.exit()).as(r1.err()).isEqualTo(1);
            assertThat(r2.exit()).as(r2.err()).isEqualTo(1);
            assertThat(r2.err()).contains("img-03-broken.png: failed").contains("1 of 8 inputs failed");
            assertThat(stripTimes(r2.out())).isEqualTo(stripTimes(r1.out()));
            for (int i = 0; i < 7; i++) {
                String n = String.format("img-%02d.npy", i);
                INDArray x = Npy.read(one.resolve(n)).castTo(DataType.DOUBLE);
                INDArray y = Npy.read(batched.resolve(n)).castTo(DataType.DOUBLE);
                assertThat(y.sub(x).amaxNumber().doubleValue()).as(variant[1] + " " + n)
                        .isLessThanOrEqualTo(1e-5 * x.amaxNumber().doubleValue());
            }
            List<String> s1 = Files.readAllLines(one.resolve("summary.csv"));
            List<String> s2 = Files.readAllLines(batched.resolve("summary.csv"));
            assertThat(s2).hasSameSizeAs(s1);
            for (int i = 0; i < s1.size(); i++) {
                // file, class, label agree; the logits and sums to float rounding (compared above through the .npy)
                assertThat(String.join(",", List.of(s2.get(i).split(",", -1)).subList(0, 3)))
                        .isEqualTo(String.join(",", List.of(s1.get(i).split(",", -1)).subList(0, 3)));
            }
        }
        Run bad = DtdJar.dtd(dir, "explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out",
                dir.resolve("x").toString(), "--batch", "2", "--target", "top-k:2");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--batch").contains("top-k");
        Run zero = DtdJar.dtd(dir, "explain", "--model", DtdCliIT.MODEL.toString(), "--input",
                in.resolve("img-00.png").toString(), "--out", dir.resolve("y.png").toString(), "--batch", "2");
        assertThat(zero.exit()).isNotZero();
        assertThat(zero.err()).contains("--batch needs a directory");
    }

    /** {@return the printed lines with their numbers cut to 4 significant digits: batching changes float rounding} */
    private static String stripTimes(String out) {
        return java.util.regex.Pattern.compile("(-?\\d\\.\\d{3})\\d*(e[-+]\\d+)?").matcher(out).replaceAll("$1$2");
    }

    @Test
    void aRunKilledMidwayLeavesOnlyWholeFiles() throws Exception {
        Path in = pictures("many", 60);
        for (boolean hard : new boolean[]{false, true}) {
            Path out = dir.resolve(hard ? "killed-hard" : "killed");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx2g", "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"),
                    "-jar", System.getProperty("dtd.jar", "target/dtd.jar"), "explain", "--model",
                    DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out", out.toString(), "--preprocess",
                    "unit"));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (count(out, ".npy") < 5 && System.nanoTime() < end && p.isAlive()) {
                Thread.sleep(5);
            }
            assertThat(p.isAlive()).as("the run is still going when it is killed").isTrue();
            if (hard) {
                p.destroyForcibly();
            } else {
                p.destroy();
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            int npy = count(out, ".npy");
            int png = count(out, ".png");
            assertThat(npy).isBetween(5, 59);
            try (Stream<Path> s = Files.list(out)) {
                for (Path f : s.toList()) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".npy")) {
                        assertThat(Npy.read(f).shape()).as(n).containsExactly(1, 3, 64, 64);
                    } else if (n.endsWith(".png")) {
                        assertThat(ImageIO.read(f.toFile())).as(n).isNotNull();
                    } else if (hard) {
                        // SIGKILL leaves no chance to clean up: at most the one hidden temporary file being written
                        assertThat(n).startsWith(".").endsWith(".part");
                    } else {
                        throw new AssertionError("a stopped run left " + n);
                    }
                }
            }
            assertThat(png).isBetween(npy - 1, npy);
        }
    }

    private static int count(Path dir, String suffix) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return (int) s.filter(f -> f.getFileName().toString().endsWith(suffix)
                    && !f.getFileName().toString().startsWith(".")).count();
        }
    }
}
