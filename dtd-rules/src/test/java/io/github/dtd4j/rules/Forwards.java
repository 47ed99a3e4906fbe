package io.github.dtd4j.rules;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Precision;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The library's forward pass through its public API, for tests that compare it with other implementations: the
 * graph as built (BatchNorm not folded), in the input's precision.
 */
public final class Forwards {
    private Forwards() {
    }

    private static Explainer plain(Graph g, INDArray x) {
        return Explainer.of(g).precision(Precision.of(x.dataType())).batchNorm(BatchNormMode.BYPASS);
    }

    /** {@return the graph's output} @param g graph @param x input */
    public static INDArray output(Graph g, INDArray x) {
        return plain(g, x).forward(x);
    }

    /** {@return every node's output, the input under its name} @param g graph @param x input */
    public static Map<String, INDArray> run(Graph g, INDArray x) {
        return plain(g, x).activations(x);
    }

    /** {@return a convolution's output with another weight and bias} */
    public static INDArray conv(INDArray x, INDArray w, INDArray b, Conv2d c) {
        return LayerPropagation.forward(c.withWeights(w, b), List.of(x));
    }
}
