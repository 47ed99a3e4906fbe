package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static io.github.dtd4j.rules.RandomNetworks.maxAbs;
import static io.github.dtd4j.rules.RandomNetworks.row;
import static io.github.dtd4j.rules.RandomNetworks.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.rules.RandomNetworks.Bias;
import io.github.dtd4j.rules.RandomNetworks.Domain;
import io.github.dtd4j.rules.RandomNetworks.Net;
import io.github.dtd4j.rules.RandomNetworks.Options;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.quicktheories.QuickTheory;

/**
 * Invariants of the library over random networks: αβ(1,0) = z⁺, LRP-0 = gradient × input without biases (gradient
 * by our own loops), the ledger balances for every rule (positive biases included), batch = singles,
 * float32 ≈ float64, nothing mutated, thread safety; and examples of the three target forms.
 */
class InvariantProperties {
    private static final long SEED = 0xD7D4_1A7EL;

    private static QuickTheory theory(int examples) {
        return qt().withFixedSeed(SEED).withExamples(examples).withShrinkCycles(20);
    }

    private static Explainer f64(Net net) {
        return Explainer.of(net.graph()).precision(Precision.FLOAT64).stabilizer(1e-12);
    }

    // -----------------------------------------------------------------------------------------------------------
    // αβ with α = 1, β = 0 is z⁺ (paper §4.2)

    @Test
    void alphaOneBetaZeroEqualsZPlusOnNonNegativeInputs() {
        theory(40).forAll(RandomNetworks.networks(Options.paper(Domain.NON_NEGATIVE).withBias(Bias.ANY)))
                .checkAssert(net -> {
                    Explanation z = f64(net).recordLayers(true).rule(Rules.Z_PLUS).explain(net.x());
                    for (Rule ab : List.of(Rules.ALPHA1_BETA0, Rules.alphaBeta(1, 0))) {
                        Explanation a = f64(net).recordLayers(true).rule(ab).explain(net.x());
                        for (String node : z.layerRelevances().keySet()) {
                            double[] rz = values(z.layerRelevance(node).orElseThrow());
                            double[] ra = values(a.layerRelevance(node).orElseThrow());
                            double tol = 1e-12 * Math.max(1, maxAbs(rz));
                            for (int i = 0; i < rz.length; i++) {
                                assertThat(Math.abs(ra[i] - rz[i])).as("R at '%s'[%d]: αβ(1,0) %s vs z⁺ %s, %s",
                                        node, i, ra[i], rz[i], net).isLessThanOrEqualTo(tol);
                            }
                        }
                    }
                });
    }

    // -----------------------------------------------------------------------------------------------------------
    // ε → 0 without biases is gradient × input on ReLU networks

