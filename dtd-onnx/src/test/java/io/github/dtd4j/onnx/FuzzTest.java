package io.github.dtd4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mutated copies of the real fixtures (byte flips, bit flips, truncations, insertions, deletions, duplicated chunks,
 * fixed seed): each must import to a valid graph, which then runs, or throw one of our exceptions. Never another
 * exception, an error, or a hang (10 s per case).
 */
class FuzzTest {
    /** Fixed by default; {@code -Dfuzz.seed=... -Dfuzz.cases=...} explore further. */
    static final long SEED = Long.getLong("fuzz.seed", 20_261_123L);
    static final int CASES = Integer.getInteger("fuzz.cases", 1_200);
    static final List<String> SOURCES = List.of("mlp_op11", "mlp_op17", "sumpool_op13", "cnn_op13", "geometry_op11",
            "lrn_op13", "double_op13", "densenet_op13", "sumpool_op11");
    /** 730 kB, so mutated less often (1 case in 30) to keep the test near 30 s on a loaded 2-core machine. */
    static final String LARGE = "resnet_op13";

    static ExecutorService executor;

    @BeforeAll
    static void start() {
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "onnx-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stop() {
        executor.shutdownNow();
    }

    record Mutant(String source, String how, byte[] bytes) {
    }

    static Mutant mutate(Random rng, String source, byte[] original) {
        byte[] b = original.clone();
        int n = b.length;
        switch (rng.nextInt(7)) {
            case 0 -> {
                int k = 1 + rng.nextInt(8);
                StringBuilder at = new StringBuilder();
                for (int i = 0; i < k; i++) {
                    int p = rng.nextInt(n);
                    b[p] = (byte) rng.nextInt(256);
                    at.append(p).append(' ');
                }
                return new Mutant(source, "bytes set at " + at.toString().trim(), b);
            }
            case 1 -> {
                int p = rng.nextInt(n);
                int bit = rng.nextInt(8);
                b[p] ^= (byte) (1 << bit);
                return new Mutant(source, "bit " + bit + " flipped at " + p, b);
            }
            case 2 -> {
                int cut = rng.nextInt(n);
                return new Mutant(source, "truncated to " + cut, Arrays.copyOf(b, cut));
            }
            case 3 -> {
                int p = rng.nextInt(n + 1);
                byte[] extra = new byte[1 + rng.nextInt(16)];
                rng.nextBytes(extra);
                byte[] out = new byte[n + extra.length];
                System.arraycopy(b, 0, out, 0, p);
                System.arraycopy(extra, 0, out, p, extra.length);
                System.arraycopy(b, p, out, p + extra.length, n - p);
                return new Mutant(source, extra.length + " random bytes inserted at " + p, out);
            }
            case 4 -> {
                int p = rng.nextInt(n);
                int len = 1 + rng.nextInt(Math.min(64, n - p));
                byte[] out = new byte[n - len];
                System.arraycopy(b, 0, out, 0, p);
                System.arraycopy(b, p + len, out, p, n - p - len);
                return new Mutant(source, len + " bytes deleted at " + p, out);
            }
            case 5 -> {
                int p = rng.nextInt(n);
                int len = 1 + rng.nextInt(Math.min(256, n - p));
                int q = rng.nextInt(n + 1);
                byte[] out = new byte[n + len];
                System.arraycopy(b, 0, out, 0, q);
                System.arraycopy(b, p, out, q, len);
                System.arraycopy(b, q, out, q + len, n - q);
                return new Mutant(source, len + " bytes from " + p + " duplicated at " + q, out);
            }
            default -> {
                // large varints: lengths and dimensions that claim absurd sizes
                int p = rng.nextInt(n);
                int k = 1 + rng.nextInt(4);
                for (int i = 0; i < k && p + i < n; i++) {
                    b[p + i] = (byte) 0xFF;
                }
                return new Mutant(source, k + " bytes set to 0xFF at " + p, b);
            }
        }
    }

