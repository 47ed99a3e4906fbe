package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The methods that cost one forward and one backward pass:
 * <ul>
 *   <li>{@code gradient}: {@code ∂f_c/∂x}, signed (Captum {@code Saliency(abs=False)});</li>
 *   <li>{@code sensitivity}: {@code (∂f_c/∂x)²}, the paper's and the tutorial's sensitivity analysis (§2.1);</li>
 *   <li>{@code gradient-input}: {@code x ⊙ ∂f_c/∂x} (Captum {@code InputXGradient});</li>
 *   <li>{@code guided-backprop}: the gradient with every ReLU passing {@code max(0, g·1[x>0])} backwards (Captum
 *   {@code GuidedBackprop});</li>
 *   <li>{@code deconvnet}: every ReLU passing {@code max(0, g)} backwards (Captum {@code Deconvolution}).</li>
 * </ul>
 * The backward pass is dtd4j's own reverse sweep (the vector-Jacobian product of every node), started from 1 at the
 * explained class; a relevance tensor at the output gives the gradient of {@code Σ_k r_k f_k}. Known failure modes:
 * gradients are noisy on deep ReLU networks (shattering) and vanish where the model saturates; guided backprop and
 * deconvnet reconstruct the image and hardly depend on the class or the upper layers' weights.
 */
public final class GradientMethod implements Attribution {
    /** The five methods. */
    public enum Kind {
        /** ∂f/∂x. */
        GRADIENT("gradient"),
        /** (∂f/∂x)². */
        SENSITIVITY("sensitivity"),
        /** x ⊙ ∂f/∂x. */
        GRADIENT_INPUT("gradient-input"),
        /** Guided backpropagation. */
        GUIDED_BACKPROP("guided-backprop"),
        /** Deconvnet. */
        DECONVNET("deconvnet");

        private final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        /** {@return the name as the command line spells it} */
        public String spelling() {
            return spelling;
        }
    }

    private final Kind kind;
    private final Graph graph;
    private final Precision precision;
    private final io.github.dtd4j.ExplanationEngine engine;
    /** Compiles once, on first use, and serves every call. */
    private final Explainer explainer;

    GradientMethod(Kind kind, Graph graph, Precision precision) {
        this(kind, graph, precision, io.github.dtd4j.ExplanationEngine.ND4J);
    }

    private GradientMethod(Kind kind, Graph graph, Precision precision, io.github.dtd4j.ExplanationEngine engine) {
        if (kind == null || graph == null || precision == null || engine == null) {
            throw new ConfigurationException("gradient methods: kind, graph, precision and engine are required");
        }
        this.kind = kind;
        this.graph = graph;
        this.precision = precision;
        this.engine = engine;
        this.explainer = Backward.explainer(graph, precision, switch (kind) {
            case GUIDED_BACKPROP -> Backward.ReluMode.GUIDED;
            case DECONVNET -> Backward.ReluMode.DECONVNET;
            default -> Backward.ReluMode.GRADIENT;
        }, true).engine(engine);
    }

    /**
     * {@return this method on another engine}: {@code ONNX_RUNTIME} compiles its backward pass into one ONNX graph
     * (the gradient as the vector-Jacobian products of the nodes, the guided and deconvnet ReLUs) and runs it on
     * ONNX Runtime (needs {@code dtd-ort}); the same gradient to float rounding
     *
     * @param e the engine
     */
    public GradientMethod withEngine(io.github.dtd4j.ExplanationEngine e) {
        return new GradientMethod(kind, graph, precision, e);
    }

    /** {@return which of the five} */
    public Kind kind() {
        return kind;
    }

    /** {@return this method in another precision} @param p float32 or float64 */
    public GradientMethod withPrecision(Precision p) {
        return new GradientMethod(kind, graph, p, engine);
    }

    @Override
    public String name() {
        return kind.spelling();
    }

    @Override
    public String settings() {
        return precision.name().toLowerCase(java.util.Locale.ROOT)
                + Backward.engineLabel(engine);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        Explanation e = Backward.run(explainer, x, start);
        INDArray g = e.inputRelevance();
        INDArray a = switch (kind) {
            case SENSITIVITY -> g.mul(g);
            case GRADIENT_INPUT -> g.mul(x.castTo(g.dataType()));
            default -> g;
        };
        return new Attributions(name(), a, e.logits(), e.targets(), Map.of(), null, null);
    }
}
