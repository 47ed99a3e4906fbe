package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * What the rows show besides the numbers, as {@code dtd explain}'s output options: class names ({@code --labels},
 * the {@code class_name} column) and the heatmap PNG's colour map and scale ({@code --colormap}, {@code --scale}).
 *
 * @param labels     one name per class, or empty
 * @param colormap   red-blue (default), white-red, viridis or coolwarm
 * @param percentile the |R| percentile that maps to full colour (100: the maximum)
 */
public record OutputStyle(List<String> labels, String colormap, double percentile) implements Serializable {
    /** Checks the values. */
    public OutputStyle {
        labels = List.copyOf(labels);
        colormap = colormap.strip().toLowerCase(Locale.ROOT);
        map(colormap);
        if (!(percentile > 0 && percentile <= 100)) {
            throw new ConfigurationException("dtd-spark: the scale percentile must be in (0, 100], got " + percentile);
        }
    }

    /** {@return no labels, red-blue, scaled by max |R|} */
    public static OutputStyle defaults() {
        return new OutputStyle(List.of(), "red-blue", 100);
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

    ColorMap colorMap() {
        return map(colormap);
    }

    Heatmaps.Scale scale() {
        return Heatmaps.Scale.percentile(percentile);
    }

    /** {@return the name of a class, or null without labels} */
    String name(int c) {
        return labels.isEmpty() || c < 0 || c >= labels.size() ? null : labels.get(c);
    }
}
