/** Pictures: heatmaps from relevance, colour maps, overlays and panels; images to input tensors. */
package io.github.dtd4j.viz;
