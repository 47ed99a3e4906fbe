package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.graph.Graph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What {@code dtd compare} takes from this module: the shipped network as a graph, and Fig. 5's pairs. */
class ShippedGraphTest {
    @Test
    void theGraphComputesTheShippedNetworkOnFig5sPairs() {
        Graph g = PaperDemo.shippedGraph();
        INDArray x = PaperDemo.fig5Inputs();
        assertThat(x.shape()).containsExactly(12, 1568);
        assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(x.minNumber().doubleValue()).isGreaterThanOrEqualTo(-0.5);
        assertThat(x.maxNumber().doubleValue()).isLessThanOrEqualTo(1.5);
        INDArray f = Explainer.of(g).forward(x);
        INDArray want = PaperDemo.shippedNet().forward(x);
        assertThat(f.shape()).containsExactly(12, 1);
        for (int i = 0; i < 12; i++) {
            // the pairs Fig. 5 shows: the network's output is at least 1 on each
            assertThat(f.getDouble(i, 0)).isGreaterThanOrEqualTo(PaperDemo.MIN_F)
                    .isCloseTo(want.getDouble(i), org.assertj.core.api.Assertions.within(1e-3 * want.getDouble(i)));
        }
    }
}
