package io.github.dtd4j.ort;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The compiled explanation graphs whose results a second evaluator fixes ({@code scripts/compiled-fixtures.sh}):
 * this class writes each explainer's ONNX model and its inputs; {@code scripts/compiled_reference.py} checks the
 * model with onnx.checker and evaluates it without ONNX Runtime.
 */
final class CompiledFixtures {
    private CompiledFixtures() {
    }

    /** {@return the fixtures' explainers, by name} */
    static Map<String, Explainer> explainers() {
        Map<String, Explainer> m = new LinkedHashMap<>();
        Graph cnn = OrtExplainerTest.cnn(7);
        m.put("cnn-dtd", Explainer.of(cnn).preset(Presets.dtd(Rules.zBox(-1, 2))));
        m.put("cnn-epsilon-alphabeta", Explainer.of(cnn).preset(Presets.epsilonAlphaBeta(Rules.zBox(-1, 2), 0.25))
                .maxPool(MaxPoolMode.PROPORTIONAL).sumSplit(SumSplit.POSITIVE));
        m.put("cnn-gamma-wta", Explainer.of(cnn).rule(Rules.gamma(0.25))
                .rule(io.github.dtd4j.Selector.first(), Rules.W_SQUARE));
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(13);
        Graph mlp = Graph.builder(Shape.of(6))
                .add("d1", Dense.of(Nd4j.randn(rng, new long[]{6, 7}).castTo(DataType.FLOAT),
                        Nd4j.randn(rng, new long[]{7}).castTo(DataType.FLOAT)), "input")
                .add("r1", new Relu(), "d1")
                .add("d2", Dense.of(Nd4j.randn(rng, new long[]{7, 3}).castTo(DataType.FLOAT), null), "r1")
                .build();
        m.put("mlp-flat-epsilon", Explainer.of(mlp).rule(Rules.epsilon(0.1))
                .rule(io.github.dtd4j.Selector.first(), Rules.FLAT));
        return m;
    }

    /** {@return a fixture's input: three elements in the z^B box [-1, 2]} @param e its explainer */
    static INDArray input(Explainer e) {
        long[] shape = e.compiledGraph().inputShape().withBatch(3);
        return Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(21), shape).castTo(DataType.FLOAT).muli(3)
                .subi(1);
    }

    /** The target codes: the top class, class 1, and the start row given. */
    static final long[] TARGETS = {-1, 1, -2};

    /** {@return the start rows: zeros but for the third element's} @param classes K */
    static INDArray start(long classes) {
        INDArray s = Nd4j.zeros(DataType.FLOAT, 3, classes);
        for (int k = 0; k < classes; k++) {
            s.putScalar(2, k, 0.5 - 0.25 * k);
        }
        return s;
    }

    /** Writes NAME.onnx, NAME.input.npy, NAME.target.npy and NAME.start.npy. @param args the directory */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        for (Map.Entry<String, Explainer> f : explainers().entrySet()) {
            Explainer e = f.getValue();
            Files.write(dir.resolve(f.getKey() + ".onnx"), e.toOnnx());
            Npy.write(input(e), dir.resolve(f.getKey() + ".input.npy"));
            Npy.write(Nd4j.createFromArray(TARGETS), dir.resolve(f.getKey() + ".target.npy"));
            Npy.write(start(e.compiledGraph().outputShape().dim(0)), dir.resolve(f.getKey() + ".start.npy"));
        }
    }
}
