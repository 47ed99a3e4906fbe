package io.github.dtd4j.eval;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded float64 networks and inputs, and the forward pass the loop references use. */
final class Nets {
    /** One explainer per graph (each compiles its own copy of the weights). */
    private static final Map<Graph, Explainer> FORWARDS =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    private Nets() {
    }

    static INDArray randn(long seed, long... shape) {
        Random r = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return Nd4j.randn(r, shape).castTo(DataType.DOUBLE);
    }

    /** A random CNN on 2×8×8 images: conv 3×3 (4 channels) → ReLU → max-pool 2 → dense 64→16 → ReLU → dense 16→5. */
    static Graph cnn(long seed) {
        return Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(seed, 4, 2, 3, 3).muli(0.5), randn(seed + 1, 4).muli(0.1)).withPadding(1),
                        "input")
                .add("r1", new Relu(), "c1")
                .add("p1", MaxPool2d.of(2, 2), "r1")
                .add("flat", new Flatten(), "p1")
                .add("fc1", Dense.of(randn(seed + 2, 64, 16).muli(0.3), randn(seed + 3, 16).muli(0.1)), "flat")
                .add("r2", new Relu(), "fc1")
                .add("fc2", Dense.of(randn(seed + 4, 16, 5).muli(0.5), randn(seed + 5, 5).muli(0.1)), "r2")
                .build();
    }

    /** {@return the model's logits for one image {@code [C,H,W]} as a row, float64} */
    static double[] logits(Graph g, double[] image) {
        long[] s = g.inputShape().withBatch(1);
        INDArray y = FORWARDS.computeIfAbsent(g, k -> Explainer.of(k).precision(io.github.dtd4j.graph.Precision.FLOAT64))
                .forward(Nd4j.create(image, s, 'c'));
        return y.castTo(DataType.DOUBLE).reshape(y.length()).toDoubleVector();
    }

    static int argmax(double[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[b]) {
                b = i;
            }
        }
        return b;
    }

    /** {@return image n of x as a row} */
    static double[] image(INDArray x, int n) {
        return x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(n)).dup('c').castTo(DataType.DOUBLE)
                .reshape(x.length() / x.size(0)).toDoubleVector();
    }

    /** The input itself as the "explanation": it does not depend on the model at all. */
    static Attribution inputItself() {
        return new Attribution() {
            @Override
            public String name() {
                return "input";
            }

            @Override
            public String settings() {
                return "";
            }

            @Override
            public Attributions attribute(INDArray x, Start start) {
                int n = (int) x.size(0);
                return new Attributions("input", x.dup(), Nd4j.zeros(DataType.DOUBLE, n, 1), new int[n], Map.of(),
                        null, null);
            }
        };
    }
}
