package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** Runs {@code java -jar dtd.jar demo --out DIR} as a user would and checks what it wrote. */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void demoWritesTheFiguresAndTable1() throws Exception {
        Path out = dir.resolve("demo-out");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"), "-jar",
                System.getProperty("dtd.jar", "target/dtd.jar"), "demo", "--out", out.toString());
        Path log = dir.resolve("log.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("dtd demo did not finish in 120 s");
        }
        String text = Files.readString(log);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("Table 1");

        BufferedImage fig5 = ImageIO.read(out.resolve("fig5.png").toFile());
        assertThat(fig5.getWidth()).isGreaterThan(12 * 56);
        assertThat(fig5.getHeight()).isGreaterThan(4 * 28);
        for (String m : List.of("sensitivity", "taylor", "minmax", "dtd")) {
            for (String kind : List.of("scatter", "hist")) {
                Path png = out.resolve("fig6-" + kind + "-" + m + ".png");
                assertThat(png).exists();
                assertThat(ImageIO.read(png.toFile())).as(png.toString()).isNotNull();
            }
        }
        assertThat(Files.readString(out.resolve("table1.md"))).contains("| Conservative |", "| Positive |", "| Consistent |");

        JsonNode t = new ObjectMapper().readTree(Files.readString(out.resolve("table1.json")));
        assertThat(t.get("samples").asInt()).isEqualTo(64);
        JsonNode dtd = t.get("methods").get("dtd");
        assertThat(dtd.get("conservative").asBoolean()).isTrue();
        assertThat(dtd.get("positive").asBoolean()).isTrue();
        assertThat(dtd.get("consistent").asBoolean()).isTrue();
        assertThat(dtd.get("maxRelError").asDouble()).isLessThanOrEqualTo(1e-3);
        assertThat(dtd.get("minR").asDouble()).isGreaterThanOrEqualTo(0);
        JsonNode sens = t.get("methods").get("sensitivity");
        assertThat(sens.get("conservative").asBoolean()).isFalse();
        assertThat(sens.get("positive").asBoolean()).isTrue();
    }
}
