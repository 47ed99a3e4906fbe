package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dtd4j.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link MnistTraining} end to end on made-up digits (real MNIST is not in the repository): what it writes, and that
 * the provenance JSON stays valid and says the same as the shipped files when paths hold quotes and backslashes.
 */
class MnistTrainingTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** 200 random "digits" in the files scripts/fetch-mnist.sh writes. */
    Path digits() {
        Path data = dir.resolve("mnist");
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Nd4j.getRandom().setSeed(5);
        Npy.write(Nd4j.rand(DataType.FLOAT, 200, 784).muli(255).castTo(DataType.INT), data.resolve("mnist-images.npy"));
        Npy.write(Nd4j.createFromArray(new Random(3).ints(200, 0, 10).toArray()), data.resolve("mnist-labels.npy"));
        return data;
    }

    static JsonNode shipped(String name) throws IOException {
        try (InputStream in = MnistTrainingTest.class.getResourceAsStream(PaperDemo.RES + name)) {
            return JSON.readTree(in);
        }
    }

    static List<String> keys(JsonNode n) {
        List<String> k = new ArrayList<>();
        n.fieldNames().forEachRemaining(k::add);
        return k;
    }

    @Test
    void writesWeightsSampleAndMinMaxModelWithProvenanceThatSurvivesQuotesAndBackslashes() throws IOException {
        Path data = digits();
        Path odd = dir.resolve("a \"quoted\\dir");
        Path out = odd.resolve("we\"ights\\x.npz");
        Path minmax = odd.resolve("min\"max.npz");
        Path sample = odd.resolve("sample");
        List<String> log = new ArrayList<>();
        new MnistTraining(data, out, null, sample, 64, minmax, 3, 7, 4, 8, 1e-3, 1).run(log::add);

        PairNet net = PairNet.load(out);
        assertThat(net.b1().maxNumber().doubleValue()).isLessThanOrEqualTo(0);
        assertThat(MinMaxModel.of(Npy.readNpz(minmax), minmax.toString()).v().shape()).containsExactly(PairNet.IN, PairNet.HIDDEN);
        assertThat(Npy.read(sample.resolve("mnist-pairs-pixels.npy")).shape()).containsExactly(64, PairNet.IN);
        assertThat(log).anyMatch(l -> l.startsWith("accuracy on 4000 pairs"));

        JsonNode w = JSON.readTree(Files.readString(odd.resolve("we\"ights\\x.json")));
        JsonNode shippedW = shipped("paper-mnist.json");
        assertThat(keys(w)).isEqualTo(keys(shippedW));
        assertThat(w.get("command").asText())
                .isEqualTo("dtd train-mnist --data DIR --out we\"ights\\x.npz --seed 7 --steps 4 --batch 8 --lr 0.001 --shift 1");
        for (String same : List.of("what", "data", "optimizer", "loss", "init", "evalPairs", "threshold")) {
            assertThat(w.get(same)).as(same).isEqualTo(shippedW.get(same));
        }
        assertThat(w.get("trainPairsSeen").asLong()).isEqualTo(32);
        assertThat(w.get("testAccuracy").asDouble()).isBetween(0.0, 1.0);

        JsonNode s = JSON.readTree(Files.readString(sample.resolve("mnist-pairs.json")));
        JsonNode shippedS = shipped("mnist-pairs.json");
        assertThat(keys(s)).isEqualTo(keys(shippedS));
        for (String same : List.of("what", "pixels", "digits", "source")) {
            assertThat(s.get(same)).as(same).isEqualTo(shippedS.get(same));
        }
        assertThat(s.get("command").asText()).contains("--out we\"ights\\x.npz --seed 7 ");

        JsonNode m = JSON.readTree(Files.readString(odd.resolve("min\"max.json")));
        JsonNode shippedM = shipped("paper-mnist-minmax.json");
        assertThat(keys(m)).isEqualTo(keys(shippedM));
        for (String same : List.of("targets", "init", "optimizer")) {
            assertThat(m.get(same)).as(same).isEqualTo(shippedM.get(same));
        }
        assertThat(m.get("what").asText()).contains("layer of we\"ights\\x.npz:");
        assertThat(m.get("command").asText()).contains("--net we\"ights\\x.npz --minmax-out min\"max.npz --seed 7");
        assertThat(m.get("seed").asLong()).isEqualTo(17);
    }

    @Test
    void refusesSettingsThatCannotTrain() {
        Path p = dir.resolve("x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MnistTraining(p, p, null, null, 64, null, 1, 1, 0, 8, 1e-3, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps=0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MnistTraining(p, p, null, null, 0, null, 1, 1, 1, 8, 1e-3, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sample size");
    }
}