    /** {@return what happened: "graph", an exception class name, or a failure description starting with "FAIL"} */
    static String importAndRun(byte[] bytes) {
        Graph g;
        try {
            g = OnnxModels.load(bytes);
        } catch (Dtd4jException e) {
            return e.getClass().getSimpleName();
        }
        // a graph that imports must be valid; run it when it is small enough to be cheap
        long work = g.inputShape().size();
        for (Node n : g.nodes()) {
            work += n.outputShape().size();
        }
        if (work > 2_000_000) {
            return "graph (not run: " + work + " values)";
        }
        DataType t = OnnxRuntimeParityTest.dtypeOf(g);
        INDArray x = Nd4j.rand(DataType.DOUBLE, g.inputShape().withBatch(2)).castTo(t);
        try {
            INDArray y = io.github.dtd4j.rules.Forwards.output(g, x);
            assertThat(y.shape()).isEqualTo(g.outputShape().withBatch(2));
        } catch (Dtd4jException e) {
            return "graph, run: " + e.getClass().getSimpleName();
        }
        return "graph";
    }

    @Test
    void mutatedFixturesImportOrFailCleanly() throws InterruptedException {
        Map<String, byte[]> originals = new TreeMap<>();
        for (String s : SOURCES) {
            originals.put(s, Fixtures.bytes(s));
        }
        originals.put(LARGE, Fixtures.bytes(LARGE));
        Random rng = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        Map<String, Long> nanos = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            String source = rng.nextInt(30) == 0 ? LARGE : SOURCES.get(rng.nextInt(SOURCES.size()));
            Mutant m = mutate(rng, source, originals.get(source));
            long t0 = System.nanoTime();
            Future<String> f = executor.submit(() -> importAndRun(m.bytes()));
            String outcome;
            try {
                outcome = f.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                outcome = "FAIL hang (> 10 s)";
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                outcome = "FAIL " + c.getClass().getName() + ": " + c.getMessage();
            }
            nanos.merge(source, System.nanoTime() - t0, Long::sum);
            if (outcome.startsWith("FAIL")) {
                failures.add("case " + i + " (" + m.source() + ", " + m.how() + "): " + outcome);
                outcome = "FAIL";
            }
            outcomes.merge(outcome.replaceAll("\\(not run: \\d+ values\\)", "(not run)"), 1, Integer::sum);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fuzz: %d mutated fixtures (seed %d) in %.1f s: %s%n", CASES, SEED, seconds, outcomes);
        nanos.forEach((k, v) -> System.out.printf("fuzz:   %-14s %.1f s%n", k, v / 1e9));
        failures.stream().limit(20).forEach(System.out::println);
        assertThat(failures).as("mutants that escaped with something other than a Dtd4jException").isEmpty();
        assertThat(outcomes.keySet()).as("the mutations must exercise both outcomes")
                .anyMatch(k -> k.startsWith("graph")).anyMatch(k -> k.endsWith("Exception"));
    }

