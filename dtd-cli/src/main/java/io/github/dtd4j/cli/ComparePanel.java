package io.github.dtd4j.cli;

import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The figure of {@code dtd compare}, laid out as the paper's Fig. 5: one column per input, the inputs in the first
 * row, then one row of red–blue heatmaps per method, each heatmap scaled by its own max |R|, the method's name and
 * settings to the left of its row.
 */
final class ComparePanel {
    /** Width of the label column, pixels. */
    static final int LABEL_WIDTH = 250;
    private static final int GAP = 4;
    private static final int PAD = 6;
    private static final Font NAME = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /**
     * One row of heatmaps.
     *
     * @param name     the method
     * @param settings its settings, wrapped under the name
     * @param maps     one {@code [H][W]} map per column
     */
    record Row(String name, String settings, List<double[][]> maps) {
    }

    private ComparePanel() {
    }

    /** {@return the integer zoom that makes a tile at least 56 pixels high} @param height the tile's height */
    static int zoom(int height) {
        return Math.max(1, (int) Math.ceil(56.0 / height));
    }

    /**
     * {@return the figure}
     *
     * @param headers one caption per column (e.g. the class and its score)
     * @param inputs  one picture per column, all of one size
     * @param rows    the methods
     * @param caption a line under the figure
     */
    static BufferedImage render(List<String> headers, List<BufferedImage> inputs, List<Row> rows, String caption) {
        int zoom = zoom(inputs.get(0).getHeight());
        int tw = inputs.get(0).getWidth() * zoom;
        int th = inputs.get(0).getHeight() * zoom;
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics small = pg.getFontMetrics(SMALL);
        FontMetrics name = pg.getFontMetrics(NAME);
        List<List<String>> labels = new ArrayList<>();
        List<Integer> heights = new ArrayList<>();
        heights.add(th);
        for (Row r : rows) {
            List<String> lines = wrap(r.settings(), small, LABEL_WIDTH - 2 * PAD);
            labels.add(lines);
            heights.add(Math.max(th, name.getHeight() + lines.size() * small.getHeight() + 4));
        }
        pg.dispose();
        int header = small.getHeight() + 2 * PAD;
        int w = LABEL_WIDTH + inputs.size() * (tw + GAP) + PAD;
        int h = header + heights.stream().mapToInt(i -> i + GAP).sum() + small.getHeight() + 2 * PAD;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(SMALL);
        for (int c = 0; c < headers.size(); c++) {
            g.drawString(fit(headers.get(c), small, tw), LABEL_WIDTH + c * (tw + GAP) + 2, PAD + small.getAscent());
        }
        int y = header;
        for (int r = 0; r <= rows.size(); r++) {
            int rh = heights.get(r);
            int ty = y + (rh - th) / 2;
            if (r == 0) {
                g.setFont(NAME);
                g.drawString("Input", PAD, y + rh / 2 + name.getAscent() / 2);
                for (int c = 0; c < inputs.size(); c++) {
                    g.drawImage(inputs.get(c), LABEL_WIDTH + c * (tw + GAP), ty, tw, th, null);
                }
            } else {
                Row row = rows.get(r - 1);
                List<String> lines = labels.get(r - 1);
                int textH = name.getHeight() + lines.size() * small.getHeight();
                int ly = y + Math.max(0, (rh - textH) / 2);
                g.setFont(NAME);
                g.drawString(row.name(), PAD, ly + name.getAscent());
                g.setFont(SMALL);
                g.setColor(Color.DARK_GRAY);
                for (int k = 0; k < lines.size(); k++) {
                    g.drawString(lines.get(k), PAD, ly + name.getHeight() + k * small.getHeight() + small.getAscent());
                }
                g.setColor(Color.BLACK);
                for (int c = 0; c < row.maps().size(); c++) {
                    BufferedImage tile = Heatmaps.render(row.maps().get(c), ColorMap.RED_BLUE, Heatmaps.Scale.maxAbs());
                    g.drawImage(Heatmaps.enlarge(tile, zoom), LABEL_WIDTH + c * (tw + GAP), ty, null);
                }
            }
            y += rh + GAP;
        }
        g.setFont(SMALL);
        g.setColor(Color.DARK_GRAY);
        g.drawString(caption, PAD, y + PAD + small.getAscent());
        g.dispose();
        return img;
    }

    /** {@return the text cut to a width, with an ellipsis} */
    private static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (!t.isEmpty() && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    /** {@return the text broken into lines no wider than a width, at ", " and spaces where it can} */
    static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split("(?<=[ ,])")) {
            if (line.length() > 0 && fm.stringWidth(line + word.stripTrailing()) > width) {
                lines.add(line.toString().strip());
                line.setLength(0);
            }
            line.append(word);
        }
        if (!line.toString().isBlank()) {
            lines.add(line.toString().strip());
        }
        return lines.stream().map(l -> fit(l, fm, width)).toList();
    }
}