    @Test
    void lrp0WithoutBiasesEqualsGradientTimesInput() {
        AtomicInteger nonTrivial = new AtomicInteger();
        theory(40).forAll(RandomNetworks.networks(Options.paper(Domain.ANY).withBias(Bias.NONE))).checkAssert(net -> {
            RandomNetworks.Reference ref = net.reference();
            // ε(0) is LRP-0 (the stabilizer is the only additive term)
            assertThat(values(Explainer.of(net.graph()).precision(Precision.FLOAT64).stabilizer(1e-30).rule(Rules.epsilon(0))
                    .explain(net.x()).inputRelevance())).isEqualTo(values(Explainer.of(net.graph())
                    .precision(Precision.FLOAT64).stabilizer(1e-30).rule(Rules.LRP_0).explain(net.x()).inputRelevance()));
            for (Rule rule : List.of(Rules.LRP_0)) {
                // a tiny stabilizer: only keeps 0/0 (dead units, all-zero pools) at 0
                Explainer ex = Explainer.of(net.graph()).precision(Precision.FLOAT64).stabilizer(1e-30).rule(rule);
                for (int t = 0; t < net.classes(); t++) {
                    Explanation e = ex.explain(net.x(), t);
                    for (int n = 0; n < net.batch(); n++) {
                        double[] x = net.sample(n);
                        double[] logits = ref.forward(x);
                        double[] lib = row(e.logits(), n);
                        for (int k = 0; k < logits.length; k++) {
                            assertThat(lib[k]).as("logit %d (reference forward), %s", k, net)
                                    .isCloseTo(logits[k], org.assertj.core.data.Offset.offset(
                                            1e-10 * Math.max(1, Math.abs(logits[k]))));
                        }
                        double[] g = ref.gradient(x, t);
                        double[] gx = new double[x.length];
                        for (int i = 0; i < x.length; i++) {
                            gx[i] = g[i] * x[i];
                        }
                        double[] r = row(e.inputRelevance(), n);
                        double tol = 1e-8 * maxAbs(gx);
                        if (maxAbs(gx) > 0) {
                            nonTrivial.incrementAndGet();
                        }
                        for (int i = 0; i < x.length; i++) {
                            assertThat(Math.abs(r[i] - gx[i])).as("%s R[%d] = %s vs x·∂f/∂x = %s (class %d, element %d), %s",
                                    rule.name(), i, r[i], gx[i], t, n, net).isLessThanOrEqualTo(tol);
                        }
                    }
                }
            }
        });
        assertThat(nonTrivial.get()).as("cases with a nonzero gradient × input").isGreaterThan(60);
    }

    // -----------------------------------------------------------------------------------------------------------
    // The ledger balances for every rule, positive biases included

    private record Config(String name, Function<Net, Explainer> explainer) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Config> RULES = List.of(
            new Config("lrp0", n -> ex(n).rule(Rules.LRP_0)),
            new Config("epsilon(0.25)", n -> ex(n).rule(Rules.epsilon(0.25))),
            new Config("z+", n -> ex(n).rule(Rules.Z_PLUS)),
            new Config("alpha1beta0", n -> ex(n).rule(Rules.ALPHA1_BETA0)),
            new Config("alpha2beta1", n -> ex(n).rule(Rules.ALPHA2_BETA1)),
            new Config("alpha1.5beta0.5", n -> ex(n).rule(Rules.alphaBeta(1.5, 0.5))),
            new Config("gamma(0.25)", n -> ex(n).rule(Rules.gamma(0.25))),
            new Config("gamma(0)", n -> ex(n).rule(Rules.gamma(0))),
            new Config("w^2", n -> ex(n).rule(Rules.W_SQUARE)),
            new Config("flat", n -> ex(n).rule(Rules.FLAT)),
            new Config("zB first, z+", n -> ex(n).rule(Rules.Z_PLUS).rule(Selector.first(), n.zBox())),
            new Config("zB+bias first, alpha2beta1", n -> ex(n).rule(Rules.ALPHA2_BETA1)
                    .rule(Selector.first(), n.zBox().withPositiveBias())),
            new Config("zB first, gamma", n -> ex(n).rule(Rules.gamma(0.25)).rule(Selector.first(), n.zBox())),
            new Config("preset epsilonZPlus", n -> ex(n).preset(Presets.epsilonZPlus(0.25))),
            new Config("preset epsilonAlphaBeta", n -> ex(n).preset(Presets.epsilonAlphaBeta(n.zBox(), 0.25))));

    private static Explainer ex(Net net) {
        return Explainer.of(net.graph()).precision(Precision.FLOAT64);
    }

