package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.cli.DtdJar.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dtd explain} on directories and its option checks, run as a user would ({@code dtd.jar}) on the ResNet-18
 * fixture (64×64, 10 classes): bad files do not stop a run, every failure is reported and makes the exit code 1, a
 * summary lists every input, outputs of {@code cat.png} and {@code cat.jpg} do not collide, subdirectories are explained
 * only when asked (and mirrored), nothing is skipped without a word, no temporary file is left, and options and labels
 * are checked before anything is written.
 */
class ExplainDirectoryIT {
    @TempDir
    Path dir;

    private Run dtd(String... args) throws Exception {
        return DtdJar.dtd(dir, args);
    }

    private Path photos() throws Exception {
        Path in = dir.resolve("photos");
        DtdJar.png(in, "cat.png", 1);
        Path jpg = in.resolve("cat.jpg");
        javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(DtdJar.png(dir, "tmp/cat2.png", 2).toFile()), "jpg",
                jpg.toFile());
        DtdJar.png(in, "dog.png", 3);
        Files.write(in.resolve("broken.png"), "not a picture".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(in.resolve("notes.txt"), "hello");
        DtdJar.png(in, "more/fox.png", 4);
        return in;
    }

    @Test
    void aBadFileDoesNotStopTheRunAndEveryInputIsSummarised() throws Exception {
        Path in = photos();
        Path out = dir.resolve("out");
        Run r = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out", out.toString(),
                "--preprocess", "unit");
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("skipped: notes.txt").contains("skipped: more/").contains("broken.png: failed")
                .contains("1 of 4 inputs failed").doesNotContain("\tat ");
        // cat.jpg and cat.png keep their extension in the output names; dog keeps its stem
        assertThat(out.resolve("cat.jpg.png")).exists();
        assertThat(out.resolve("cat.png.png")).exists();
        assertThat(out.resolve("cat.png.npy")).exists();
        assertThat(out.resolve("dog.png")).exists();
        assertThat(out.resolve("dog.npy")).exists();
        assertThat(out.resolve("more")).doesNotExist();
        List<String> csv = Files.readAllLines(out.resolve("summary.csv"));
        assertThat(csv.get(0)).isEqualTo("file,class,label,logit,relevance_sum,time,error");
        assertThat(csv).hasSize(5);
        assertThat(csv.stream().filter(l -> l.startsWith("broken.png,")).findFirst().orElseThrow())
                .matches("broken.png,,,,,[0-9.]+,.+");
        assertThat(csv.stream().filter(l -> l.startsWith("dog.png,")).findFirst().orElseThrow())
                .matches("dog.png,[0-9],,[-0-9.e+]+,[-0-9.e+]+,[0-9.]+,");
        List<String> jsonl = Files.readAllLines(out.resolve("summary.jsonl"));
        assertThat(jsonl).hasSize(4).anySatisfy(l -> assertThat(l).contains("\"file\":\"broken.png\"")
                .contains("\"class\":null").contains("\"error\":\""));
        try (Stream<Path> s = Files.walk(out)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
    }

    @Test
    void recursiveMirrorsSubdirectoriesAndFailFastStops() throws Exception {
        Path in = photos();
        Files.delete(in.resolve("broken.png"));
        Path out = dir.resolve("all");
        Run r = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out", out.toString(),
                "--preprocess", "unit", "--recursive");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(out.resolve("more/fox.png")).exists();
        assertThat(Files.readAllLines(out.resolve("summary.csv"))).hasSize(5)
                .anySatisfy(l -> assertThat(l).startsWith("more/fox.png,"));

