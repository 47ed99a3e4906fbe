package io.github.dtd4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The line charts of {@code dtd evaluate}, drawn with XChart as the demo's (one line per method). */
final class EvaluateCharts {
    /**
     * One line.
     *
     * @param name     the legend's label
     * @param y        the values, at x = 0, 1, 2, ...
     * @param baseline drawn black and dashed (the random order)
     */
    record Line(String name, double[] y, boolean baseline) {
    }

    /** 20 colours that tell 16 lines apart (Tableau's 20, dark then light). */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
        new Color(0xaec7e8), new Color(0xffbb78), new Color(0x98df8a), new Color(0xff9896), new Color(0xc5b0d5),
        new Color(0xc49c94), new Color(0xf7b6d2), new Color(0xdbdb8d), new Color(0x9edae5), new Color(0x393b79)};

    private EvaluateCharts() {
    }

    /**
     * Draws lines over x = 0..len−1 and writes the chart as a PNG.
     *
     * @param path    the .png
     * @param title   the chart's title
     * @param xTitle  the x axis
     * @param yTitle  the y axis
     * @param lines   the lines, in legend order
     * @param xLabels a label per integer x (e.g. the layer destroyed), or null for the numbers
     */
    static void write(Path path, String title, String xTitle, String yTitle, List<Line> lines,
                      Function<Double, String> xLabels) {
        XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle)
                .build();
        Styler s = c.getStyler();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        c.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        c.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
        c.getStyler().setXAxisDecimalPattern("#");
        s.setAntiAlias(true);
        if (xLabels != null) {
            c.setCustomXAxisTickLabelsFormatter(xLabels);
            c.getStyler().setXAxisLabelRotation(45);
        }
        int k = 0;
        boolean markers = lines.stream().mapToInt(l -> l.y().length).max().orElse(0) <= 25;
        for (Line l : lines) {
            double[] x = new double[l.y().length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
            }
            XYSeries series = c.addSeries(l.name(), x, finite(l.y()));
            if (l.baseline()) {
                series.setLineColor(Color.BLACK);
                series.setLineStyle(new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
                        new float[]{8, 5}, 0));
                series.setMarker(SeriesMarkers.NONE);
            } else {
                Color colour = PALETTE[k++ % PALETTE.length];
                series.setLineColor(colour);
                series.setLineStyle(new BasicStroke(1.8f));
                series.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
                series.setMarkerColor(colour);
            }
        }
        c.getStyler().setMarkerSize(5);
        try {
            BitmapEncoder.saveBitmap(c, path.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write", e);
        }
    }

    /** {@return the values with NaN and infinities replaced by 0 (XChart cannot scale its axes to them)} */
    private static double[] finite(double[] v) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            if (!Double.isFinite(out[i])) {
                out[i] = 0;
            }
        }
        return out;
    }
}
