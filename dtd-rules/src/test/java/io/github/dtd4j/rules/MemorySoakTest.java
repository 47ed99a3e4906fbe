package io.github.dtd4j.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Repeated explanations must not grow the process's resident memory: ND4J's off-heap buffers are reused through a
 * workspace rather than left for the garbage collector. Runs in its own Surefire execution with a fixed,
 * pre-touched Java heap ({@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}), so that RSS growth can only come from
 * native memory; without the workspace the same loop grew RSS from 3.3 GB to 10 GB. CI runs 300 explanations
 * ({@code -Ddtd4j.soak.count} changes it).
 */
@Tag("soak")
class MemorySoakTest {
    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    static Graph vggLike() {
        Nd4j.getRandom().setSeed(5);
        return Graph.sequential(Shape.of(3, 64, 64))
                .conv("c1", Conv2d.of(Nd4j.randn(DataType.FLOAT, 32, 3, 3, 3).muli(0.2), Nd4j.zeros(DataType.FLOAT, 32)).withPadding(1)).relu()
                .conv("c2", Conv2d.of(Nd4j.randn(DataType.FLOAT, 32, 32, 3, 3).muli(0.08), Nd4j.zeros(DataType.FLOAT, 32)).withPadding(1)).relu()
                .maxPool(2, 2)
                .conv("c3", Conv2d.of(Nd4j.randn(DataType.FLOAT, 64, 32, 3, 3).muli(0.08), Nd4j.zeros(DataType.FLOAT, 64)).withPadding(1)).relu()
                .maxPool(2, 2).flatten()
                .dense("fc", Nd4j.randn(DataType.FLOAT, 64 * 16 * 16, 10).muli(0.01), Nd4j.zeros(DataType.FLOAT, 10))
                .build();
    }

    @Test
    void rssStaysFlatOverRepeatedExplanations() throws IOException {
        int count = Integer.getInteger("dtd4j.soak.count", 300);
        Explainer ex = Explainer.of(vggLike()).preset(Presets.dtd(Rules.zBox(0, 1)));
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        long at50 = 0;
        for (int i = 1; i <= count; i++) {
            try (Explanation e = ex.explain(x)) {
                assertThat(e.ledger().imbalance()[0]).isFinite();
            }
            if (i == 50) {
                at50 = rssKb();
            }
        }
        long last = rssKb();
        System.out.printf("RSS after 50: %d MB, after %d: %d MB%n", at50 / 1024, count, last / 1024);
        assertThat(last).isLessThanOrEqualTo((long) (at50 * 1.1));
    }
}