        Files.write(in.resolve("a-broken.png"), "not a picture".getBytes(StandardCharsets.US_ASCII));
        Path stopped = dir.resolve("stopped");
        Run f = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out",
                stopped.toString(), "--preprocess", "unit", "--fail-fast");
        assertThat(f.exit()).isEqualTo(1);
        assertThat(f.err()).contains("a-broken.png").contains("--fail-fast");
        // the bad file comes first in name order: nothing after it was explained
        assertThat(stopped.resolve("dog.png")).doesNotExist();
        assertThat(Files.readAllLines(stopped.resolve("summary.csv"))).hasSize(2);
    }

    @Test
    void pictureHasATitleAColourBarAndAnEnlargedSmallInput() throws Exception {
        Path img = DtdJar.png(dir, "in/dog.png", 3);
        Path labels = dir.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", java.util.stream.IntStream.range(0, 10)
                .mapToObj(i -> "animal-" + i).toList()));
        Path out = dir.resolve("dog-heat.png");
        Run r = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                out.toString(), "--preprocess", "unit", "--colormap", "coolwarm", "--labels", labels.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("dog: class \\d \\(animal-\\d\\)");
        java.awt.image.BufferedImage p = javax.imageio.ImageIO.read(out.toFile());
        assertThat(p.getHeight()).isGreaterThan(128);
        // the colour bar holds both ends of the cool-warm map; the heatmap alone need not
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < p.getHeight(); y++) {
            for (int x = p.getWidth() * 2 / 3; x < p.getWidth(); x++) {
                colours.add(p.getRGB(x, y) & 0xffffff);
            }
        }
        assertThat(colours).contains(io.github.dtd4j.viz.ColorMap.COOLWARM.rgb(1),
                io.github.dtd4j.viz.ColorMap.COOLWARM.rgb(-1));
        // the title's text: dark pixels in the strip above the panels
        int dark = 0;
        for (int y = 0; y < p.getHeight() - 128; y++) {
            for (int x = 0; x < p.getWidth() / 2; x++) {
                dark += (p.getRGB(x, y) & 0xff) < 100 ? 1 : 0;
            }
        }
        assertThat(dark).as("title text").isPositive();
    }

    @Test
    void blurAndContoursChangeThePictureOnly() throws Exception {
        Path img = DtdJar.png(dir, "in/dog.png", 3);
        Path plain = dir.resolve("plain");
        Path styled = dir.resolve("styled");
        Files.createDirectories(plain);
        Files.createDirectories(styled);
        Run a = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                plain.toString(), "--preprocess", "unit", "--overlay", "0.5");
        Run b = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                styled.toString(), "--preprocess", "unit", "--overlay", "0.5", "--blur", "1.5", "--contour");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(b.exit()).as(b.err()).isZero();
        // the attribution is the same; only its picture changes
        assertThat(io.github.dtd4j.io.Npy.read(styled.resolve("dog.npy")))
                .isEqualTo(io.github.dtd4j.io.Npy.read(plain.resolve("dog.npy")));
        int contourRed = new java.awt.Color(230, 20, 20).getRGB() & 0xffffff;
        assertThat(count(styled.resolve("dog.png"), contourRed)).as("contour pixels").isGreaterThan(20);
        assertThat(count(plain.resolve("dog.png"), contourRed)).isZero();
        Run bad = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                dir.resolve("x.png").toString(), "--blur", "-1");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--blur");
    }

    private static int count(Path png, int rgb) throws Exception {
        java.awt.image.BufferedImage p = javax.imageio.ImageIO.read(png.toFile());
        int n = 0;
        for (int y = 0; y < p.getHeight(); y++) {
            for (int x = 0; x < p.getWidth(); x++) {
                n += (p.getRGB(x, y) & 0xffffff) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void targetsTopKAndFromAFile() throws Exception {
        Path img = DtdJar.png(dir, "in/dog.png", 3);
        Path out = dir.resolve("dog-heat.png");
        Run r = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                out.toString(), "--preprocess", "unit", "--target", "top-k:2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(dir.resolve("dog-heat.top1.png")).exists();
        assertThat(dir.resolve("dog-heat.top2.png")).exists();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("class (\\d+), logit ([-0-9.e+]+)");
        java.util.regex.Matcher m1 = p.matcher(lines.get(0));
        java.util.regex.Matcher m2 = p.matcher(lines.get(1));
        assertThat(m1.find() && m2.find()).isTrue();
        assertThat(m2.group(1)).isNotEqualTo(m1.group(1));
        assertThat(Double.parseDouble(m2.group(2))).isLessThanOrEqualTo(Double.parseDouble(m1.group(2)));
        Run top = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                dir.resolve("top.npy").toString(), "--preprocess", "unit");
        assertThat(top.out()).contains("class " + m1.group(1) + ",");

        Path in = dir.resolve("two");
        DtdJar.png(in, "a.png", 1);
        DtdJar.png(in, "b.png", 2);
        DtdJar.png(in, "c.png", 4);
        Path classes = dir.resolve("classes.csv");
        Files.writeString(classes, "# image,class\na.png,3\nb.png,7\n");
        Path outDir = dir.resolve("by-file");
        Run f = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out",
                outDir.toString(), "--preprocess", "unit", "--target", classes.toString());
        assertThat(f.exit()).isEqualTo(1);
        assertThat(f.err()).contains("c.png").contains("names no class");
        List<String> csv = Files.readAllLines(outDir.resolve("summary.csv"));
        assertThat(csv).anySatisfy(l -> assertThat(l).startsWith("a.png,3,"))
                .anySatisfy(l -> assertThat(l).startsWith("b.png,7,"));
    }

    @Test
    void aContrastIsTheDifferenceOfTheTwoClassesExplanations() throws Exception {
        // LRP's rules are linear in the relevance they start from: +f_A at A and -f_B at B gives R(A) - R(B)
        Path img = DtdJar.png(dir, "in/dog.png", 3);
        String m = DtdCliIT.MODEL.toString();
        Run c = dtd("explain", "--model", m, "--input", img.toString(), "--out", dir.resolve("c.npy").toString(),
                "--preprocess", "unit", "--contrast", "4,0");
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out()).contains("class 4 against 0, logit difference");
        Run a = dtd("explain", "--model", m, "--input", img.toString(), "--out", dir.resolve("a.npy").toString(),
                "--preprocess", "unit", "--target", "4");
        Run b = dtd("explain", "--model", m, "--input", img.toString(), "--out", dir.resolve("b.npy").toString(),
                "--preprocess", "unit", "--target", "0");
        assertThat(a.exit() + b.exit()).isZero();
        org.nd4j.linalg.api.ndarray.INDArray diff = io.github.dtd4j.io.Npy.read(dir.resolve("a.npy"))
                .sub(io.github.dtd4j.io.Npy.read(dir.resolve("b.npy")));
        org.nd4j.linalg.api.ndarray.INDArray got = io.github.dtd4j.io.Npy.read(dir.resolve("c.npy"));
        double scale = diff.amaxNumber().doubleValue();
        assertThat(got.sub(diff).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-4 * scale);

        for (String[] bad : new String[][]{{"--contrast", "4"}, {"--contrast", "3,3"},
            {"--contrast", "4,0", "--method", "gradient"}, {"--contrast", "4,0", "--target", "2"}}) {
            List<String> args = new java.util.ArrayList<>(List.of("explain", "--model", m, "--input", img.toString(),
                    "--out", dir.resolve("x.npy").toString(), "--preprocess", "unit"));
            args.addAll(List.of(bad));
            Run r = dtd(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", bad)).isNotZero();
            assertThat(r.err()).contains("--contrast");
        }
        Run range = dtd("explain", "--model", m, "--input", img.toString(), "--out", dir.resolve("y.npy").toString(),
                "--preprocess", "unit", "--contrast", "4,12");
        assertThat(range.exit()).isNotZero();
        assertThat(range.err()).contains("10 classes");
    }

    @Test
    void optionsAndLabelsAreCheckedBeforeAnythingIsWritten() throws Exception {
        Path in = photos();
        Path img = in.resolve("dog.png");
        for (String[] bad : new String[][]{{"--scale", "p200"}, {"--overlay", "2"}}) {
            Path out = dir.resolve("x-" + bad[0].substring(2) + ".png");
            List<String> args = new java.util.ArrayList<>(List.of("explain", "--model", DtdCliIT.MODEL.toString(),
                    "--input", img.toString(), "--out", out.toString(), "--preprocess", "unit"));
            args.addAll(List.of(bad));
            Run r = dtd(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", bad)).isNotZero();
            assertThat(r.err().strip()).startsWith("dtd: ").contains(bad[0]).doesNotContain("\n");
            assertThat(r.out()).isEmpty();
            assertThat(out).doesNotExist();
        }
        Run jpgOut = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                dir.resolve("x.jpg").toString(), "--preprocess", "unit");
        assertThat(jpgOut.exit()).isNotZero();
        assertThat(jpgOut.err()).contains("--out").contains("x.jpg");
        assertThat(jpgOut.out()).isEmpty();

        Run dirToFile = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", in.toString(), "--out",
                dir.resolve("heat.png").toString(), "--preprocess", "unit");
        assertThat(dirToFile.exit()).isNotZero();
        assertThat(dirToFile.err()).contains("--out must be a directory");
        assertThat(dir.resolve("heat.png")).doesNotExist();

        Run badTarget = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                dir.resolve("t.png").toString(), "--preprocess", "unit", "--target", "top-k:0");
        assertThat(badTarget.exit()).isNotZero();
        assertThat(badTarget.err()).contains("top-k:K");
        assertThat(dir.resolve("t.png")).doesNotExist();

        // ImageNet's 1000 names on a 10-class model
        Path out = dir.resolve("labelled.png");
        Run labels = dtd("explain", "--model", DtdCliIT.MODEL.toString(), "--input", img.toString(), "--out",
                out.toString(), "--preprocess", "unit", "--labels", "imagenet");
        assertThat(labels.exit()).isNotZero();
        assertThat(labels.err()).contains("names 1000 classes").contains("10 outputs");
        assertThat(out).doesNotExist();
    }
}
