package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static io.github.dtd4j.rules.RandomNetworks.perSample;
import static io.github.dtd4j.rules.RandomNetworks.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Selector;
import io.github.dtd4j.rules.RandomNetworks.Domain;
import io.github.dtd4j.rules.RandomNetworks.Net;
import io.github.dtd4j.rules.RandomNetworks.Options;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.quicktheories.QuickTheory;

/**
 * The paper's Definitions 1–3 (docs/conventions.md#definitions-1-3) over random detection-pooling networks with biases
 * ≤ 0, for the DTD compositions the paper derives: w² first + z⁺ above (§4.1, §5.2), z^B first + z⁺ above (§4.2),
 * z⁺ everywhere on x ≥ 0, and w² everywhere.
 *
 * <ul>
 *   <li>Conservative (docs/conventions.md#definitions-1-3: "to float rounding + stabilizer"), layer by layer (§3): following the ledger
 *       from the output down, every node receives exactly what the node above sent on (to 1e-9·f(x)), sends on
 *       what it received minus what the stabilizer absorbed, and nothing goes to a bias; the recorded relevance at
 *       every node sums to what the ledger says; Σ_p R_p = f(x) − (stabilizer) to 1e-9·f(x); and the 1e-12
 *       stabilizer's share is below 1e-7·f(x) (worst seen ~6e-9: it is ε / smallest denominator, so a bare
 *       |Σ R_p − f| ≤ 1e-9·f does not hold on every random network).</li>
 *   <li>Positive: R ≥ −1e-12·f(x) at the input and at every layer.</li>
 *   <li>Consistent: in particular f(x) = 0 ⇒ R = 0, exactly, at every layer and in the ledger.</li>
 * </ul>
 *
 * <p>Computation in float64 with stabilizer 1e-12. For the K-class head the definitions are about the explained
 * score f(x) ≥ 0 (Definition 2 needs f(x) ≥ 0), so batch elements whose top logit is negative are skipped, and
 * counted to make sure the property is not vacuous.
 */
class DefinitionProperties {
    private static final long SEED = 0x5EED_D7D4L;
    private static final double REL = 1e-9;
    private static final double POS = 1e-12;
    /** Largest share of f(x) the 1e-12 stabilizer may absorb (it is ~1e-12 / smallest denominator). */
    private static final double STAB_SHARE = 1e-7;
    private static final RandomNetworks.AtomicMax worstShare = new RandomNetworks.AtomicMax();

    private static QuickTheory theory(int examples) {
        return qt().withFixedSeed(SEED).withExamples(examples).withShrinkCycles(20);
    }

    private static Explainer base(Net net) {
        return Explainer.of(net.graph()).precision(Precision.FLOAT64).stabilizer(1e-12).recordLayers(true);
    }

