package io.github.dtd4j.methods;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.Rule;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reverse sweep of the gradient family: dtd4j's engine with {@link Propagations#gradient()} at every node (the
 * vector-Jacobian product), optionally a modified ReLU rule, started from 1 at the explained class. A method that
 * reads or starts at inner nodes (the CAM family, Taylor's root search) keeps BatchNorm in the graph, so that every
 * node's output is the one the model computes; a method that needs only the gradient at the input folds it into the
 * convolution before it, which changes no input gradient (the folded graph computes the same function) and saves the
 * BatchNorm's forward and backward passes.
 */
final class Backward {
    private Backward() {
    }

    /** How ReLUs pass the backward signal. */
    enum ReluMode {
        /** The true gradient: {@code g · 1[x > 0]}. */
        GRADIENT,
        /** Guided backpropagation: {@code max(0, g · 1[x > 0])} (Captum's {@code GuidedBackprop}). */
        GUIDED,
        /** Deconvnet: {@code max(0, g)}, whatever the forward input (Captum's {@code Deconvolution}). */
        DECONVNET
    }

    /** {@return an explainer whose sweep computes the backward signal, BatchNorm kept} @param g graph @param p precision @param relu mode */
    /** {@return what a method's settings add for its engine: nothing for ND4J, else its name} @param e the engine */
    static String engineLabel(io.github.dtd4j.ExplanationEngine e) {
        return switch (e) {
            case ND4J -> "";
            case ONNX_RUNTIME -> ", onnxruntime";
            case AUTO -> ""; // ONNX Runtime or ND4J as the explainer compiles: the same numbers to float rounding
        };
    }

    static Explainer explainer(Graph g, Precision p, ReluMode relu) {
        return explainer(g, p, relu, false);
    }

    /**
     * {@return an explainer whose sweep computes the backward signal}
     *
     * @param g    graph
     * @param p    precision
     * @param relu mode
     * @param fold fold BatchNorm into the layer before it (only for methods that use the input gradient alone)
     */
    static Explainer explainer(Graph g, Precision p, ReluMode relu, boolean fold) {
        if (g == null) {
            throw new ConfigurationException("the graph is null");
        }
        Explainer ex = Explainer.of(g).precision(p == null ? Precision.FLOAT32 : p)
                .batchNorm(fold ? BatchNormMode.FOLD : BatchNormMode.BYPASS).rule(Propagations.gradient());
        return relu == ReluMode.GRADIENT ? ex : ex.rule(Selector.kind(Relu.class), new ModifiedRelu(relu));
    }

    /**
     * {@return the start turned into a unit start: 1 at the explained class instead of its logit; tensors as given}
     *
     * @param start what the caller asked for
     */
    static Start unit(Start start) {
        if (start == null) {
            throw new ConfigurationException("the start is null");
        }
        if (start instanceof Start.TopClass) {
            return Start.oneHot();
        } else if (start instanceof Start.Classes c) {
            return Start.oneHot(c.classes());
        }
        return start;
    }

    /** {@return the backward signal at the input for {@code x}} @param ex from {@link #explainer} */
    static Explanation run(Explainer ex, INDArray x, Start start) {
        return ex.explain(x, unit(start));
    }

    /** A modified ReLU backward: guided backpropagation or deconvnet. */
    record ModifiedRelu(ReluMode mode) implements Rule {
        @Override
        public String name() {
            return mode == ReluMode.GUIDED ? "guided relu" : "deconvnet relu";
        }

        @Override
        public boolean accepts(Layer layer) {
            return layer instanceof Relu;
        }

        @Override
        public boolean usesOutput() {
            return false;
        }

        @Override
        public java.util.Optional<List<io.github.dtd4j.spi.Symbol>> compile(
                io.github.dtd4j.spi.SymbolicNodeContext ctx) {
            io.github.dtd4j.spi.OnnxOps ops = ctx.ops();
            io.github.dtd4j.spi.Symbol positive = ops.positive(ctx.relevance());
            if (mode == ReluMode.DECONVNET) {
                return java.util.Optional.of(List.of(positive));
            }
            // max(0, g) where x > 0 (relu_bp's x > 0): 1 − [−x ≥ 0]
            io.github.dtd4j.spi.Symbol x = ctx.inputs().get(0);
            io.github.dtd4j.spi.Symbol open = ops.sub(ops.scalar(1), ops.nonNegativeMask(ops.mul(x, -1)));
            return java.util.Optional.of(List.of(ops.mul(positive, open)));
        }

        @Override
        public List<INDArray> propagate(NodeContext ctx) {
            INDArray g = ctx.relevance();
            if (mode == ReluMode.DECONVNET) {
                return List.of(Transforms.relu(g, true));
            }
            // max(0, g · 1[x > 0]) = 1[x > 0] · max(0, g): two passes (libnd4j's relu_bp is x > 0 ? s : 0)
            INDArray x = ctx.inputs().get(0);
            INDArray positive = Transforms.relu(g, true);
            return List.of(Nd4j.exec(DynamicCustomOp.builder("relu_bp")
                    .addInputs(x.dataType() == g.dataType() ? x : x.castTo(g.dataType()), positive).build())[0]);
        }
    }
}
