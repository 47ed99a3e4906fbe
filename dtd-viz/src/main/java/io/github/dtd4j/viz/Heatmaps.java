package io.github.dtd4j.viz;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Shape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns relevance into pictures: heatmaps summed over channels as in the paper, colour maps, symmetric scaling by
 * the largest |R| or a percentile, overlays on the input image, side-by-side panels.
 *
 * <pre>{@code
 * BufferedImage h = Heatmaps.render(e.inputRelevance(), ColorMap.RED_BLUE, Heatmaps.Scale.maxAbs());
 * Heatmaps.writePng(Heatmaps.panels(List.of(Images.toImage(x, 0, 1), h)), Path.of("out.png"));
 * }</pre>
 */
public final class Heatmaps {
    private Heatmaps() {
    }

    /**
     * How relevance is divided before colouring: symmetric around 0 so that equal |R| gets equal intensity.
     *
     * @param percentile the |R| percentile that maps to full colour (100 = the maximum)
     */
    public record Scale(double percentile) {
        /** Validates the percentile. */
        public Scale {
            if (!(percentile > 0 && percentile <= 100)) {
                throw new InvalidInputException("scale percentile must be in (0, 100], got " + percentile);
            }
        }

        /** {@return scaling by the largest |R|} */
        public static Scale maxAbs() {
            return new Scale(100);
        }

        /** {@return scaling by a percentile of |R| (robust to a few extreme pixels)} @param p e.g. 99.5 */
        public static Scale percentile(double p) {
            return new Scale(p);
        }

        double of(double[] values) {
            double[] a = Arrays.stream(values).map(Math::abs).sorted().toArray();
            if (a.length == 0) {
                return 1;
            }
            int k = (int) Math.ceil(percentile / 100.0 * a.length) - 1;
            double s = a[Math.max(0, Math.min(a.length - 1, k))];
            return s > 0 ? s : 1;
        }
    }

    /**
     * {@return the per-pixel relevance {@code [H,W]} of one sample: summed over channels for {@code [C,H,W]} or
     * {@code [1,C,H,W]}; a {@code [H,W]} map as is}
     *
     * @param relevance {@code [H,W]}, {@code [C,H,W]} or {@code [1,C,H,W]}
     */
    public static double[][] pixels(INDArray relevance) {
        INDArray r = relevance.castTo(DataType.DOUBLE);
        if (r.rank() == 4) {
            if (r.size(0) != 1) {
                throw new InvalidInputException("heatmap: one sample at a time, got " + Shape.format(r.shape()));
            }
            r = r.sum(1).reshape(r.size(2), r.size(3));
        } else if (r.rank() == 3) {
            r = r.sum(0);
        } else if (r.rank() != 2) {
            throw new InvalidInputException("heatmap: expected [H,W], [C,H,W] or [1,C,H,W], got " + Shape.format(r.shape()));
        }
        return r.toDoubleMatrix();
    }

    /**
     * {@return a heatmap image, one pixel per input pixel}
     *
     * @param relevance see {@link #pixels(INDArray)}
     * @param map       colour map
     * @param scale     scaling
     */
    public static BufferedImage render(INDArray relevance, ColorMap map, Scale scale) {
        return render(pixels(relevance), map, scale);
    }

    /**
     * {@return the |R| that a scale maps to full colour for a relevance: the value a colour bar labels}
     *
     * @param relevance see {@link #pixels(INDArray)}
     * @param scale     scaling
     */
    public static double scaleValue(INDArray relevance, Scale scale) {
        return scale.of(Arrays.stream(pixels(relevance)).flatMapToDouble(Arrays::stream).toArray());
    }

    /**
     * {@return the |R| that a scale maps to full colour for a per-pixel map (e.g. after {@link #blur})}
     *
     * @param px    [H][W]
     * @param scale scaling
     */
    public static double scaleValue(double[][] px, Scale scale) {
        return scale.of(Arrays.stream(px).flatMapToDouble(Arrays::stream).toArray());
    }

