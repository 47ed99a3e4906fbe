package io.github.dtd4j.rules;

import static io.github.dtd4j.rules.ApiTestSupport.assertClose;
import static io.github.dtd4j.rules.ApiTestSupport.assertSameValues;
import static io.github.dtd4j.rules.ApiTestSupport.gaussian;
import static io.github.dtd4j.rules.ApiTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.spi.LinearRule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the sweep starts ({@link Start}): a relevance tensor at the output equal to the one-hot logit reproduces a
 * class explanation to the last bit; the sweep is linear in the start relevance for every rule (the forward pass, and
 * so every denominator, does not depend on it); a tensor start's targets are its argmax; bad start tensors are
 * rejected naming the node and the shapes, and the caller's tensor is never written. Random residual and
 * dense-block networks with biases ({@link ResidualProperties#build}).
 */
class StartRelevanceTest {

    private static ResidualProperties.Net net(long seed) {
        return ResidualProperties.build(seed, true);
    }

    private static Map<String, Explainer> explainers(ResidualProperties.Net n) {
        Explainer base = Explainer.of(n.graph()).precision(Precision.FLOAT64).recordLayers(true);
        Map<String, Explainer> m = new LinkedHashMap<>();
        Map<String, LinearRule> rules = new LinkedHashMap<>();
        rules.put("lrp0", Rules.LRP_0);
        rules.put("epsilon", Rules.epsilon(0.25));
        rules.put("z+", Rules.Z_PLUS);
        rules.put("alpha2beta1", Rules.ALPHA2_BETA1);
        rules.put("gamma", Rules.gamma(0.25));
        rules.forEach((k, r) -> m.put(k, base.rule(r)));
        m.put("zB first, z+", base.rule(Rules.Z_PLUS).rule(Selector.first(), Rules.zBox(n.low(), n.high())));
        m.put("zB first, z+, positive split", base.rule(Rules.Z_PLUS).sumSplit(SumSplit.POSITIVE)
                .rule(Selector.first(), Rules.zBox(n.low(), n.high())));
        return m;
    }

    /** {@return the one-hot logits of the given classes, [N,K]} */
    private static INDArray oneHotLogits(INDArray logits, int[] targets) {
        INDArray r = Nd4j.zeros(DataType.DOUBLE, logits.shape());
        for (int i = 0; i < targets.length; i++) {
            r.putScalar(i, targets[i], logits.getDouble(i, targets[i]));
        }
        return r;
    }

    @Test
    void aOneHotLogitStartIsTheClassExplanationToTheLastBit() {
        for (long seed = 1; seed <= 2; seed++) {
            ResidualProperties.Net n = net(seed);
            int batch = (int) n.x().size(0);
            for (Map.Entry<String, Explainer> ex : explainers(n).entrySet()) {
                INDArray logits = ex.getValue().forward(n.x());
                int k = (int) logits.size(1);
                int[] classes = new int[batch];
                for (int i = 0; i < batch; i++) {
                    classes[i] = (i + (int) seed) % k;
                }
                Explanation byClass = ex.getValue().explain(n.x(), classes);
                Explanation byTensor = ex.getValue().explain(n.x(), Start.relevance(oneHotLogits(logits, classes)));
                String what = n + ", " + ex.getKey();
                assertSameValues(what, byTensor.inputRelevance(), byClass.inputRelevance());
                for (String node : byClass.layerRelevances().keySet()) {
                    assertSameValues(what + " at " + node, byTensor.layerRelevance(node).orElseThrow(),
                            byClass.layerRelevance(node).orElseThrow());
                }
                assertThat(byTensor.explainedScores()).containsExactly(byClass.explainedScores());
                assertThat(byTensor.ledger().imbalance()).containsExactly(byClass.ledger().imbalance());
                if (!ex.getKey().equals("lrp0")) {
                    continue;
                }
                // the same through explain(x, INDArray) and with the output node named
                assertSameValues(what + ", explain(x, INDArray)", ex.getValue().explain(n.x(),
                        oneHotLogits(logits, classes)).inputRelevance(), byClass.inputRelevance());
                assertSameValues(what + ", named output", ex.getValue().explain(n.x(), Start.relevance(
                        n.graph().outputName(), oneHotLogits(logits, classes))).inputRelevance(),
                        byClass.inputRelevance());
            }
        }
    }

    @Test
    void theSweepIsLinearInTheStartRelevanceForEveryRule() {
        double a = 0.7;
        double b = -1.3;
        for (long seed = 11; seed <= 12; seed++) {
            ResidualProperties.Net n = net(seed);
            SplittableRandom rnd = new SplittableRandom(seed);
            int batch = (int) n.x().size(0);
            for (Map.Entry<String, Explainer> ex : explainers(n).entrySet()) {
                int k = (int) ex.getValue().forward(n.x()).size(1);
                INDArray ra = gaussian(rnd, 1, batch, k);
                INDArray rb = gaussian(rnd, 1, batch, k);
                INDArray combined = ra.mul(a).addi(rb.mul(b));
                double[] left = values(ex.getValue().explain(n.x(), Start.relevance(combined)).inputRelevance());
                double[] pa = values(ex.getValue().explain(n.x(), Start.relevance(ra)).inputRelevance());
                double[] pb = values(ex.getValue().explain(n.x(), Start.relevance(rb)).inputRelevance());
                double[] right = new double[pa.length];
                double scale = 0;
                for (int i = 0; i < pa.length; i++) {
                    right[i] = a * pa[i] + b * pb[i];
                    scale = Math.max(scale, Math.abs(a * pa[i]) + Math.abs(b * pb[i]));
                }
                if (ex.getKey().equals("lrp0")) {
                    // z⁺-like rules may see no positive contribution at a small head; LRP-0 always sees some
                    assertThat(scale).as("%s, %s: a heatmap that is not all zero", n, ex.getKey()).isPositive();
                }
                assertClose(n + ", " + ex.getKey() + ": R(a rA + b rB) = a R(rA) + b R(rB)", left, right, 1e-10,
                        scale);
            }
        }
    }

    @Test
    void theTargetsOfATensorStartAreItsArgmax() {
        ResidualProperties.Net n = net(3);
        Explainer ex = explainers(n).get("z+");
        int batch = (int) n.x().size(0);
        int k = (int) ex.forward(n.x()).size(1);
        INDArray r = Nd4j.zeros(DataType.DOUBLE, batch, k).subi(1);
        int[] expected = new int[batch];
        for (int i = 0; i < batch; i++) {
            expected[i] = (i * 2 + 1) % k;
            r.putScalar(i, expected[i], 0.5);
        }
        Explanation e = ex.explain(n.x(), Start.relevance(r));
        assertThat(e.targets()).containsExactly(expected);
        // the explained score of each element is the sum of its start relevance
        for (int i = 0; i < batch; i++) {
            assertThat(e.explainedScores()[i]).isEqualTo(0.5 - (k - 1));
        }
        // a start at an intermediate node explains no class
        INDArray mid = Nd4j.ones(DataType.DOUBLE, ex.activations(n.x()).get("stem.relu").shape());
        assertThat(ex.explain(n.x(), Start.relevance("stem.relu", mid)).targets()).containsOnly(-1);
    }

    @Test
    void badStartTensorsAreRejectedNamingTheNodeAndTheShapes() {
        ResidualProperties.Net n = net(4);
        Explainer ex = explainers(n).get("z+");
        INDArray x = n.x();
        int batch = (int) x.size(0);
        int k = (int) ex.forward(x).size(1);
        String out = "'" + n.graph().outputName() + "'";
        String expected = "[" + batch + "," + k + "]";
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(Nd4j.ones(DataType.DOUBLE, batch, k + 1))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(out).hasMessageContaining(expected)
                .hasMessageContaining("[" + batch + "," + (k + 1) + "]");
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(Nd4j.ones(DataType.DOUBLE, batch + 1, k))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(out).hasMessageContaining(expected);
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(Nd4j.ones(DataType.DOUBLE, batch * k))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(out).hasMessageContaining(expected);
        INDArray nan = Nd4j.ones(DataType.DOUBLE, batch, k);
        nan.putScalar(0, k - 1, Double.NaN);
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(nan))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(out).hasMessageContaining("NaN at [0," + (k - 1) + "]");
        INDArray inf = Nd4j.ones(DataType.DOUBLE, batch, k);
        inf.putScalar(batch - 1, 0, Double.NEGATIVE_INFINITY);
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(inf))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(out).hasMessageContaining("Infinity");
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(Nd4j.ones(DataType.INT, batch, k))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(out).hasMessageContaining("INT");
        // at an intermediate node: its own shape, and names that are no node
        long[] stemShape = ex.activations(x).get("stem.relu").shape();
        assertThatThrownBy(() -> ex.explain(x, Start.relevance("stem.relu", Nd4j.ones(DataType.DOUBLE, batch, k))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'stem.relu'")
                .hasMessageContaining(io.github.dtd4j.graph.Shape.format(stemShape));
        assertThatThrownBy(() -> ex.explain(x, Start.relevance("no.such.node", Nd4j.ones(DataType.DOUBLE, batch, k))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'no.such.node'");
        assertThatThrownBy(() -> ex.explain(x, Start.relevance(n.graph().inputName(), x.dup())))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'" + n.graph().inputName() + "'");
    }

    @Test
    void theCallersStartTensorIsNeverWritten() {
        ResidualProperties.Net n = net(5);
        int batch = (int) n.x().size(0);
        Map<String, Explainer> some = explainers(n);
        some.keySet().retainAll(java.util.Set.of("lrp0", "alpha2beta1", "zB first, z+, positive split"));
        for (Map.Entry<String, Explainer> ex : some.entrySet()) {
            int k = (int) ex.getValue().forward(n.x()).size(1);
            INDArray r = gaussian(new SplittableRandom(5), 1, batch, k);
            INDArray copy = r.dup();
            ex.getValue().explain(n.x(), Start.relevance(r));
            assertSameValues(ex.getKey() + ": output start", r, copy);
            INDArray r32 = r.castTo(DataType.FLOAT);
            INDArray copy32 = r32.dup();
            ex.getValue().explain(n.x(), Start.relevance(r32));
            assertSameValues(ex.getKey() + ": float32 start", r32, copy32);
            INDArray mid = gaussian(new SplittableRandom(6), 1, ex.getValue().activations(n.x()).get("stem.relu")
                    .shape());
            INDArray midCopy = mid.dup();
            ex.getValue().explain(n.x(), Start.relevance("stem.relu", mid));
            assertSameValues(ex.getKey() + ": intermediate start", mid, midCopy);
        }
    }
}
