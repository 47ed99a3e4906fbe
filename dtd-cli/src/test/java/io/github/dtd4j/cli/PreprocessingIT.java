package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.cli.DtdJar.Run;
import io.github.dtd4j.io.Npy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The preprocessing options of {@code dtd explain} and {@code dtd inspect}, run as a user would on the ResNet-18
 * fixture (64×64 RGB): {@code --resize} to the model's size, {@code --size}/{@code --crop}, {@code --layout nhwc}, a
 * z^B box that follows from the preprocessing (for {@code .npy} with {@code --mean}/{@code --std}), and the box that
 * {@code inspect} reports equal to the one {@code explain} uses.
 */
class PreprocessingIT {
    @TempDir
    Path dir;

    private Run dtd(String... args) throws Exception {
        return DtdJar.dtd(dir, args);
    }

    private Path picture(String name, int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(11);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt(0xffffff));
            }
        }
        Path p = dir.resolve(name);
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void imagesAreResizedOrCroppedToTheModelsInput() throws Exception {
        Path img = picture("wide.png", 100, 80);
        String model = DtdCliIT.MODEL.toString();
        Run plain = dtd("explain", "--model", model, "--input", img.toString(), "--out",
                dir.resolve("a.npy").toString(), "--preprocess", "unit");
        assertThat(plain.exit()).isNotZero();
        assertThat(plain.err()).contains("[N,3,64,64]").contains("[1,3,80,100]");
        Run resized = dtd("explain", "--model", model, "--input", img.toString(), "--out",
                dir.resolve("b.npy").toString(), "--preprocess", "unit", "--resize");
        assertThat(resized.exit()).as(resized.err()).isZero();
        assertThat(Npy.read(dir.resolve("b.npy")).shape()).containsExactly(1, 3, 64, 64);
        Run cropped = dtd("explain", "--model", model, "--input", img.toString(), "--out",
                dir.resolve("c.npy").toString(), "--preprocess", "unit", "--size", "70", "--crop", "64");
        assertThat(cropped.exit()).as(cropped.err()).isZero();
        Run both = dtd("explain", "--model", model, "--input", img.toString(), "--out",
                dir.resolve("d.npy").toString(), "--resize", "--size", "64");
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("--resize and --size");
        Run half = dtd("explain", "--model", model, "--input", img.toString(), "--out",
                dir.resolve("e.npy").toString(), "--mean", "0.5");
        assertThat(half.exit()).isNotZero();
        assertThat(half.err()).contains("--mean and --std go together");
    }

    @Test
    void nhwcTensorsAndABoxFromMeanAndStd() throws Exception {
        String model = DtdCliIT.MODEL.toString();
        INDArray nchw = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Path a = dir.resolve("nchw.npy");
        Path b = dir.resolve("nhwc.npy");
        Npy.write(nchw, a);
        Npy.write(nchw.permute(0, 2, 3, 1).dup('c'), b);
        Run ra = dtd("explain", "--model", model, "--input", a.toString(), "--out", dir.resolve("ra.npy").toString(),
                "--low", "0", "--high", "1");
        Run rb = dtd("explain", "--model", model, "--input", b.toString(), "--out", dir.resolve("rb.npy").toString(),
                "--low", "0", "--high", "1", "--layout", "nhwc");
        assertThat(ra.exit()).as(ra.err()).isZero();
        assertThat(rb.exit()).as(rb.err()).isZero();
        assertThat(Npy.read(dir.resolve("rb.npy"))).isEqualTo(Npy.read(dir.resolve("ra.npy")));

        // a .npy gets a box only from --mean/--std: pixels in [0,1] normalised, ((0 - 0.5)/0.5, (1 - 0.5)/0.5)
        Npy.write(nchw.mul(2).subi(1), a);
        Run noBox = dtd("explain", "--model", model, "--input", a.toString(), "--out",
                dir.resolve("n.npy").toString());
        assertThat(noBox.exit()).isNotZero();
        assertThat(noBox.err()).contains("--low and --high");
        Run box = dtd("explain", "--model", model, "--input", a.toString(), "--out", dir.resolve("m.npy").toString(),
                "--mean", "0.5", "--std", "0.5");
        assertThat(box.exit()).as(box.err()).isZero();
        Run given = dtd("explain", "--model", model, "--input", a.toString(), "--out",
                dir.resolve("g.npy").toString(), "--low", "-1", "--high", "1");
        assertThat(Npy.read(dir.resolve("m.npy"))).isEqualTo(Npy.read(dir.resolve("g.npy")));
        assertThat(given.exit()).isZero();
    }

    @Test
    void inspectReportsTheBoxExplainUses() throws Exception {
        String model = DtdCliIT.MODEL.toString();
        Run def = dtd("inspect", "--model", model);
        assertThat(def.exit()).as(def.err()).isZero();
        assertThat(def.out()).contains("resize 256, crop 224").containsPattern("/conv1/Conv .*zB\\[per-channel x3\\]");
        Run unit = dtd("inspect", "--model", model, "--preprocess", "unit");
        assertThat(unit.out()).containsPattern("/conv1/Conv .*rule zB\\[0.0,1.0\\]");
        Path ledger = dir.resolve("ledger.json");
        Run explain = dtd("explain", "--model", model, "--input", picture("p.png", 64, 64).toString(), "--out",
                dir.resolve("p.npy").toString(), "--preprocess", "unit", "--ledger", ledger.toString());
        assertThat(explain.exit()).as(explain.err()).isZero();
        String json = Files.readString(ledger);
        assertThat(json).containsPattern("\"node\" ?: ?\"/conv1/Conv\"[^}]*\"propagation\" ?: ?\"rule zB\\[0.0,1.0\\]\"");
    }
}
