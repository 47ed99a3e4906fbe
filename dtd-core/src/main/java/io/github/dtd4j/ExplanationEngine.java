package io.github.dtd4j;

/**
 * What computes an {@link Explainer}'s explanations.
 *
 * <ul>
 *   <li>{@link #ND4J}: the reference engine, node by node on ND4J (the default; every node kind, rule, start and
 *       option; the per-layer relevances and timings).</li>
 *   <li>{@link #ONNX_RUNTIME}: the explainer compiled into one ONNX graph ({@link Explainer#toOnnx()}) and run by
 *       ONNX Runtime; needs the {@code dtd-ort} module on the class or module path. The same relevance to float
 *       rounding, the same checks of the input before it runs, and the ledger's sums (without per-node timings);
 *       it refuses, listing them, the nodes and rules it cannot compile, starts at an intermediate node, and
 *       {@code recordLayers}.</li>
 *   <li>{@link #AUTO}: ONNX Runtime where it runs the explainer, the reference engine elsewhere: ONNX Runtime when
 *       {@code dtd-ort} is present, the precision is float32 (its CPU build has no float64 convolution), the layers'
 *       relevances are not recorded and every node and rule compiles; otherwise ND4J, and
 *       {@link Explainer#engineInUse()} and {@link Explainer#engineChoice()} say which and why. ONNX Runtime is the
 *       faster of the two on every model it compiles (docs/performance.md) and agrees with the reference to float
 *       rounding (tested to 1e-5 of the largest relevance). A start at an intermediate node always runs on ND4J.</li>
 * </ul>
 */
public enum ExplanationEngine {
    /** The reference engine on ND4J. */
    ND4J,
    /** The compiled graph on ONNX Runtime ({@code dtd-ort}). */
    ONNX_RUNTIME,
    /** ONNX Runtime where it runs the explainer (dtd-ort present, float32, everything compiles), else ND4J. */
    AUTO
}
