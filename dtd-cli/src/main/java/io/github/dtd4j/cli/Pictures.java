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
     * How an explanation is drawn.
     *
     * @param map     the colour map
     * @param scale   the scaling
     * @param overlay the overlay's weight, or null for no overlay panel
     * @param blur    the σ in pixels of a Gaussian blur of the heatmap (display only), 0 for none
     * @param contour whether to draw contour lines of the relevance at 25, 50 and 75 % of the scale, over the
     *                overlay (or the picture, or for a tensor input the heatmap)
     */
    record Style(ColorMap map, Heatmaps.Scale scale, Double overlay, double blur, boolean contour) {
    }

    /**
     * {@return the picture of an explanation: the input (for one image), the heatmap, the overlay if asked, and for one
     * sample a colour bar with the scale and a title with the class, its label and its logit}; inputs smaller than
     * {@value #MIN_DISPLAY} pixels are enlarged by an integer factor (nearest neighbour) for display
     *
     * @param r       the attribution {@code [N,C,H,W]}
     * @param picture what the model saw, or null for a tensor input
     * @param style   how to draw it
     * @param title   the title, or null
     * @throws CliException if the attribution is not of images, or an overlay is asked without a picture
     */
    static BufferedImage explanation(INDArray r, BufferedImage picture, Style style, String title) {
        if (r.rank() != 4) {
            throw new CliException("a .png heatmap needs image inputs [N,C,H,W]; this model's input is "
                    + io.github.dtd4j.graph.Shape.format(r.shape()) + " (write .npy instead)");
        }
        List<BufferedImage> panels = new ArrayList<>();
        long n = r.size(0);
        int h = (int) r.size(2);
        int factor = factor(h);
        double scaleValue = 0;
        for (int i = 0; i < n; i++) {
            double[][] px = map(r.slice(i).reshape(1, r.size(1), r.size(2), r.size(3)), style);
            scaleValue = Heatmaps.scaleValue(px, style.scale());
            BufferedImage heat = Heatmaps.render(px, style.map(), style.scale());
            boolean withPicture = picture != null && n == 1;
            if (style.overlay() != null && !withPicture) {
                throw new CliException("--overlay needs an image input (.png/.jpg)");
            }
            BufferedImage over = style.overlay() == null ? null : Heatmaps.overlay(picture, heat, style.overlay());
            List<BufferedImage> row = new ArrayList<>();
            if (withPicture) {
                row.add(picture);
            }
            row.add(heat);
            if (over != null) {
                row.add(over);
            }
            row.replaceAll(p -> factor > 1 ? Heatmaps.enlarge(p, factor) : p);
            if (style.contour()) {
                // on the overlay, else on the picture, else on the heatmap itself
                int k = row.size() - 1;
                if (over == null) {
                    k = withPicture ? 0 : row.size() - 1;
                }
                boolean onHeatmap = over == null && !withPicture;
                row.set(k, Heatmaps.contourLines(row.get(k), px, scaleValue, onHeatmap));
            }
            panels.addAll(row);
        }
        if (n == 1) {
            panels.add(Heatmaps.colorBar(style.map(), scaleValue, h * factor));
        }
        BufferedImage out = panels.size() == 1 ? panels.get(0) : Heatmaps.panels(panels);
        return title == null ? out : Heatmaps.titled(out, title);
    }

    /** {@return one sample's per-pixel map, blurred if the style says so} @param r {@code [1,C,H,W]} */
    static double[][] map(INDArray r, Style style) {
        double[][] px = Heatmaps.pixels(r);
        return style.blur() > 0 ? Heatmaps.blur(px, style.blur()) : px;
    }
}