    @Test
    void ledgerBalancesForEveryRuleWithPositiveBiases() {
        double[] stabilizers = {1e-12, 1e-6, 1e-2};
        theory(30).forAll(RandomNetworks.networks(Options.paper(Domain.BOX).withBias(Bias.ANY)),
                integers().between(0, 11)).checkAssert((net, setting) -> {
                    double stab = stabilizers[setting % 3];
                    boolean ignoreBias = (setting / 3) % 2 == 1;
                    boolean proportionalMax = setting / 6 == 1;
                    for (Config c : RULES) {
                        Explainer ex = c.explainer().apply(net).stabilizer(stab)
                                .biasPolicy(ignoreBias ? BiasPolicy.IGNORE : BiasPolicy.RULE_DEFAULT)
                                .maxPool(proportionalMax ? MaxPoolMode.PROPORTIONAL : MaxPoolMode.WINNER_TAKES_ALL);
                        String what = c + " stabilizer " + stab + (ignoreBias ? " bias ignored" : "")
                                + (proportionalMax ? " max-pool proportional" : "") + ": " + net;
                        Explanation e = ex.explain(net.x());
                        double[] f = e.explainedScores();
                        double[] imbalance = e.ledger().imbalance();
                        double[] rp = RandomNetworks.perSample(e.inputRelevance());
                        for (int n = 0; n < net.batch(); n++) {
                            double tol = 1e-9 * Math.max(1, Math.abs(f[n]));
                            assertThat(Math.abs(imbalance[n])).as("imbalance, f = %s, %s", f[n], what)
                                    .isLessThanOrEqualTo(tol);
                            assertThat(Math.abs(e.ledger().inputSums()[n] - rp[n])).as("ledger input, %s", what)
                                    .isLessThanOrEqualTo(tol);
                            assertThat(e.ledger().start()[n]).isEqualTo(e.logits().getDouble(n, e.targets()[n]));
                            double arriving = f[n];
                            for (LedgerEntry le : e.ledger().entries()) {
                                assertThat(Math.abs(le.in()[n] - arriving)).as("in at '%s', %s", le.node(), what)
                                        .isLessThanOrEqualTo(tol);
                                assertThat(Math.abs(le.imbalance(n))).as("entry '%s' in − out − bias − stab, %s",
                                        le.node(), what).isLessThanOrEqualTo(tol);
                                if (!le.propagation().startsWith("rule") && !le.propagation().startsWith("proportional")) {
                                    assertThat(le.bias()[n]).as("no bias at '%s'", le.node()).isZero();
                                    assertThat(le.stabilizer()[n]).as("no stabilizer at '%s'", le.node()).isZero();
                                }
                                if (ignoreBias) {
                                    assertThat(le.bias()[n]).as("bias ignored at '%s', %s", le.node(), what).isZero();
                                }
                                arriving = le.out()[n];
                            }
                        }
                    }
                });
    }

