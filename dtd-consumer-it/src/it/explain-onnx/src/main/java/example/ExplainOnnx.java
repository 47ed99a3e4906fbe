package example;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Rules;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A tiny application: explains the top class of an ONNX model for one input with z⁺. */
public final class ExplainOnnx {
    private ExplainOnnx() {
    }

    /**
     * Explains the top class of {@code x} with z⁺ on every dense and convolutional layer. The biases are left out
     * of z⁺'s denominators: this model has positive biases, which would otherwise absorb part of the relevance
     * (about half of it for the test's input), and the pixels then receive the whole logit.
     *
     * @param model an ONNX file
     * @param x     the input, {@code [1, ...inputShape]}
     * @return the explanation (close it when done)
     */
    public static Explanation explain(Path model, INDArray x) {
        Graph net = OnnxModels.load(model);
        return Explainer.of(net).rule(Rules.Z_PLUS).biasPolicy(BiasPolicy.IGNORE).explain(x);
    }

    /**
     * Prints the explained logit and the input relevance.
     *
     * @param args the ONNX file, then the input's values
     */
    public static void main(String[] args) {
        float[] values = new float[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            values[i - 1] = Float.parseFloat(args[i]);
        }
        try (Explanation e = explain(Path.of(args[0]), Nd4j.createFromArray(values).reshape(1, values.length))) {
            System.out.println("f(x) = " + e.explainedScores()[0] + ", relevance " + Arrays.toString(
                    e.inputRelevance().toDoubleVector()));
        }
    }
}
