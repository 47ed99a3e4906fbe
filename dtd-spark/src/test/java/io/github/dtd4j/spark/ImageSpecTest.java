package io.github.dtd4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The executors' preprocessing takes dtd explain's steps in dtd explain's order: the ImageNet default is the
 * library's torchvision transform (which the library's tests hold against torchvision's fixtures), and each replaced
 * step is the library's step at that place; the z^B box follows the normalisation.
 */
class ImageSpecTest {
    private static BufferedImage picture() {
        BufferedImage img = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(5);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                img.setRGB(x, y, r.nextInt(0xffffff));
            }
        }
        return img;
    }

    @Test
    void theStepsAreDtdExplainsInItsOrder() {
        BufferedImage img = picture();
        Shape model = Shape.of(3, 224, 224);
        assertThat(ImageSpec.imagenet().tensor(img, model)).isEqualTo(Images.toTensor(img, Images.Preprocess.IMAGENET));
        ImageSpec custom = new ImageSpec(Images.Preprocess.UNIT, false, false, List.of(64), List.of(48, 40),
                List.of(0.5), List.of(0.25));
        assertThat(custom.tensor(img, model)).isEqualTo(Images.toTensor(Images.centreCrop(
                Images.resizeShortSide(img, 64), 40, 48), Normalization.of(new double[]{0.5, 0.5, 0.5},
                new double[]{0.25, 0.25, 0.25})));
        assertThat(custom.box()[0]).containsExactly(-2, -2, -2);
        assertThat(custom.box()[1]).containsExactly(2, 2, 2);
        ImageSpec grey = new ImageSpec(Images.Preprocess.NONE, true, true, List.of(), List.of(), List.of(), List.of());
        assertThat(grey.tensor(img, Shape.of(1, 28, 28)).shape()).containsExactly(1, 1, 28, 28);
        assertThat(grey.box()[1]).containsExactly(255);
        assertThatThrownBy(() -> new ImageSpec(Images.Preprocess.UNIT, true, false, List.of(32), List.of(), List.of(),
                List.of())).isInstanceOf(ConfigurationException.class).hasMessageContaining("resize and size");
        assertThatThrownBy(() -> new ImageSpec(Images.Preprocess.UNIT, false, false, List.of(), List.of(),
                List.of(0.5), List.of())).hasMessageContaining("mean and std");
        assertThatThrownBy(() -> new ImageSpec(Images.Preprocess.IMAGENET, false, true, List.of(), List.of(),
                List.of(), List.of())).hasMessageContaining("grey");
    }
}
