/**
 * Explanation methods on one interface: {@link io.github.dtd4j.methods.Attribution} is what every method
 * implements (LRP/DTD, the gradient family, the CAM family, DeepLIFT, occlusion, Taylor, ...), and
 * {@link io.github.dtd4j.methods.Methods} makes them. Every method works on any {@link io.github.dtd4j.graph.Graph},
 * batched, in float32 or float64, with the input checks of {@link io.github.dtd4j.Explainer}, and returns
 * {@link io.github.dtd4j.methods.Attributions}. Gradients come from dtd4j's own reverse sweep: the same engine as
 * LRP with {@link io.github.dtd4j.Propagations#gradient()} (or a modified ReLU rule) at every node.
 */
package io.github.dtd4j.methods;