    static final long[] ODD_VALUES = {0, -1, -2, 1, 2, 3, 7, 1L << 31, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE};
    static final List<String> OPS = List.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Relu", "MaxPool", "AveragePool",
            "GlobalAveragePool", "BatchNormalization", "Concat", "Flatten", "Reshape", "ReduceSum", "Identity", "Dropout",
            "LRN", "Softmax", "Pad", "Shape", "Gather", "Unsqueeze", "Cast", "Constant", "Sigmoid");

    static long odd(Random rng) {
        return rng.nextInt(3) == 0 ? rng.nextInt(40) - 8 : ODD_VALUES[rng.nextInt(ODD_VALUES.length)];
    }

    /** Semantic mutations of a parsed model: every result is well-formed protobuf, so the importer's own checks run. */
    static Mutant mutateStructure(Random rng, String source, onnx.OnnxMl.ModelProto original) {
        onnx.OnnxMl.ModelProto.Builder m = original.toBuilder();
        onnx.OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
        StringBuilder how = new StringBuilder();
        int edits = 1 + rng.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int nodes = g.getNodeCount();
            switch (rng.nextInt(9)) {
                case 0 -> {
                    if (g.getInitializerCount() > 0) {
                        var t = g.getInitializerBuilder(rng.nextInt(g.getInitializerCount()));
                        if (t.getDimsCount() > 0) {
                            int d = rng.nextInt(t.getDimsCount());
                            long v = odd(rng);
                            t.setDims(d, v);
                            how.append("initializer ").append(t.getName()).append(" dim ").append(d).append('=').append(v)
                                    .append("; ");
                        }
                    }
                }
                case 1 -> {
                    if (nodes > 0) {
                        var n = g.getNodeBuilder(rng.nextInt(nodes));
                        if (n.getAttributeCount() > 0) {
                            int a = rng.nextInt(n.getAttributeCount());
                            var attr = n.getAttributeBuilder(a);
                            long v = odd(rng);
                            if (attr.getIntsCount() > 0) {
                                attr.setInts(rng.nextInt(attr.getIntsCount()), v);
                            } else {
                                attr.setI(v).setF((float) v);
                            }
                            how.append("node ").append(n.getName()).append(" attr ").append(attr.getName()).append('=')
                                    .append(v).append("; ");
                        }
                    }
                }
                case 2 -> {
                    if (nodes > 1) {
                        int k = rng.nextInt(nodes);
                        how.append("removed node ").append(g.getNode(k).getName()).append("; ");
                        g.removeNode(k);
                    }
                }
                case 3 -> {
                    if (nodes > 1) {
                        var n = g.getNodeBuilder(rng.nextInt(nodes));
                        var other = g.getNode(rng.nextInt(nodes));
                        if (n.getInputCount() > 0 && other.getOutputCount() > 0) {
                            n.setInput(rng.nextInt(n.getInputCount()), other.getOutput(0));
                            how.append("node ").append(n.getName()).append(" reads ").append(other.getOutput(0))
                                    .append("; ");
                        }
                    }
                }
                case 4 -> {
                    var dims = g.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                    if (dims.getDimCount() > 0) {
                        int d = rng.nextInt(dims.getDimCount());
                        long v = odd(rng);
                        dims.getDimBuilder(d).setDimValue(v);
                        how.append("input dim ").append(d).append('=').append(v).append("; ");
                    }
                }
                case 5 -> {
                    if (nodes > 0) {
                        var n = g.getNodeBuilder(rng.nextInt(nodes));
                        String op = OPS.get(rng.nextInt(OPS.size()));
                        how.append("node ").append(n.getName()).append(" op ").append(n.getOpType()).append("->")
                                .append(op).append("; ");
                        n.setOpType(op);
                    }
                }
                case 6 -> {
                    if (g.getInitializerCount() > 0) {
                        var t = g.getInitializerBuilder(rng.nextInt(g.getInitializerCount()));
                        int type = 1 + rng.nextInt(16);
                        t.setDataType(type);
                        how.append("initializer ").append(t.getName()).append(" type ").append(type).append("; ");
                    }
                }
                case 7 -> {
                    long v = rng.nextInt(26);
                    m.setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(v));
                    how.append("opset ").append(v).append("; ");
                }
                default -> {
                    if (nodes > 0) {
                        var n = g.getNodeBuilder(rng.nextInt(nodes));
                        if (n.getInputCount() > 0 && rng.nextBoolean()) {
                            List<String> ins = new ArrayList<>(n.getInputList());
                            ins.remove(ins.size() - 1);
                            n.clearInput().addAllInput(ins);
                            how.append("node ").append(n.getName()).append(" lost its last input; ");
                        } else {
                            n.addInput(g.getInput(0).getName());
                            how.append("node ").append(n.getName()).append(" got an extra input; ");
                        }
                    }
                }
            }
        }
        return new Mutant(source, how.toString(), m.build().toByteArray());
    }

    @Test
    void structurallyMutatedFixturesImportOrFailCleanly() throws Exception {
        Map<String, onnx.OnnxMl.ModelProto> originals = new TreeMap<>();
        for (String s : SOURCES) {
            originals.put(s, onnx.OnnxMl.ModelProto.parseFrom(Fixtures.bytes(s)));
        }
        Random rng = new Random(SEED + 1);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        int cases = CASES / 2;
        for (int i = 0; i < cases; i++) {
            String source = SOURCES.get(rng.nextInt(SOURCES.size()));
            Mutant m = mutateStructure(rng, source, originals.get(source));
            Future<String> f = executor.submit(() -> importAndRun(m.bytes()));
            String outcome;
            try {
                outcome = f.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                outcome = "FAIL hang (> 10 s)";
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                outcome = "FAIL " + c.getClass().getName() + ": " + c.getMessage();
            }
            if (outcome.startsWith("FAIL")) {
                failures.add("case " + i + " (" + m.source() + ", " + m.how() + "): " + outcome);
                outcome = "FAIL";
            }
            outcomes.merge(outcome.replaceAll("\\(not run: \\d+ values\\)", "(not run)"), 1, Integer::sum);
        }
        System.out.printf("fuzz: %d structurally mutated fixtures (seed %d) in %.1f s: %s%n", cases, SEED + 1,
                (System.nanoTime() - start) / 1e9, outcomes);
        failures.stream().limit(20).forEach(System.out::println);
        assertThat(failures).as("mutants that escaped with something other than a Dtd4jException").isEmpty();
    }
}
