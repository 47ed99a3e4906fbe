package io.github.dtd4j.cli;

import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The picture of an explanation, as {@code dtd explain} writes it and {@code dtd serve} answers it. */
final class Pictures {
    /** Inputs smaller than this (in height) are enlarged for display. */
    static final int MIN_DISPLAY = 128;

    private Pictures() {
    }

    /** {@return the integer factor that enlarges a picture of this height to at least {@value #MIN_DISPLAY}} */
    static int factor(int height) {
        return height >= MIN_DISPLAY ? 1 : (MIN_DISPLAY + height - 1) / height;
    }

    /**
     * {@return the picture of an explanation: the input (for one image), the heatmap, the overlay if asked, and for one
     * sample a colour bar with the scale and a title with the class, its label and its logit}; inputs smaller than
     * {@value #MIN_DISPLAY} pixels are enlarged by an integer factor (nearest neighbour) for display
     *
     * @param r       the attribution {@code [N,C,H,W]}
     * @param picture what the model saw, or null for a tensor input
     * @param map     the colour map
     * @param s       the scaling
     * @param overlay the overlay's weight, or null for none
     * @param title   the title, or null
     * @throws CliException if the attribution is not of images, or an overlay is asked without a picture
     */
    static BufferedImage explanation(INDArray r, BufferedImage picture, ColorMap map, Heatmaps.Scale s, Double overlay,
                                     String title) {
        if (r.rank() != 4) {
            throw new CliException("a .png heatmap needs image inputs [N,C,H,W]; this model's input is "
                    + io.github.dtd4j.graph.Shape.format(r.shape()) + " (write .npy instead)");
        }
        List<BufferedImage> panels = new ArrayList<>();
        long n = r.size(0);
        for (int i = 0; i < n; i++) {
            BufferedImage heat = Heatmaps.render(r.slice(i).reshape(1, r.size(1), r.size(2), r.size(3)), map, s);
            if (picture != null && n == 1) {
                panels.add(picture);
            }
            panels.add(heat);
            if (overlay != null) {
                if (picture == null || n != 1) {
                    throw new CliException("--overlay needs an image input (.png/.jpg)");
                }
                panels.add(Heatmaps.overlay(picture, heat, overlay));
            }
        }
        int h = (int) r.size(2);
        int factor = factor(h);
        if (factor > 1) {
            panels.replaceAll(p -> Heatmaps.enlarge(p, factor));
        }
        if (n == 1) {
            panels.add(Heatmaps.colorBar(map, Heatmaps.scaleValue(r, s), h * factor));
        }
        BufferedImage out = panels.size() == 1 ? panels.get(0) : Heatmaps.panels(panels);
        return title == null ? out : Heatmaps.titled(out, title);
    }
}