    @Test
    void wSquareFirstZPlusAboveIsConsistent() {
        definitions(Options.paper(Domain.ANY),
                net -> base(net).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.W_SQUARE));
    }

    @Test
    void zBoxFirstZPlusAboveIsConsistent() {
        definitions(Options.paper(Domain.BOX), net -> base(net).rule(Rules.Z_PLUS).rule(Selector.first(), net.zBox()));
    }

    @Test
    void zBoxPresetIsConsistent() {
        definitions(Options.paper(Domain.BOX), net -> base(net).preset(Presets.dtd(net.zBox())));
    }

    @Test
    void zPlusEverywhereIsConsistentOnNonNegativeInputs() {
        definitions(Options.paper(Domain.NON_NEGATIVE), net -> base(net).rule(Rules.Z_PLUS));
    }

    /** Max-pooling treated as sum-pooling over its windows (paper §5.2, L^q pooling): still consistent. */
    @Test
    void zBoxFirstZPlusAboveWithProportionalMaxPoolingIsConsistent() {
        definitions(Options.paper(Domain.BOX), net -> base(net).maxPool(io.github.dtd4j.MaxPoolMode.PROPORTIONAL)
                .rule(Rules.Z_PLUS).rule(Selector.first(), net.zBox()));
    }

    /**
     * w² in every layer. w² sends relevance to neurons whatever their activation, so a neuron that received
     * relevance must be able to pass it on whatever its input. Two things cannot, and are left out: a sum/avg
     * pooling whose inputs are all 0 (R_i = x_i / Σx · R_j), and a neuron whose in-image weights are all 0 (Σ w² =
     * 0; e.g. the corner of a padded convolution whose single in-image tap has weight 0). There the stabilizer
     * absorbs the relevance (booked in the ledger, see
     * {@link #wSquareEverywhereThroughProportionalPoolingLosesOnlyToTheStabilizer()}). The paper (§5.2) prescribes
     * z⁺ above the first layer for this reason: w² everywhere is not a DTD composition.
     */
    @Test
    void wSquareEverywhereIsConsistentWithoutProportionalPoolingOrZeroWeights() {
        definitions(Options.paper(Domain.ANY).withProportionalPooling(false).withZeroWeights(false),
                net -> base(net).rule(Rules.W_SQUARE));
    }

    /**
     * w² everywhere through sum/avg pooling: not conservative in general (see above), but what does not reach the
     * input is exactly what the stabilizer absorbed in the pooling layers, and the input relevance stays positive.
     */
    @Test
    void wSquareEverywhereThroughProportionalPoolingLosesOnlyToTheStabilizer() {
        theory(40).forAll(RandomNetworks.networks(Options.paper(Domain.ANY)))
                .checkAssert(net -> {
                    Explanation e = base(net).rule(Rules.W_SQUARE).explain(net.x());
                    double[] f = e.explainedScores();
                    double[] in = e.ledger().inputSums();
                    double[] stab = e.ledger().absorbedByStabilizer();
                    double[] bias = e.ledger().absorbedByBias();
                    for (int n = 0; n < net.batch(); n++) {
                        if (f[n] < 0) {
                            continue;
                        }
                        double tol = REL * Math.abs(f[n]);
                        assertThat(Math.abs(bias[n])).as("bias absorbs nothing under w²: %s", net).isLessThanOrEqualTo(tol);
                        assertThat(Math.abs(f[n] - in[n] - stab[n])).as("f − input = stabilizer: %s", net)
                                .isLessThanOrEqualTo(tol);
                        assertThat(stab[n]).as("stabilizer absorbs ≥ 0: %s", net).isGreaterThanOrEqualTo(-tol);
                        assertThat(min(row(e.inputRelevance(), n))).as("positive: %s", net)
                                .isGreaterThanOrEqualTo(-POS * f[n]);
                    }
                });
    }

    @Test
    void consistentZeroOutputGivesZeroRelevance() {
        AtomicInteger cases = new AtomicInteger();
        theory(40).forAll(RandomNetworks.networks(Options.paper(Domain.BOX).killed())).checkAssert(net -> {
            ZBoxRule zb = net.zBox();
            Explainer[] explainers = {
                    base(net).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.W_SQUARE),
                    base(net).rule(Rules.Z_PLUS).rule(Selector.first(), zb),
                    base(net).rule(Rules.W_SQUARE),
                    // x in a box with l ≤ 0 may be negative: z⁺ there uses max(0, x_i w_ij), still f = 0 ⇒ R = 0
                    base(net).rule(Rules.Z_PLUS)};
            for (Explainer ex : explainers) {
                Explanation e = ex.explain(net.x());
                for (int n = 0; n < net.batch(); n++) {
                    assertThat(e.explainedScores()[n] == 0).as("generator makes f(x) = 0: %s", net).isTrue();
                }
                for (Map.Entry<String, INDArray> r : e.layerRelevances().entrySet()) {
                    assertZero(RandomNetworks.values(r.getValue()), "R at '" + r.getKey() + "' with " + ex + ": " + net);
                }
                assertZero(RandomNetworks.values(e.inputRelevance()), "input R: " + net);
                for (LedgerEntry le : e.ledger().entries()) {
                    for (int n = 0; n < net.batch(); n++) {
                        assertZero(new double[]{le.in()[n], le.out()[n], le.bias()[n], le.stabilizer()[n]},
                                "ledger of '" + le.node() + "': " + net);
                    }
                }
                cases.incrementAndGet();
            }
        });
        assertThat(cases.get()).isEqualTo(40 * 4);
    }

    /** The generator is not degenerate: every kind of layer, geometry, head and domain feature shows up. */
    @Test
    void generatorCoversTheSpace() {
        List<String> seen = new java.util.ArrayList<>();
        theory(300).forAll(RandomNetworks.networks(Options.paper(Domain.BOX))).checkAssert(net -> seen.add(net.toString()));
        String all = String.join("\n", seen);
        for (String feature : List.of("conv", "dense", " s1 ", " s2 ", " p0 ", " p1 ", " d1", " d2", "maxpool2s2",
                "maxpool2s1", "maxpool3s2p1", "avgpool2s2", "avgpool2s1", "sumpool2", "sumpool3", "head CLASSES",
                "head SUM_POOL", "lin5", "batch 1", "batch 3", "h=[0.0]", "l=[0.0]")) {
            assertThat(all).as("feature '%s' generated", feature).contains(feature);
        }
        assertThat(seen.stream().filter(d -> d.contains("l=[") && d.contains(", ")
                && d.substring(d.indexOf("l=[")).indexOf(',') < d.substring(d.indexOf("l=[")).indexOf(']')))
                .as("per-channel bounds").isNotEmpty();
        assertThat(seen.stream().filter(d -> d.startsWith("input [") && !d.contains("conv"))).as("dense-only").isNotEmpty();
    }

    /** Runs Definitions 1–3 on networks from {@code options}, explaining each element's top class. */
    private static void definitions(Options options, Function<Net, Explainer> explainer) {
        AtomicInteger positive = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        theory(60).forAll(RandomNetworks.networks(options)).checkAssert(net -> {
            Explainer ex = explainer.apply(net);
            Explanation e = ex.explain(net.x());
            double[] f = e.explainedScores();
            double[] logitsCheck = perSample(e.logits());
            for (int n = 0; n < net.batch(); n++) {
                total.incrementAndGet();
                if (net.classes() == 1) {
                    assertThat(f[n]).as("sum-pool head: f ≥ 0: %s", net).isGreaterThanOrEqualTo(0.0);
                    assertThat(f[n]).isEqualTo(logitsCheck[n]);
                }
                if (f[n] < 0) {
                    continue; // Definitions 1–3 are stated for f(x) ≥ 0
                }
                if (f[n] > 0) {
                    positive.incrementAndGet();
                }
                checkElement(net, e, n, f[n]);
            }
        });
        System.out.printf("definitions %s: %d of %d elements with f(x) > 0, worst stabilizer share %.3g of f(x)%n",
                options, positive.get(), total.get(), worstShare.getAndReset());
        // not vacuous: most explained scores are positive
        assertThat(positive.get()).as("elements with f(x) > 0 of %d", total.get())
                .isGreaterThan(total.get() / 2);
    }

    private static void checkElement(Net net, Explanation e, int n, double f) {
        double tol = REL * f;
        String what = "element " + n + " of " + net;
        // Definition 1, layer by layer, following the ledger from the output down. Exact up to float rounding and
        // the stabilizer (docs/conventions.md#stabilizer): whatever does not go on is what the stabilizer absorbed (booked in the
        // ledger); nothing goes to the biases (b ≤ 0 is dropped by z⁺, cancels in z^B, absent from w²).
        double arriving = f;
        for (LedgerEntry le : e.ledger().entries()) {
            double stab = le.stabilizer()[n];
            assertThat(Math.abs(le.in()[n] - arriving)).as("ledger in at '%s' − (f − stabilizer above), f = %s, %s",
                    le.node(), f, what).isLessThanOrEqualTo(tol);
            assertThat(Math.abs(le.in()[n] - le.out()[n] - stab)).as("ledger in − out − stabilizer at '%s', %s",
                    le.node(), what).isLessThanOrEqualTo(tol);
            assertThat(Math.abs(le.bias()[n])).as("bias absorbed at '%s', %s", le.node(), what).isLessThanOrEqualTo(tol);
            assertThat(stab).as("stabilizer absorbed at '%s', %s", le.node(), what).isGreaterThanOrEqualTo(-tol);
            double[] rl = row(e.layerRelevance(le.node()).orElseThrow(), n);
            assertThat(Math.abs(sum(rl) - le.in()[n])).as("Σ recorded R at '%s' − ledger in, %s", le.node(), what)
                    .isLessThanOrEqualTo(tol);
            assertThat(min(rl)).as("min R at '%s', %s", le.node(), what).isGreaterThanOrEqualTo(-POS * f);
            arriving = le.out()[n];
        }
        assertThat(e.layerRelevances()).as("every node and the input recorded")
                .hasSize(net.graph().nodes().size() + 1).containsKey(net.graph().inputName());
        double[] rp = row(e.inputRelevance(), n);
        assertThat(row(e.layerRelevance(net.graph().inputName()).orElseThrow(), n)).isEqualTo(rp);
        double stabilizer = e.ledger().absorbedByStabilizer()[n];
        assertThat(Math.abs(sum(rp) - (f - stabilizer))).as("Σ R_p − (f(x) − stabilizer), f = %s, %s", f, what)
                .isLessThanOrEqualTo(tol);
        assertThat(Math.abs(e.ledger().inputSums()[n] - sum(rp))).as("ledger input, %s", what)
                .isLessThanOrEqualTo(tol);
        // and the stabilizer (1e-12) takes a negligible share: Σ R_p = f(x) to STAB_SHARE
        assertThat(Math.abs(sum(rp) - f)).as("Σ R_p − f(x), f = %s, %s", f, what).isLessThanOrEqualTo(STAB_SHARE * f);
        if (f > 0) {
            worstShare.max(stabilizer / f);
        }
        // Definition 2
        assertThat(min(rp)).as("min R_p, f = %s, %s", f, what).isGreaterThanOrEqualTo(-POS * f);
        // Definition 3 (consistency) in its f(x) = 0 form
        if (f == 0) {
            assertZero(rp, "f(x) = 0 ⇒ R = 0, " + what);
        }
    }

    /** Exactly zero (−0.0 counts as zero). */
    static void assertZero(double[] v, String what) {
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0) {
                throw new AssertionError("expected exactly 0, found " + v[i] + " at flat index " + i + ": " + what);
            }
        }
    }

    static double sum(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s;
    }

    static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double d : v) {
            m = Math.min(m, d);
        }
        return m;
    }
}
