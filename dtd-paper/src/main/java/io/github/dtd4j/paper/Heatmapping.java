package io.github.dtd4j.paper;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.TaylorDecomposition;
import io.github.dtd4j.rules.Presets;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The heatmapping methods compared in the paper's Fig. 5, 6 and Table 1, on a {@link PairNet}. Every method
 * returns the pixel relevances {@code R} ({@code [B,1568]}, float64) of a batch of inputs {@code x}.
 */
enum Heatmapping {
    /** Sensitivity analysis: {@code R = (∂f/∂x)²}, the library's {@code Methods.sensitivity} in float64. */
    SENSITIVITY("Sensitivity", "sensitivity") {
        @Override
        INDArray relevance(PairNet net, MinMaxModel minmax, INDArray x) {
            return Methods.sensitivity(net.castTo(DataType.DOUBLE).graph()).withPrecision(Precision.FLOAT64)
                    .attribute(x.castTo(DataType.DOUBLE), 0).attribution();
        }
    },
    /**
     * Simple Taylor decomposition at a nearest root (§2.2): {@code R = ∇f(x̃) ⊙ (x − x̃)}, the library's
     * {@code Methods.taylor} as {@link #taylor} sets it up: x̃ found by projecting onto the linearised level set
     * {@code f = 0.05·f(x)} again and again (each step is the shortest move that would reach it if f were linear),
     * inside the pixel box [−0.5, 1.5], until {@code f(x̃) < 0.1·f(x)} as in the paper's §6.1. Pairs with
     * {@code f(x) = 0} get no relevance.
     */
    TAYLOR("Taylor (nearest root)", "taylor") {
        @Override
        INDArray relevance(PairNet net, MinMaxModel minmax, INDArray x) {
            return taylor(net).attribute(x.castTo(DataType.DOUBLE), 0).attribution();
        }
    },
    /**
     * Deep Taylor decomposition with the min-max relevance model (§5.1) of the first layer ({@link MinMaxModel}):
     * R_j = y_j of the relevance model, then the z^B-rule over its weights; z⁺ on the top layer gives its targets.
     */
    MINMAX("Deep Taylor (min-max)", "minmax") {
        @Override
        INDArray relevance(PairNet net, MinMaxModel minmax, INDArray x) {
            if (minmax == null) {
                throw new IllegalArgumentException("the min-max method needs a fitted MinMaxModel");
            }
            return minmax.relevance(net, x);
        }
    },
    /**
     * Deep Taylor decomposition with the training-free relevance model (§5.2), through the library:
     * {@code Explainer.of(net.graph()).preset(Presets.dtd(-0.5, 1.5))}, i.e. z^B on the pixels, z⁺ above.
     */
    DTD("Deep Taylor (training-free)", "dtd") {
        @Override
        INDArray relevance(PairNet net, MinMaxModel minmax, INDArray x) {
            Explanation e = Explainer.of(net.castTo(DataType.DOUBLE).graph()).preset(Presets.dtd(-0.5, 1.5))
                    .precision(io.github.dtd4j.graph.Precision.FLOAT64).explain(x.castTo(DataType.DOUBLE), 0);
            return e.inputRelevance().castTo(DataType.DOUBLE).reshape(new long[]{x.size(0), x.size(1)});
        }
    };

    /** Steps allowed to the root search. */
    static final int ROOT_ITERATIONS = 200;

    private final String title;
    private final String id;

    Heatmapping(String title, String id) {
        this.title = title;
        this.id = id;
    }

    /** {@return the name shown in figures and tables} */
    String title() {
        return title;
    }

    /** {@return the short name used in file names} */
    String id() {
        return id;
    }

    /**
     * {@return the relevance of each pixel, {@code [B,1568]}, float64}
     *
     * @param net    the network
     * @param minmax the fitted min-max relevance model (only {@link #MINMAX} uses it)
     * @param x      inputs {@code [B,1568]}
     */
    abstract INDArray relevance(PairNet net, MinMaxModel minmax, INDArray x);

    /** {@return {@link #relevance(PairNet, MinMaxModel, INDArray)} without a min-max model} @param net net @param x inputs */
    INDArray relevance(PairNet net, INDArray x) {
        return relevance(net, null, x);
    }

    /**
     * {@return the demo's nearest-root Taylor decomposition: {@code Methods.taylor} in float64, aiming at
     * {@code 0.05·f(x)}, accepting {@code f(x̃) < 0.1·f(x)}, inside the pixel box [−0.5, 1.5], at most
     * {@link #ROOT_ITERATIONS} steps}
     *
     * @param net the network
     */
    static TaylorDecomposition taylor(PairNet net) {
        return Methods.taylor(net.castTo(DataType.DOUBLE).graph()).withPrecision(Precision.FLOAT64).withLevel(0.05)
                .withTolerance(0.1).withBox(-0.5, 1.5).withMaxSteps(ROOT_ITERATIONS);
    }
}
