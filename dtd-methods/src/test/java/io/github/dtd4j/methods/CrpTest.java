package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Rules;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CRP against LRP itself: concept heatmaps of a partition of the channels sum to the full heatmap, each concept's
 * heatmap sums to the concept's relevance at the layer under conservative rules (the ledger books the rest), and the
 * channel ranking equals the per-channel sums of the relevance a full sweep records at the layer.
 */
class CrpTest {
    /**
     * c1 → r1 → c2 → r2 → c3 → (+ r2) → r3 → max-pool → flatten → dense: every path from the input passes through
     * r2 (4 channels); the residual shortcut is above it.
     */
    private static Graph net() {
        return Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3).muli(0.5), randn(2, 3).muli(0.1)).withPadding(1), "input")
                .add("r1", new Relu(), "c1")
                .add("c2", Conv2d.of(randn(3, 4, 3, 3, 3).muli(0.4), randn(4, 4).muli(0.1)).withPadding(1), "r1")
                .add("r2", new Relu(), "c2")
                .add("c3", Conv2d.of(randn(5, 4, 4, 3, 3).muli(0.3), randn(6, 4).muli(0.1)).withPadding(1), "r2")
                .add("sum", new Add(), "c3", "r2")
                .add("r3", new Relu(), "sum")
                .add("mp", MaxPool2d.of(2, 2), "r3")
                .add("flat", new Flatten(), "mp")
                .add("fc", Dense.of(randn(7, 64, 5).muli(0.3), randn(8, 5).muli(0.1)), "flat")
                .build();
    }

    @Test
    void theHeatmapsOfAPartitionOfTheChannelsSumToTheFullHeatmap() {
        Graph g = net();
        Explainer lrp = Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.epsilon(0.1))
                .rule(Selector.name("c3"), Rules.Z_PLUS).rule(Selector.first(), Rules.FLAT);
        INDArray x = randn(9, 3, 2, 8, 8);
        INDArray full = lrp.explain(x, 2).inputRelevance();
        Crp crp = Methods.crp(lrp).withLayer("r2");
        for (Crp c : new Crp[]{crp.withConcepts(new int[]{0, 2}, new int[]{1}, new int[]{3}), crp}) {
            Attributions a = c.attribute(x, 2);
            INDArray concepts = a.extras().get("concepts");
            int m = c.settings().contains("every") ? 4 : 3;
            assertThat(concepts.shape()).containsExactly(3, m, 2, 8, 8);
            System.out.printf(java.util.Locale.ROOT, "crp %s: max |sum of concepts - LRP| = %.3g (max %.3g)%n",
                    c.settings(), maxAbs(concepts.sum(1).sub(full)), maxAbs(full));
            assertThat(maxAbs(concepts.sum(1).sub(full))).as(c.settings()).isLessThan(1e-10 * maxAbs(full));
            assertThat(maxAbs(a.attribution().sub(full))).isLessThan(1e-10 * maxAbs(full));
            assertThat(a.targets()).containsExactly(2, 2, 2);
            // the concepts' relevance at the layer adds up to the layer's
            INDArray rel = a.extras().get("concept-relevance");
            INDArray layer = a.extras().get("layer-relevance");
            for (int i = 0; i < 3; i++) {
                assertThat(rel.getRow(i).sumNumber().doubleValue()).isCloseTo(layer.get(NDArrayIndex.point(i))
                        .sumNumber().doubleValue(), org.assertj.core.data.Offset.offset(1e-12));
            }
        }
        // a partial selection is the same as the corresponding concepts of the partition
        INDArray one = crp.withChannels(3, 1).attribute(x, 2).extras().get("concepts");
        INDArray all = crp.attribute(x, 2).extras().get("concepts");
        assertThat(maxAbs(one.get(NDArrayIndex.all(), NDArrayIndex.point(0)).sub(all.get(NDArrayIndex.all(),
                NDArrayIndex.point(3))))).isLessThan(1e-14);
    }

    @Test
    void eachConceptHeatmapSumsToTheConceptsRelevanceUnderZPlus() {
        Graph g = net();
        Explainer lrp = Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.Z_PLUS).biasPolicy(BiasPolicy.IGNORE);
        INDArray x = randn(10, 2, 2, 8, 8);
        List<Attributions> perConcept = Methods.crp(lrp).withLayer("r2").withConcepts(new int[]{0}, new int[]{1, 3},
                new int[]{2}).attributeConcepts(x, Start.topClass());
        assertThat(perConcept).hasSize(3);
        for (Attributions a : perConcept) {
            Ledger ledger = a.ledger().orElseThrow();
            double[] r = a.extras().get("concept-relevance").toDoubleVector();
            double[] absorbed = ledger.absorbedByStabilizer();
            double[] bias = ledger.absorbedByBias();
            for (int i = 0; i < 2; i++) {
                double sum = a.attribution().get(NDArrayIndex.point(i)).sumNumber().doubleValue();
                System.out.printf(java.util.Locale.ROOT, "%s element %d: concept relevance %.6g, heatmap sum %.6g, "
                        + "absorbed %.3g%n", a.method(), i, r[i], sum, absorbed[i] + bias[i]);
                assertThat(r[i]).as(a.method()).isGreaterThan(0);
                assertThat(ledger.start()[i]).isCloseTo(r[i], org.assertj.core.data.Offset.offset(1e-12 * r[i]));
                // conservation of z⁺: what the stabilizer takes is all that is missing, and it is small
                assertThat(sum + absorbed[i] + bias[i]).isCloseTo(r[i], org.assertj.core.data.Offset.offset(1e-10 * r[i]));
                assertThat(Math.abs(sum - r[i])).isLessThan(1e-5 * r[i]);
            }
            assertThat(a.method()).startsWith("crp [");
        }
    }

    @Test
    void theChannelRankingIsTheRelevanceAFullSweepRecordsAtTheLayer() {
        Graph g = net();
        Explainer lrp = Explainer.of(g).precision(Precision.FLOAT64).rule(Rules.epsilon(0.05));
        INDArray x = randn(11, 2, 2, 8, 8);
        ChannelRanking ranking = Methods.crp(lrp).withLayer("r2").rankChannels(x, Start.classes(1, 4));
        Explanation e = lrp.recordLayers(true).explain(x, new int[]{1, 4});
        INDArray atLayer = e.layerRelevance("r2").orElseThrow();
        assertThat(ranking.channels()).isEqualTo(4);
        assertThat(ranking.targets()).containsExactly(1, 4);
        for (int i = 0; i < 2; i++) {
            double[] r = ranking.relevance(i);
            for (int k = 0; k < 4; k++) {
                double expected = atLayer.get(NDArrayIndex.point(i), NDArrayIndex.point(k)).sumNumber().doubleValue();
                assertThat(r[k]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12 * maxAbs(atLayer)));
            }
            int[] order = ranking.order(i);
            assertThat(order).containsExactlyInAnyOrder(0, 1, 2, 3);
            for (int k = 1; k < 4; k++) {
                assertThat(r[order[k]]).isLessThanOrEqualTo(r[order[k - 1]]);
            }
            assertThat(ranking.top(i, 2)).containsExactly(order[0], order[1]);
        }
        assertThat(ranking.layer()).isEqualTo("r2");
    }

    @Test
    void badLayersAndChannelsNameTheNodeAndItsShape() {
        Explainer lrp = Explainer.of(net()).precision(Precision.FLOAT64).rule(Rules.Z_PLUS);
        Crp crp = Methods.crp(lrp);
        assertThatThrownBy(() -> crp.withLayer("nope")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no node 'nope'");
        assertThatThrownBy(() -> crp.withLayer("input")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is the input");
        assertThatThrownBy(() -> crp.withLayer("r2").withChannels(1, 4)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("channel 4").hasMessageContaining("'r2'").hasMessageContaining("[N,4,8,8]");
        assertThatThrownBy(() -> crp.withChannels(0, 7).withLayer("c1")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("channel 7").hasMessageContaining("'c1'").hasMessageContaining("[N,3,8,8]");
        assertThatThrownBy(() -> crp.withLayer("r2").withChannels(-1)).hasMessageContaining("channel -1");
        assertThatThrownBy(() -> crp.withLayer("r2").withConcepts(new int[0])).hasMessageContaining("no channels");
        assertThatThrownBy(() -> crp.attribute(Nd4j.zeros(D, 1, 2, 8, 8))).hasMessageContaining("withLayer");
        assertThatThrownBy(() -> crp.withLayer("r2").attribute(Nd4j.zeros(D, 1, 2, 8, 8),
                Start.relevance("r3", Nd4j.zeros(D, 1, 4, 8, 8)))).hasMessageContaining("intermediate node");
        assertThatThrownBy(() -> crp.withLayer("r2").attribute(Nd4j.zeros(D, 1, 3, 8, 8)))
                .hasMessageContaining("expected [N,2,8,8]");
        assertThat(crp.withLayer("r2").withConcepts(new int[]{0, 1}, new int[]{3}).settings())
                .isEqualTo("layer=r2, concepts [0, 1], 3");
    }
}
