package io.github.dtd4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.errors.InvalidInputException;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class VizTest {
    @TempDir
    Path dir;

    @Test
    void colourMapsHitTheirEndpoints() {
        assertThat(ColorMap.RED_BLUE.rgb(1)).isEqualTo(0xff0000);
        assertThat(ColorMap.RED_BLUE.rgb(-1)).isEqualTo(0x0000ff);
        assertThat(ColorMap.RED_BLUE.rgb(0)).isEqualTo(0xffffff);
        assertThat(ColorMap.WHITE_RED.rgb(0)).isEqualTo(0xffffff);
        assertThat(ColorMap.WHITE_RED.rgb(-0.7)).isEqualTo(0xffffff);
        assertThat(ColorMap.WHITE_RED.rgb(1)).isEqualTo(0x8c0000);
        assertThat(ColorMap.GRAY.rgb(-1)).isEqualTo(0);
        assertThat(ColorMap.RED_BLUE.rgb(7)).isEqualTo(0xff0000);
    }

    @Test
    void heatmapSumsChannelsAndScalesSymmetrically() {
        // channel sums: [[2, -4], [1, 0]]; max |R| = 4
        INDArray r = Nd4j.create(new double[]{1, -3, 0.5, 0, 1, -1, 0.5, 0}, new long[]{1, 2, 2, 2}, 'c');
        double[][] px = Heatmaps.pixels(r);
        assertThat(px[0][0]).isEqualTo(2);
        assertThat(px[0][1]).isEqualTo(-4);
        assertThat(px[1][0]).isEqualTo(1);
        BufferedImage img = Heatmaps.render(r, ColorMap.RED_BLUE, Heatmaps.Scale.maxAbs());
        assertThat(img.getRGB(1, 0) & 0xffffff).isEqualTo(0x0000ff);
        assertThat(img.getRGB(0, 0) & 0xffffff).isEqualTo(ColorMap.RED_BLUE.rgb(0.5));
        // the 50th percentile of |R| = {2, 4, 1, 0} is 1: 2 saturates
        BufferedImage p = Heatmaps.render(px, ColorMap.RED_BLUE, Heatmaps.Scale.percentile(50));
        assertThat(p.getRGB(0, 0) & 0xffffff).isEqualTo(0xff0000);
    }

    @Test
    void overlaysPanelsAndPng() {
        BufferedImage a = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        BufferedImage h = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        h.setRGB(0, 0, 0xff0000);
        BufferedImage o = Heatmaps.overlay(a, h, 0.5);
        assertThat(o.getRGB(0, 0) & 0xffffff).isEqualTo(0x800000);
        assertThatThrownBy(() -> Heatmaps.overlay(a, new BufferedImage(3, 4, BufferedImage.TYPE_INT_RGB), 0.5))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("differ");
        BufferedImage panel = Heatmaps.panels(List.of(a, Heatmaps.enlarge(h, 2)));
        assertThat(panel.getHeight()).isEqualTo(8);
        assertThat(panel.getWidth()).isEqualTo(8 + 2 + 8);
        Path png = dir.resolve("p.png");
        Heatmaps.writePng(panel, png);
        assertThat(Images.read(png).getWidth()).isEqualTo(18);
    }

    @Test
    void imagenetPreprocessingResizesCropsAndNormalises() {
        BufferedImage img = new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(new Color(255, 128, 0));
        g.fillRect(0, 0, 400, 300);
        g.dispose();
        INDArray x = Images.toTensor(img, Images.Preprocess.IMAGENET);
        assertThat(x.shape()).containsExactly(1, 3, 224, 224);
        assertThat(x.getDouble(0, 0, 100, 100)).isCloseTo((1.0 - 0.485) / 0.229, within(1e-5));
        assertThat(x.getDouble(0, 1, 100, 100)).isCloseTo((128 / 255.0 - 0.456) / 0.224, within(1e-5));
        assertThat(x.getDouble(0, 2, 100, 100)).isCloseTo((0 - 0.406) / 0.225, within(1e-5));
        INDArray u = Images.toTensor(img, Images.Preprocess.UNIT);
        assertThat(u.shape()).containsExactly(1, 3, 300, 400);
        assertThat(u.getDouble(0, 1, 0, 0)).isCloseTo(128 / 255.0, within(1e-6));
        assertThat(Images.toTensor(img, Images.Preprocess.NONE).getDouble(0, 0, 0, 0)).isEqualTo(255.0);
        BufferedImage back = Images.toImage(u, 0, 1);
        assertThat(back.getRGB(5, 5) & 0xffffff).isEqualTo(0xff8000);
    }

    @Test
    void unreadableImageIsOurException() throws Exception {
        Path junk = dir.resolve("junk.png");
        java.nio.file.Files.writeString(junk, "not an image");
        assertThatThrownBy(() -> Images.read(junk)).isInstanceOf(InvalidInputException.class).hasMessageContaining("junk.png");
    }
}