    /**
     * Regression example: αβ on units with a bias and no negative contribution, in float32 with the default
     * stabilizer. Σ z⁻ is exactly 0 there; computed as (z − b) − Σ z⁺ it was float noise (~1e-8), so d⁻ = noise
     * + 1e-6 and the ledger booked only part of the β share as absorbed by the stabilizer (imbalance of several
     * percent of f(x)).
     */
    @Test
    void alphaBetaLedgerBalancesOnUnitsWithoutNegativeContributions() {
        double[][] w = new double[16][8];
        double[] b = new double[8];
        double[][] x = new double[4][16];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int j = 0; j < 8; j++) {
            b[j] = 1 + 20 * rnd.nextDouble();
            for (int i = 0; i < 16; i++) {
                w[i][j] = 10 * rnd.nextDouble();
            }
        }
        for (int n = 0; n < 4; n++) {
            for (int i = 0; i < 16; i++) {
                x[n][i] = rnd.nextDouble();
            }
        }
        Graph g = Graph.sequential(16).dense("d", Nd4j.create(w).castTo(DataType.FLOAT),
                Nd4j.create(b).castTo(DataType.FLOAT)).build();
        for (Rule rule : List.of(Rules.ALPHA2_BETA1, Rules.alphaBeta(1.5, 0.5))) {
            Explainer ex = Explainer.of(g).rule(rule);
            for (int t = 0; t < 8; t++) {
                Explanation e = ex.explain(Nd4j.create(x).castTo(DataType.FLOAT), t);
                for (int n = 0; n < 4; n++) {
                    double f = e.explainedScores()[n];
                    assertThat(Math.abs(e.ledger().imbalance()[n])).as("%s class %d element %d imbalance, f = %s",
                            rule.name(), t, n, f).isLessThanOrEqualTo(1e-5 * Math.abs(f));
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // A batch of N is N single explanations

    @Test
    void batchEqualsSingleExplanations() {
        AtomicInteger bitwise = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        theory(30).forAll(RandomNetworks.networks(Options.paper(Domain.BOX).withBias(Bias.ANY).withMaxBatch(4)),
                integers().between(0, RULES.size() - 1)).checkAssert((net, ruleIndex) -> {
                    Config c = RULES.get(ruleIndex);
                    Explainer ex = c.explainer().apply(net).stabilizer(1e-12).recordLayers(true);
                    Explanation batch = ex.explain(net.x());
                    for (int n = 0; n < net.batch(); n++) {
                        INDArray xn = net.x().get(NDArrayIndex.interval(n, n + 1)).dup();
                        Explanation one = ex.explain(xn);
                        String what = c + ", element " + n + ": " + net;
                        assertThat(one.targets()).containsExactly(batch.targets()[n]);
                        assertThat(one.explainedScores()[0]).as("f, %s", what)
                                .isCloseTo(batch.explainedScores()[n], org.assertj.core.data.Offset.offset(
                                        1e-12 * Math.max(1, Math.abs(batch.explainedScores()[n]))));
                        for (String node : batch.layerRelevances().keySet()) {
                            double[] rb = row(batch.layerRelevance(node).orElseThrow(), n);
                            double[] r1 = values(one.layerRelevance(node).orElseThrow());
                            double tol = 1e-12 * Math.max(1, maxAbs(rb));
                            for (int i = 0; i < rb.length; i++) {
                                assertThat(Math.abs(rb[i] - r1[i])).as("R at '%s'[%d] batch %s vs single %s, %s",
                                        node, i, rb[i], r1[i], what).isLessThanOrEqualTo(tol);
                            }
                        }
                        total.incrementAndGet();
                        if (Arrays.equals(row(batch.inputRelevance(), n), values(one.inputRelevance()))) {
                            bitwise.incrementAndGet();
                        }
                    }
                });
        System.out.printf("batch = singles: %d of %d input relevances bit-for-bit equal%n", bitwise.get(), total.get());
    }

    // -----------------------------------------------------------------------------------------------------------
    // float32 agrees with float64

    @Test
    void float32AgreesWithFloat64() {
        RandomNetworks.AtomicMax worst = new RandomNetworks.AtomicMax();
        theory(30).forAll(RandomNetworks.networks(Options.paper(Domain.BOX)), integers().between(0, 3))
                .checkAssert((net, which) -> {
                    Function<Explainer, Explainer> rules = switch (which) {
                        case 0 -> e -> e.preset(Presets.dtd(net.zBox()));
                        case 1 -> e -> e.preset(Presets.dtdWSquare());
                        case 2 -> e -> e.rule(Rules.ALPHA2_BETA1).rule(Selector.first(), net.zBox());
                        default -> e -> e.preset(Presets.epsilonAlphaBeta(net.zBox(), 0.25));
                    };
                    Explanation d = rules.apply(Explainer.of(net.graph()).precision(Precision.FLOAT64)).explain(net.x());
                    Explanation s = rules.apply(Explainer.of(net.graph())).explain(net.x());
                    assertThat(s.inputRelevance().dataType()).isEqualTo(DataType.FLOAT);
                    assertThat(d.inputRelevance().dataType()).isEqualTo(DataType.DOUBLE);
                    double[] rd = values(d.inputRelevance());
                    double[] rs = values(s.inputRelevance());
                    double scale = maxAbs(rd);
                    double diff = 0;
                    for (int i = 0; i < rd.length; i++) {
                        diff = Math.max(diff, Math.abs(rd[i] - rs[i]));
                    }
                    if (scale > 0) {
                        worst.max(diff / scale);
                    }
                    assertThat(diff).as("max |R32 − R64| for rules %d, max |R64| = %s: %s", which, scale, net)
                            .isLessThanOrEqualTo(1e-4 * scale);
                    assertThat(s.targets()).as("targets: %s", net).isEqualTo(d.targets());
                });
        System.out.printf("float32 vs float64: worst max|ΔR| / max|R| = %.3g%n", worst.getAndReset());
    }

    // -----------------------------------------------------------------------------------------------------------
    // explain mutates nothing

    @Test
    void explainMutatesNeitherInputsNorWeightsNorGraph() {
        theory(30).forAll(RandomNetworks.networks(Options.paper(Domain.BOX).withBias(Bias.ANY)),
                integers().between(0, RULES.size() - 1)).checkAssert((net, ruleIndex) -> {
                    Graph g = net.graph();
                    List<Node> nodes = List.copyOf(g.nodes());
                    List<double[]> params = new ArrayList<>();
                    for (Node n : nodes) {
                        for (INDArray a : Graph.parameters(n.layer())) {
                            params.add(values(a));
                        }
                    }
                    double[] x = values(net.x());
                    INDArray x32 = net.x().castTo(DataType.FLOAT);
                    double[] x32v = values(x32);
                    Config c = RULES.get(ruleIndex);
                    Explainer d = c.explainer().apply(net).recordLayers(true);
                    Explanation first = d.explain(net.x());
                    double[] firstR = values(first.inputRelevance());
                    // the caller owns the result: scribbling on it changes nothing for the next call
                    first.inputRelevance().assign(Double.NaN);
                    first.logits().assign(Double.NaN);
                    for (INDArray r : first.layerRelevances().values()) {
                        r.assign(Double.NaN);
                    }
                    Explanation again = d.explain(net.x());
                    assertThat(values(again.inputRelevance())).as("second call after scribbling, %s", net)
                            .isEqualTo(firstR);
                    d.explain(x32);
                    c.explainer().apply(net).precision(Precision.FLOAT32).explain(net.x());
                    c.explainer().apply(net).explain(net.x(), 0);
                    // input as a view into a bigger array
                    INDArray big = Nd4j.zeros(DataType.DOUBLE, concat(net.batch() + 2, net.inShape()));
                    INDArray view = big.get(NDArrayIndex.interval(1, 1 + net.batch()));
                    view.assign(net.x());
                    double[] bigBefore = values(big);
                    Explanation fromView = d.explain(view);
                    assertThat(values(fromView.inputRelevance())).as("explain(view) = explain(copy), %s", net)
                            .isEqualTo(firstR);
                    assertThat(values(big)).as("the array behind the view, %s", net).isEqualTo(bigBefore);

                    assertThat(values(net.x())).as("x, %s", net).isEqualTo(x);
                    assertThat(values(x32)).as("float32 x, %s", net).isEqualTo(x32v);
                    assertThat(g.nodes()).as("graph nodes").isEqualTo(nodes);
                    int k = 0;
                    for (Node n : g.nodes()) {
                        for (INDArray a : Graph.parameters(n.layer())) {
                            assertThat(values(a)).as("parameters of '%s', %s", n.name(), net).isEqualTo(params.get(k++));
                        }
                    }
                    assertThat(d.model()).isSameAs(g);
                });
    }

    private static long[] concat(long first, int[] rest) {
        long[] s = new long[rest.length + 1];
        s[0] = first;
        for (int i = 0; i < rest.length; i++) {
            s[i + 1] = rest[i];
        }
        return s;
    }

    // -----------------------------------------------------------------------------------------------------------
    // One explainer, 8 threads

    @Test
    void concurrentExplainsOnOneExplainerGiveTheSameBitsAsSerialOnes() {
        theory(3).forAll(RandomNetworks.networks(Options.paper(Domain.BOX).withBias(Bias.ANY).withMaxBatch(3)))
                .checkAssert(net -> {
                    List<Function<Net, Explainer>> configs = List.of(
                            n -> Explainer.of(n.graph()).precision(Precision.FLOAT64).preset(Presets.dtd(n.zBox())),
                            n -> Explainer.of(n.graph()).rule(Rules.gamma(0.25)).rule(Selector.first(), n.zBox()),
                            n -> Explainer.of(n.graph()).precision(Precision.FLOAT64).recordLayers(true)
                                    .preset(Presets.epsilonAlphaBeta(n.zBox(), 0.25)));
                    for (Function<Net, Explainer> config : configs) {
                        // inputs: the batch, each element alone, and each class of element 0
                        List<INDArray> inputs = new ArrayList<>();
                        inputs.add(net.x());
                        for (int n = 0; n < net.batch(); n++) {
                            inputs.add(net.x().get(NDArrayIndex.interval(n, n + 1)).dup());
                        }
                        Explainer serialEx = config.apply(net);
                        Map<Integer, double[][]> serial = new LinkedHashMap<>();
                        for (int i = 0; i < inputs.size(); i++) {
                            serial.put(i, fingerprint(serialEx.explain(inputs.get(i))));
                        }
                        Explainer shared = config.apply(net); // fresh: the lazy compile races too
                        ExecutorService pool = Executors.newFixedThreadPool(8);
                        try {
                            List<Future<?>> futures = new ArrayList<>();
                            for (int th = 0; th < 8; th++) {
                                int offset = th;
                                futures.add(pool.submit(() -> {
                                    for (int call = 0; call < 12; call++) {
                                        int i = (offset + call) % inputs.size();
                                        double[][] got = fingerprint(shared.explain(inputs.get(i)));
                                        double[][] want = serial.get(i);
                                        for (int p = 0; p < want.length; p++) {
                                            if (!Arrays.equals(got[p], want[p])) {
                                                throw new AssertionError("thread " + offset + " call " + call
                                                        + " input " + i + " part " + p + " differs: "
                                                        + Arrays.toString(got[p]) + " vs " + Arrays.toString(want[p])
                                                        + ": " + net);
                                            }
                                        }
                                    }
                                    return null;
                                }));
                            }
                            for (Future<?> f : futures) {
                                try {
                                    f.get(120, TimeUnit.SECONDS);
                                } catch (java.util.concurrent.ExecutionException ee) {
                                    if (ee.getCause() instanceof AssertionError ae) {
                                        throw ae;
                                    }
                                    throw new AssertionError(ee.getCause());
                                }
                            }
                        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                            throw new AssertionError(e);
                        } finally {
                            pool.shutdownNow();
                        }
                    }
                });
    }

    /** Everything an explanation returns that must be reproducible, as arrays of doubles. */
    private static double[][] fingerprint(Explanation e) {
        List<double[]> parts = new ArrayList<>();
        parts.add(values(e.inputRelevance()));
        parts.add(values(e.logits()));
        parts.add(Arrays.stream(e.targets()).asDoubleStream().toArray());
        parts.add(e.ledger().start());
        parts.add(e.ledger().inputSums());
        parts.add(e.ledger().absorbedByBias());
        parts.add(e.ledger().absorbedByStabilizer());
        for (LedgerEntry le : e.ledger().entries()) {
            parts.add(le.in());
            parts.add(le.out());
            parts.add(le.bias());
            parts.add(le.stabilizer());
        }
        for (INDArray r : e.layerRelevances().values()) {
            parts.add(values(r));
        }
        return parts.toArray(double[][]::new);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Examples: the three target forms on a batch

    /** A fixed 3-class network and a batch whose top classes are 2, 0, 1. */
    private static Explainer targetNet() {
        INDArray w1 = Nd4j.create(new double[][]{{1, 0, 0.5}, {0, 1, 0.5}}).castTo(DataType.DOUBLE);
        INDArray b1 = Nd4j.create(new double[]{0, 0, -0.1}).castTo(DataType.DOUBLE);
        INDArray w2 = Nd4j.create(new double[][]{{1, -1, 0}, {-1, 1, 0.25}, {0.5, 0.5, 1.5}}).castTo(DataType.DOUBLE);
        INDArray b2 = Nd4j.create(new double[]{0.1, -0.2, 0}).castTo(DataType.DOUBLE);
        Graph g = Graph.sequential(2).dense("d1", w1, b1).relu().dense("d2", w2, b2).build();
        return Explainer.of(g).precision(Precision.FLOAT64).recordLayers(true).rule(Rules.epsilon(0.01));
    }

    private static INDArray targetBatch() {
        return Nd4j.create(new double[][]{{1, 1}, {2, 0}, {0, 2}}).castTo(DataType.DOUBLE);
    }

    /**
     * The logits of {@link #targetBatch()}, by hand: h = relu(x·W1 + b1) = (1, 1, 0.9), (2, 0, 0.9), (0, 2, 0.9);
     * z = h·W2 + b2. Top classes 2, 0, 1.
     */
    private static double[][] handLogits() {
        return new double[][]{{0.55, 0.25, 1.6}, {2.55, -1.75, 1.35}, {-1.45, 2.25, 1.85}};
    }

    private static void assertStartsAt(Explanation e, double[][] logits, int[] expectedTargets) {
        assertThat(e.targets()).containsExactly(expectedTargets);
        INDArray start = e.layerRelevance("d2").orElseThrow();
        for (int n = 0; n < expectedTargets.length; n++) {
            assertThat(e.explainedScores()[n]).isCloseTo(logits[n][expectedTargets[n]],
                    org.assertj.core.data.Offset.offset(1e-12));
            for (int k = 0; k < 3; k++) {
                double want = k == expectedTargets[n] ? logits[n][k] : 0;
                assertThat(start.getDouble(n, k)).as("start relevance [%d,%d]", n, k)
                        .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    @Test
    void explainWithoutTargetExplainsEachElementsTopClass() {
        double[][] z = handLogits();
        int[] top = {2, 0, 1};
        Explanation e = targetNet().explain(targetBatch());
        for (int n = 0; n < 3; n++) {
            assertThat(row(e.logits(), n)).containsExactly(z[n], org.assertj.core.data.Offset.offset(1e-12));
        }
        assertStartsAt(e, z, top);
    }

    @Test
    void explainWithOneClassExplainsItForEveryElement() {
        double[][] z = handLogits();
        for (int t = 0; t < 3; t++) {
            Explanation e = targetNet().explain(targetBatch(), t);
            assertStartsAt(e, z, new int[]{t, t, t});
        }
    }

    @Test
    void explainWithOneClassPerElementExplainsThoseClasses() {
        double[][] z = handLogits();
        int[] targets = {1, 1, 0};
        Explanation e = targetNet().explain(targetBatch(), targets);
        assertStartsAt(e, z, targets);
        // a negative logit is explained as it is: element 1, class 1 has z = −1.75, the start relevance is −1.75
        Explanation en = targetNet().explain(targetBatch().get(NDArrayIndex.interval(1, 2)).dup(), new int[]{1});
        assertThat(en.explainedScores()[0]).isCloseTo(-1.75, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(en.layerRelevance("d2").orElseThrow().getDouble(0, 1)).isCloseTo(-1.75,
                org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void badTargetsAreRejected() {
        Explainer ex = targetNet();
        INDArray x = targetBatch();
        assertThatThrownBy(() -> ex.explain(x, new int[]{0})).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ex.explain(x, new int[]{0, 1})).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ex.explain(x, new int[]{0, 1, 3})).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("3");
        assertThatThrownBy(() -> ex.explain(x, -1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ex.explain(x, 3)).isInstanceOf(InvalidInputException.class);
    }

}
