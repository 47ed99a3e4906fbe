package io.github.dtd4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** Runs {@code java -jar dtd-cli/target/dtd.jar} as a user would, for the end-to-end tests. */
final class DtdJar {
    /** What a run printed and returned. */
    record Run(int exit, String out, String err) {
    }

    private DtdJar() {
    }

    /**
     * {@return a 64×64 picture of random colours, the size the ResNet-18 fixture takes}
     *
     * @param dir  where
     * @param name its file name under dir (with folders to make)
     * @param seed of the colours
     */
    static Path png(Path dir, String name, int seed) throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, r.nextInt(0xffffff));
            }
        }
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    /**
     * {@return the run of {@code dtd ARGS}, which must finish in 240 s}
     *
     * @param dir  where its output is captured
     * @param args the arguments
     */
    static Run dtd(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("javacpp.cachedir"), "-jar",
                System.getProperty("dtd.jar", "target/dtd.jar")));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("dtd " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
