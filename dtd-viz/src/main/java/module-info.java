/** Heatmap pictures (colour maps, scaling, overlays, panels) and torchvision-equal image preprocessing. */
module io.github.dtd4j.viz {
    requires transitive io.github.dtd4j.core;
    requires transitive java.desktop;

    exports io.github.dtd4j.viz;
}
