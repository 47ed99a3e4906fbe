package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dtd4j.Backend;
import io.github.dtd4j.Explanation;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The application, run against the published artifacts: a small torch-exported MLP (10 inputs, ReLU, softmax). */
class ExplainOnnxTest {
    private static final Path MODEL = Path.of("src/test/resources/mlp.onnx");

    private static INDArray input() {
        float[] x = new float[10];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.05f + 0.09f * i;
        }
        return Nd4j.createFromArray(x).reshape(1, 10);
    }

    @Test
    void explainsTheTopClass() {
        try (Explanation e = ExplainOnnx.explain(MODEL, input())) {
            INDArray heatmap = e.heatmap();
            assertArrayEquals(new long[]{1, 10}, heatmap.shape());

            // The explained logit, read from the model's output: the top class's score.
            INDArray logits = e.logits();
            int top = logits.argMax(1).getInt(0);
            double logit = logits.getDouble(0, top);
            assertEquals(top, e.targets()[0]);
            assertTrue(logit > 0, "the top logit is positive: " + logit);

            double sum = heatmap.sumNumber().doubleValue();
            assertEquals(logit, sum, 1e-4 * Math.abs(logit), "relevance sums to the explained logit");
            assertTrue(heatmap.minNumber().doubleValue() >= 0, "z+ relevance is never negative");
        }
        // The README's backend dependencies give ND4J's CPU build with oneDNN.
        assertTrue(Backend.isOneDnn(), Backend.describe());
    }
}
