package io.github.dtd4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The perceptually uniform maps' ends and middle, the colour bar's gradient and the title strip. */
class ColorBarTest {
    @Test
    void viridisAndCoolwarmHitTheirPublishedEndsAndMiddles() {
        // matplotlib's viridis starts at #440154 and ends at #FDE725; Moreland's cool-warm is #3B4CC0, #DDDDDD, #B40426
        assertThat(ColorMap.VIRIDIS.rgb(-1)).isEqualTo(0x440154);
        assertThat(ColorMap.VIRIDIS.rgb(1)).isEqualTo(0xFDE725);
        assertThat(ColorMap.VIRIDIS.rgb(5)).isEqualTo(0xFDE725);
        assertThat(ColorMap.COOLWARM.rgb(-1)).isEqualTo(0x3B4CC0);
        assertThat(ColorMap.COOLWARM.rgb(0)).isEqualTo(0xDDDDDD);
        assertThat(ColorMap.COOLWARM.rgb(1)).isEqualTo(0xB40426);
        // halfway between two stops: the mean of their channels
        int mid = ColorMap.COOLWARM.rgb(-0.75);
        assertThat(mid >> 16 & 255).isEqualTo(Math.round((59 + 141) / 2f));
    }

    @Test
    void theColourBarRunsFromPlusToMinusAndTheTitleSitsAbove() {
        BufferedImage bar = Heatmaps.colorBar(ColorMap.RED_BLUE, 0.5, 100);
        assertThat(bar.getHeight()).isEqualTo(100);
        assertThat(bar.getRGB(0, 0) & 0xffffff).isEqualTo(ColorMap.RED_BLUE.rgb(1));
        assertThat(bar.getRGB(0, 99) & 0xffffff).isEqualTo(ColorMap.RED_BLUE.rgb(-1));
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        BufferedImage t = Heatmaps.titled(img, "class 3 (cat), logit 1.25");
        assertThat(t.getHeight()).isGreaterThan(30);
        assertThat(t.getWidth()).isGreaterThanOrEqualTo(40);
    }
}