    /**
     * {@return a vertical colour bar {@code height} pixels tall: the map from +value (top) to −value (bottom), labelled
     * with both ends and 0}
     *
     * @param map    the colour map
     * @param value  the |R| of full colour
     * @param height its height in pixels
     */
    public static BufferedImage colorBar(ColorMap map, double value, int height) {
        int h = Math.max(48, height);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(16, h / 12)));
        String[] labels = {label(value), "0", label(-value)};
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(font);
        int textW = 0;
        for (String l : labels) {
            textW = Math.max(textW, pg.getFontMetrics().stringWidth(l));
        }
        int ascent = pg.getFontMetrics().getAscent();
        pg.dispose();
        int barW = Math.max(8, h / 16);
        BufferedImage out = new BufferedImage(barW + 6 + textW + 2, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), h);
        for (int y = 0; y < h; y++) {
            double v = 1 - 2.0 * y / (h - 1);
            g.setColor(new Color(map.rgb(v)));
            g.drawLine(0, y, barW - 1, y);
        }
        g.setColor(Color.BLACK);
        g.setFont(font);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.drawString(labels[0], barW + 4, ascent);
        g.drawString(labels[1], barW + 4, h / 2 + ascent / 2);
        g.drawString(labels[2], barW + 4, h - 2);
        g.dispose();
        return out;
    }

    private static String label(double v) {
        return String.format(java.util.Locale.ROOT, "%.3g", v);
    }

    /**
     * {@return the image under a title line}
     *
     * @param img   the picture
     * @param title one line of text (a class label and score)
     */
    public static BufferedImage titled(BufferedImage img, String title) {
        int size = Math.max(11, Math.min(18, img.getHeight() / 14));
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, size);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(font);
        int textW = pg.getFontMetrics().stringWidth(title);
        int lineH = pg.getFontMetrics().getHeight();
        int ascent = pg.getFontMetrics().getAscent();
        pg.dispose();
        BufferedImage out = new BufferedImage(Math.max(img.getWidth(), textW + 8), img.getHeight() + lineH + 4,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(font);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.drawString(title, 4, 2 + ascent);
        g.drawImage(img, 0, lineH + 4, null);
        g.dispose();
        return out;
    }

    /** {@return a heatmap image of a per-pixel map} @param px [H][W] @param map colours @param scale scaling */
    public static BufferedImage render(double[][] px, ColorMap map, Scale scale) {
        int h = px.length;
        int w = px[0].length;
        double s = scale.of(Arrays.stream(px).flatMapToDouble(Arrays::stream).toArray());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, map.rgb(px[y][x] / s));
            }
        }
        return img;
    }

    /**
     * {@return the heatmap blended over the image: {@code alpha·heat + (1−alpha)·grey(image)}}
     *
     * @param image   the input picture
     * @param heatmap same size
     * @param alpha   weight of the heatmap in [0, 1]
     */
    public static BufferedImage overlay(BufferedImage image, BufferedImage heatmap, double alpha) {
        if (image.getWidth() != heatmap.getWidth() || image.getHeight() != heatmap.getHeight()) {
            throw new InvalidInputException("overlay: image " + image.getWidth() + "x" + image.getHeight()
                    + " and heatmap " + heatmap.getWidth() + "x" + heatmap.getHeight() + " differ in size");
        }
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int grey = (int) (0.299 * (p >> 16 & 255) + 0.587 * (p >> 8 & 255) + 0.114 * (p & 255));
                int q = heatmap.getRGB(x, y);
                int r = (int) Math.round(alpha * (q >> 16 & 255) + (1 - alpha) * grey);
                int g = (int) Math.round(alpha * (q >> 8 & 255) + (1 - alpha) * grey);
                int b = (int) Math.round(alpha * (q & 255) + (1 - alpha) * grey);
                out.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return out;
    }

    /**
     * {@return the map smoothed by a Gaussian of standard deviation {@code sigma} pixels}, for display: separable,
     * the kernel cut at 3σ and renormalised where it leaves the map (edges are not darkened), so a constant map stays
     * constant and the sum of a map away from the edges is kept
     *
     * @param px    [H][W], not modified
     * @param sigma in pixels; 0 returns a copy
     */
    public static double[][] blur(double[][] px, double sigma) {
        if (!(sigma >= 0) || Double.isInfinite(sigma)) {
            throw new InvalidInputException("blur: sigma must be finite and >= 0, got " + sigma);
        }
        int h = px.length;
        int w = px[0].length;
        double[][] copy = new double[h][];
        for (int y = 0; y < h; y++) {
            copy[y] = px[y].clone();
        }
        if (sigma == 0) {
            return copy;
        }
        int radius = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * radius + 1];
        for (int d = -radius; d <= radius; d++) {
            k[d + radius] = Math.exp(-0.5 * d * d / (sigma * sigma));
        }
        double[][] rows = new double[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sum = 0;
                double weight = 0;
                for (int d = Math.max(-radius, -x); d <= Math.min(radius, w - 1 - x); d++) {
                    sum += k[d + radius] * copy[y][x + d];
                    weight += k[d + radius];
                }
                rows[y][x] = sum / weight;
            }
        }
        double[][] out = new double[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sum = 0;
                double weight = 0;
                for (int d = Math.max(-radius, -y); d <= Math.min(radius, h - 1 - y); d++) {
                    sum += k[d + radius] * rows[y + d][x];
                    weight += k[d + radius];
                }
                out[y][x] = sum / weight;
            }
        }
        return out;
    }

    /**
     * {@return the panel with contour lines at 25, 50 and 75 % of the colour scale, as dtd explain's {@code --contour}
     * draws them: dark grey on a heatmap; on a picture or an overlay, red for positive and blue for negative
     * relevance}
     *
     * @param panel      what to draw on (not modified), the map's size times an integer factor
     * @param px         [H][W]
     * @param scaleValue the value of full colour ({@link #scaleValue(double[][], Scale)})
     * @param onHeatmap  whether the panel is the heatmap itself
     */
    public static BufferedImage contourLines(BufferedImage panel, double[][] px, double scaleValue,
                                             boolean onHeatmap) {
        double[] levels = {0.25 * scaleValue, 0.5 * scaleValue, 0.75 * scaleValue};
        return onHeatmap ? contours(panel, px, levels, new Color(40, 40, 40), new Color(40, 40, 40))
                : contours(panel, px, levels, new Color(230, 20, 20), new Color(30, 90, 255));
    }

    /**
     * {@return the picture with contour lines of a map drawn on it}: for each level, the pixels whose value reaches it
     * while a 4-neighbour's does not (the inner edge of the region above the level), in the level's colour — positive
     * levels of positive relevance, and with {@code negative} also the mirrored levels of negative relevance
     *
     * @param picture  what to draw on (not modified), the map's size times an integer factor
     * @param px       [H][W]
     * @param levels   values, e.g. 0.25, 0.5, 0.75 of the colour scale
     * @param positive the lines' colour for positive relevance
     * @param negative the lines' colour for negative relevance, or null to draw none
     */
    public static BufferedImage contours(BufferedImage picture, double[][] px, double[] levels, Color positive,
                                         Color negative) {
        int h = px.length;
        int w = px[0].length;
        if (picture.getWidth() % w != 0 || picture.getHeight() % h != 0
                || picture.getWidth() / w != picture.getHeight() / h) {
            throw new InvalidInputException("contours: the picture " + picture.getWidth() + "x" + picture.getHeight()
                    + " is not the map " + w + "x" + h + " enlarged by an integer factor");
        }
        int f = picture.getWidth() / w;
        BufferedImage out = new BufferedImage(picture.getWidth(), picture.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(picture, 0, 0, null);
        g.dispose();
        for (int sign : negative == null ? new int[]{1} : new int[]{1, -1}) {
            int rgb = (sign > 0 ? positive : negative).getRGB();
            for (double level : levels) {
                for (int y = 0; y < h * f; y++) {
                    for (int x = 0; x < w * f; x++) {
                        // the map at display resolution (nearest), so lines are one display pixel wide
                        if (above(px, x / f, y / f, sign, level) && (!above(px, (x - 1) / f, y / f, sign, level, x == 0)
                                || !above(px, (x + 1) / f, y / f, sign, level, x == w * f - 1)
                                || !above(px, x / f, (y - 1) / f, sign, level, y == 0)
                                || !above(px, x / f, (y + 1) / f, sign, level, y == h * f - 1))) {
                            out.setRGB(x, y, rgb);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static boolean above(double[][] px, int x, int y, int sign, double level) {
        return sign * px[y][x] >= level;
    }

    /** The same, with outside the map counted as above (no line along the picture's border). */
    private static boolean above(double[][] px, int x, int y, int sign, double level, boolean outside) {
        return outside || above(px, x, y, sign, level);
    }

    /** {@return the images side by side, scaled to the tallest's height, with a white gap} @param images panels */
    public static BufferedImage panels(List<BufferedImage> images) {
        int h = images.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        int gap = Math.max(2, h / 32);
        int w = 0;
        for (BufferedImage i : images) {
            w += (int) Math.round(i.getWidth() * (double) h / i.getHeight()) + gap;
        }
        BufferedImage out = new BufferedImage(Math.max(1, w - gap), h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), h);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        int x = 0;
        for (BufferedImage i : images) {
            int iw = (int) Math.round(i.getWidth() * (double) h / i.getHeight());
            g.drawImage(i, x, 0, iw, h, null);
            x += iw + gap;
        }
        g.dispose();
        return out;
    }

    /** {@return the image enlarged by an integer factor, pixels kept square} @param img image @param factor ≥ 1 */
    public static BufferedImage enlarge(BufferedImage img, int factor) {
        BufferedImage out = new BufferedImage(img.getWidth() * factor, img.getHeight() * factor, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                out.setRGB(x, y, img.getRGB(x / factor, y / factor));
            }
        }
        return out;
    }

    /** Writes a PNG. @param img image @param path where */
    public static void writePng(BufferedImage img, Path path) {
        try {
            if (!ImageIO.write(img, "png", path.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write PNG", e);
        }
    }
}
