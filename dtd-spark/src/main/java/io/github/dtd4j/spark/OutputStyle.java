package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.image.BufferedImage;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the rows show besides the numbers, as {@code dtd explain}'s output options: class names ({@code --labels},
 * the {@code class_name} column) and how the PNG is drawn: colour map and scale ({@code --colormap}, {@code --scale}),
 * the heatmap blended over the picture the model saw ({@code --overlay}), a display blur ({@code --blur}) and contour
 * lines at 25, 50 and 75 % of the scale ({@code --contour}). The heatmap column is never blurred.
 *
 * @param labels     one name per class, or empty
 * @param colormap   red-blue (default), white-red, viridis or coolwarm
 * @param percentile the |R| percentile that maps to full colour (100: the maximum)
 * @param overlay    the heatmap's weight over the picture in [0, 1], or null for the heatmap alone (tensor rows, which
 *                   have no picture, get the heatmap alone)
 * @param blur       the σ in pixels of a Gaussian blur of the drawn heatmap, 0 for none
 * @param contour    whether to draw contour lines
 */
public record OutputStyle(List<String> labels, String colormap, double percentile, Double overlay, double blur,
                          boolean contour) implements Serializable {
    /** Checks the values. */
    public OutputStyle {
        labels = List.copyOf(labels);
        colormap = colormap.strip().toLowerCase(Locale.ROOT);
        map(colormap);
        if (!(percentile > 0 && percentile <= 100)) {
            throw new ConfigurationException("dtd-spark: the scale percentile must be in (0, 100], got " + percentile);
        }
        if (overlay != null && !(overlay >= 0 && overlay <= 1)) {
            throw new ConfigurationException("dtd-spark: the overlay's weight must be in [0, 1], got " + overlay);
        }
        if (!(blur >= 0 && blur <= 100)) {
            throw new ConfigurationException("dtd-spark: the blur's sigma must be in [0, 100] pixels, got " + blur);
        }
    }

    /**
     * A style without overlay, blur or contours.
     *
     * @param labels     one name per class, or empty
     * @param colormap   the colour map
     * @param percentile the |R| percentile that maps to full colour
     */
    public OutputStyle(List<String> labels, String colormap, double percentile) {
        this(labels, colormap, percentile, null, 0, false);
    }

    /** {@return no labels, red-blue, scaled by max |R|, the heatmap alone} */
    public static OutputStyle defaults() {
        return new OutputStyle(List.of(), "red-blue", 100);
    }

    /** {@return a copy that blends the heatmap over the picture} @param alpha the heatmap's weight in [0, 1] */
    public OutputStyle withOverlay(double alpha) {
        return new OutputStyle(labels, colormap, percentile, alpha, blur, contour);
    }

    /** {@return a copy that blurs the drawn heatmap} @param sigma in pixels, 0 for none */
    public OutputStyle withBlur(double sigma) {
        return new OutputStyle(labels, colormap, percentile, overlay, sigma, contour);
    }

    /** {@return a copy that draws contour lines, or not} @param on whether */
    public OutputStyle withContour(boolean on) {
        return new OutputStyle(labels, colormap, percentile, overlay, blur, on);
    }

    private static ColorMap map(String name) {
        return switch (name) {
            case "red-blue" -> ColorMap.RED_BLUE;
            case "white-red" -> ColorMap.WHITE_RED;
            case "viridis" -> ColorMap.VIRIDIS;
            case "coolwarm" -> ColorMap.COOLWARM;
            default -> throw new ConfigurationException("dtd-spark: colour map '" + name
                    + "' unknown; known: red-blue, white-red, viridis, coolwarm");
        };
    }

    /** {@return whether drawing needs the picture the model saw} */
    boolean needsPicture() {
        return overlay != null;
    }

    /**
     * {@return one row's PNG picture: its heatmap (blurred if asked), blended over the picture if asked and there is
     * one, with contour lines if asked (on the overlay, else on the heatmap)}
     *
     * @param relevance {@code [1,C,H,W]}
     * @param picture   what the model saw, or null
     */
    BufferedImage draw(INDArray relevance, BufferedImage picture) {
        double[][] px = Heatmaps.pixels(relevance);
        if (blur > 0) {
            px = Heatmaps.blur(px, blur);
        }
        ColorMap m = map(colormap);
        Heatmaps.Scale scale = Heatmaps.Scale.percentile(percentile);
        BufferedImage heat = Heatmaps.render(px, m, scale);
        boolean over = overlay != null && picture != null;
        BufferedImage out = over ? Heatmaps.overlay(picture, heat, overlay) : heat;
        return contour ? Heatmaps.contourLines(out, px, Heatmaps.scaleValue(px, scale), !over) : out;
    }

    /** {@return the name of a class, or null without labels} */
    String name(int c) {
        return labels.isEmpty() || c < 0 || c >= labels.size() ? null : labels.get(c);
    }
}
