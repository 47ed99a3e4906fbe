package io.github.dtd4j.methods;

import io.github.dtd4j.Start;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One explanation method: given a batch of inputs and what to explain, an attribution for every input element (or,
 * for the CAM family, for every position of a layer, upsampled to the input). LRP/DTD and every other method of
 * dtd4j implement it, so that comparisons, metrics, pictures and the command line take any method.
 *
 * <pre>{@code
 * Attribution ig = Methods.integratedGradients(graph).withSteps(32);
 * try (Attributions a = ig.attribute(x)) {               // the top class of each batch element
 *     INDArray map = a.attribution();                    // shaped like x
 *     double[] gap = a.convergenceDelta().orElseThrow(); // Σ attribution − (f(x) − f(baseline))
 * }
 * }</pre>
 *
 * <p>Implementations are immutable and thread-safe; every {@code with} method returns a new one. They check inputs
 * as {@link io.github.dtd4j.Explainer} does (shape, NaN/Inf, class range) and throw dtd4j's exceptions.
 */
public interface Attribution {

    /** {@return the method's name as {@code dtd explain --method} spells it, e.g. "integrated-gradients"} */
    String name();

    /** {@return the settings that shape the result, for labels and reports, e.g. "steps=50, gausslegendre"} */
    String settings();

    /**
     * Attributes the classes {@code start} selects.
     *
     * @param x     {@code [N, ...inputShape]}, finite; never modified
     * @param start which classes ({@link Start#topClass()}, {@link Start#classes(int...)}); methods that can take a
     *              relevance tensor at the output accept {@link Start#relevance(INDArray)} too
     * @return the attributions
     */
    Attributions attribute(INDArray x, Start start);

    /** {@return the attribution of each batch element's top class} @param x {@code [N, ...inputShape]} */
    default Attributions attribute(INDArray x) {
        return attribute(x, Start.topClass());
    }

    /**
     * {@return the attribution of one class per batch element, or one class for all}
     *
     * @param x       {@code [N, ...inputShape]}
     * @param classes one for all, or one per element
     */
    default Attributions attribute(INDArray x, int... classes) {
        return attribute(x, Start.classes(classes));
    }
}
