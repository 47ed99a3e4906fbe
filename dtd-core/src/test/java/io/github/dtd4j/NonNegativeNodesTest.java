package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The nodes the engine treats as never negative without looking (z⁺, αβ and γ then skip the input's negative part):
 * ReLU, a clip whose lower bound is ≥ 0, sigmoid and hard sigmoid, and pooling and sums of those only. A clip with a
 * negative bound, a leaky ReLU, tanh, an affine layer and a sum with a signed part are not.
 */
class NonNegativeNodesTest {
    @Test
    void onlyWhatIsNeverNegativeByConstruction() {
        Graph g = Graph.builder(Shape.of(2, 8, 8))
                .add("conv", Conv2d.of(Nd4j.rand(DataType.FLOAT, 2, 2, 1, 1), null), "input")
                .add("relu6", new Activation(Activation.Function.CLIP, 0, 6), "conv")
                .add("clipSigned", new Activation(Activation.Function.CLIP, -1, 1), "conv")
                .add("leaky", new Activation(Activation.Function.LEAKY_RELU, 0.1, 0), "conv")
                .add("sigmoid", new Activation(Activation.Function.SIGMOID, 0, 0), "conv")
                .add("hardSigmoid", new Activation(Activation.Function.HARD_SIGMOID, 0.2, 0.5), "conv")
                .add("tanh", new Activation(Activation.Function.TANH, 0, 0), "conv")
                .add("relu", new Relu(), "conv")
                .add("sumPositive", new Add(), "relu6", "relu", "sigmoid", "hardSigmoid")
                .add("sumSigned", new Add(), "relu", "clipSigned")
                .add("pool", MaxPool2d.of(2, 2), "sumPositive")
                .add("poolSigned", MaxPool2d.of(2, 2), "sumSigned")
                .add("sumLast", new Add(), "sumSigned", "leaky", "tanh")
                .add("poolLast", MaxPool2d.of(2, 2), "sumLast")
                .add("both", new Add(), "pool", "poolSigned", "poolLast")
                .add("gap", new GlobalAvgPool(), "pool")
                .add("gapAll", new GlobalAvgPool(), "both")
                .add("out", new Add(), "gap", "gapAll")
                .build();
        assertThat(Plan.nonNegativeNodes(g)).containsExactlyInAnyOrder("relu6", "sigmoid", "hardSigmoid", "relu",
                "sumPositive", "pool", "gap");
    }
}
