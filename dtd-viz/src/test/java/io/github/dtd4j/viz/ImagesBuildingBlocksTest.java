package io.github.dtd4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.errors.InvalidInputException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The small contracts of the preprocessing building blocks; agreement with torchvision is ImagesTorchvisionTest's. */
class ImagesBuildingBlocksTest {
    @TempDir
    Path dir;

    @Test
    void normalizationIsImmutable() {
        List<Double> mean = new ArrayList<>(List.of(0.1, 0.2, 0.3));
        Normalization n = new Normalization(mean, List.of(1.0, 2.0, 4.0));
        mean.set(0, 9.0);
        assertThat(n.mean()).containsExactly(0.1, 0.2, 0.3);
        assertThatThrownBy(() -> n.mean().set(0, 9.0)).isInstanceOf(UnsupportedOperationException.class);
        n.meanArray()[0] = 9;
        n.stdArray()[0] = 9;
        assertThat(n.meanArray()).containsExactly(0.1, 0.2, 0.3);
        assertThat(n.stdArray()).containsExactly(1.0, 2.0, 4.0);
        assertThat(Normalization.IMAGENET.meanArray()).containsExactly(0.485, 0.456, 0.406);
        assertThat(Normalization.IMAGENET.stdArray()).containsExactly(0.229, 0.224, 0.225);
        assertThat(Normalization.of(new double[]{0.1, 0.2, 0.3}, new double[]{1, 2, 4})).isEqualTo(n);
    }

    @Test
    void normalizationBoundsAndChecks() {
        assertThat(Normalization.IMAGENET.normalised(0)[0]).isCloseTo(-0.485 / 0.229, within(1e-12));
        assertThat(Normalization.IMAGENET.normalised(1)[2]).isCloseTo((1 - 0.406) / 0.225, within(1e-12));
        assertThat(Normalization.unit(1).normalised(0.25)).containsExactly(0.25);
        assertThatThrownBy(() -> Normalization.of(new double[]{0.5}, new double[]{0}))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("std > 0");
        assertThatThrownBy(() -> Normalization.of(new double[]{0.5, 0.5}, new double[]{1}))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("2 and 1");
        assertThatThrownBy(() -> Images.toTensor(rgb(2, 2, 0), Normalization.unit(2)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("1 or 3 channels");
    }

    @Test
    void greyPicturesAreReadAsStoredNotThroughJavasGreyColourSpace() throws Exception {
        BufferedImage g = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(1, 0, 0, 128);
        Path png = dir.resolve("g.png");
        javax.imageio.ImageIO.write(g, "png", png.toFile());
        BufferedImage back = Images.read(png);
        // getRGB would give 188 here
        assertThat(Images.toTensor(back, Images.Preprocess.NONE).getDouble(0, 1, 0, 1)).isEqualTo(128.0);
        INDArray one = Images.toTensor(back, Normalization.unit(1));
        assertThat(one.shape()).containsExactly(1, 1, 2, 3);
        assertThat(one.getDouble(0, 0, 0, 1)).isCloseTo(128 / 255.0, within(1e-7));
    }

    @Test
    void greyscaleUsesPilsLumaAndReadsBackExactly() {
        BufferedImage img = rgb(1, 1, 0x10c080);
        // (19595*16 + 38470*192 + 7471*128 + 32768) >> 16 = 132, as PIL gives for (16, 192, 128)
        BufferedImage grey = Images.grayscale(img);
        assertThat(grey.getRGB(0, 0) & 0xffffff).isEqualTo(0x848484);
        assertThat(Images.toTensor(grey, Normalization.unit(1)).getDouble(0, 0, 0, 0)).isCloseTo(132 / 255.0, within(1e-7));
        assertThat(Images.toTensor(img, Normalization.unit(1)).getDouble(0, 0, 0, 0)).isCloseTo(132 / 255.0, within(1e-7));
    }

    @Test
    void resizeKeepsAUniformPictureUniformAndChecksSizes() {
        BufferedImage img = rgb(37, 23, 0x336699);
        for (int[] wh : new int[][]{{5, 3}, {80, 61}, {37, 7}, {1, 1}}) {
            BufferedImage r = Images.resize(img, wh[0], wh[1]);
            assertThat(r.getWidth()).isEqualTo(wh[0]);
            assertThat(r.getHeight()).isEqualTo(wh[1]);
            for (int y = 0; y < wh[1]; y++) {
                for (int x = 0; x < wh[0]; x++) {
                    assertThat(r.getRGB(x, y) & 0xffffff).isEqualTo(0x336699);
                }
            }
        }
        assertThatThrownBy(() -> Images.resize(img, 0, 4)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Images.centreCrop(img, 4, -1)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void shortSideFollowsTorchvisionTruncation() {
        // 451x300 -> int(256 * 451 / 300) = int(384.85...) = 384, not rounded to 385
        BufferedImage r = Images.resizeShortSide(rgb(451, 300, 0), 256);
        assertThat(r.getWidth()).isEqualTo(384);
        assertThat(r.getHeight()).isEqualTo(256);
        BufferedImage p = Images.resizeShortSide(rgb(300, 451, 0), 256);
        assertThat(p.getWidth()).isEqualTo(256);
        assertThat(p.getHeight()).isEqualTo(384);
    }

    @Test
    void centreCropPadsWithBlackAndRoundsHalvesToEven() {
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, 10 * y + x + 1);
            }
        }
        // as torchvision CenterCrop((6, 1)) gives: width 4 -> 1, offset 1.5 rounds to 2; height 3 -> 6, 1 row of
        // zeros above, 2 below
        BufferedImage c = Images.centreCrop(img, 1, 6);
        int[] column = new int[6];
        for (int y = 0; y < 6; y++) {
            column[y] = c.getRGB(0, y) & 0xffffff;
        }
        assertThat(column).containsExactly(0, 3, 13, 23, 0, 0);
        // width 4 -> 3: offset 0.5 rounds to 0
        assertThat(Images.centreCrop(img, 3, 3).getRGB(0, 0) & 0xffffff).isEqualTo(1);
    }

    private static BufferedImage rgb(int w, int h, int colour) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, colour);
            }
        }
        return img;
    }
}
