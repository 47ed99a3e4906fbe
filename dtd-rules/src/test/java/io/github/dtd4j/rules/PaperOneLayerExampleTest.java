package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.spi.Rule;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The paper's §4 one-layer detection-pooling network (Eq. 7),
 * {@code x_j = max(0, Σ_i x_i w_ij + b_j)}, {@code x_k = Σ_j x_j}, with b ≤ 0, explained with the w² (§4.1), z⁺ and
 * z^B (§4.2) rules. Every expected relevance is computed by hand below, from R_k = x_k, R_j = x_j (Eq. 10) and
 * R_i = Σ_j q_ij / Σ_i' q_i'j · R_j.
 *
 * <pre>
 * 3 inputs, 3 detection units, b = (−1, −2, 0):
 *              unit 1   unit 2   unit 3
 *   w_1j  =      1       −1       −1
 *   w_2j  =      2        1       −1
 *   w_3j  =     −1        3        0
 *   b_j   =     −1       −2        0
 * </pre>
 */
class PaperOneLayerExampleTest {

    /** The explainer's stabilizer; it shifts every value by far less than the tolerance below. */
    static final double EPS = 1e-12;
    /**
     * 1e-12, scaled by |expected| for values above 1: the stabilizer 1e-12 enters twice (sum pooling, rule), each time
     * as a relative error ≲ 1e-12 / denominator ≈ 2e-13, so a relevance of ≈ 3.4 is off by up to ≈ 1e-12 absolute.
     */
    static final double TOL = 1e-12;

    static final double[][] W = {{1, -1, -1}, {2, 1, -1}, {-1, 3, 0}};
    static final double[] B = {-1, -2, 0};

    static Graph network() {
        return Graph.sequential(3).dense("detect", Nd4j.create(W), Nd4j.create(B)).relu().sumPool(3).build();
    }

    static Explanation explain(Rule rule, double[]... x) {
        return Explainer.of(network()).rule(rule).precision(Precision.FLOAT64).stabilizer(EPS).recordLayers(true)
                .explain(Nd4j.create(x));
    }

    /** Asserts R_i against the hand-computed literals, then conservation Σ R_i = x_k and positivity R_i ≥ 0. */
    static void check(Explanation e, double[][] xj, double[][] expected) {
        INDArray r = e.inputRelevance();
        INDArray rj = e.layerRelevance("detect").orElseThrow();
        for (int n = 0; n < expected.length; n++) {
            double xk = 0;
            for (int j = 0; j < 3; j++) {
                xk += xj[n][j];
                // Eq. (10): R_j = x_j
                assertThat(rj.getDouble(n, j)).as("R_j, sample %d unit %d", n, j)
                        .isCloseTo(xj[n][j], within(TOL * Math.max(1, xj[n][j])));
            }
            assertThat(e.explainedScores()[n]).as("x_k, sample %d", n).isCloseTo(xk, within(1e-15));
            double sum = 0;
            for (int i = 0; i < 3; i++) {
                double got = r.getDouble(n, i);
                assertThat(got).as("R_%d, sample %d", i + 1, n)
                        .isCloseTo(expected[n][i], within(TOL * Math.max(1, Math.abs(expected[n][i]))));
                assertThat(got).as("positivity of R_%d, sample %d", i + 1, n).isGreaterThanOrEqualTo(0);
                sum += got;
            }
            // conservation (Definition 1): Σ_i R_i = R_k = x_k
            assertThat(sum).as("conservation, sample %d", n).isCloseTo(xk, within(1e-11));
        }
    }

    /*
     * Forward pass of the three inputs used below.
     *   xa = (1, 2, 1):  z_1 = 1·1 + 2·2 + 1·(−1) − 1 = 3
     *                    z_2 = 1·(−1) + 2·1 + 1·3 − 2 = 2
     *                    z_3 = 1·(−1) + 2·(−1) + 1·0 + 0 = −3  → x_j = (3, 2, 0), x_k = 5
     *   xb = (−1, 2, 1): z_1 = −1 + 4 − 1 − 1 = 1
     *                    z_2 = 1 + 2 + 3 − 2 = 4
     *                    z_3 = 1 − 2 + 0 = −1                   → x_j = (1, 4, 0), x_k = 5
     *   xc = (0, 1, 2):  z_1 = 0 + 2 − 2 − 1 = −1
     *                    z_2 = 0 + 1 + 6 − 2 = 5
     *                    z_3 = 0 − 1 + 0 = −1                   → x_j = (0, 5, 0), x_k = 5
     * R_k = x_k, and sum pooling gives R_j = x_j (Eq. 10).
     */
    static final double[] XA = {1, 2, 1};
    static final double[] XB = {-1, 2, 1};
    static final double[] XC = {0, 1, 2};
    static final double[] XJ_A = {3, 2, 0};
    static final double[] XJ_B = {1, 4, 0};
    static final double[] XJ_C = {0, 5, 0};

    @Test
    void wSquareRule() {
        /*
         * w²-rule (Eq. 13), independent of x: q_ij = w_ij².
         *   unit 1: w² = (1, 4, 1), Σ = 6
         *   unit 2: w² = (1, 1, 9), Σ = 11
         *   unit 3: w² = (1, 1, 0), Σ = 2   (R_3 = 0: contributes nothing)
         * xa, R_j = (3, 2, 0):
         *   R_1 = 1/6·3 + 1/11·2 = 1/2 + 2/11  = 15/22
         *   R_2 = 4/6·3 + 1/11·2 = 2 + 2/11    = 24/11
         *   R_3 = 1/6·3 + 9/11·2 = 1/2 + 18/11 = 47/22      Σ = (15 + 48 + 47)/22 = 5
         * xb, R_j = (1, 4, 0):
         *   R_1 = 1/6·1 + 1/11·4 = 1/6 + 4/11  = 35/66
         *   R_2 = 4/6·1 + 1/11·4 = 2/3 + 4/11  = 34/33
         *   R_3 = 1/6·1 + 9/11·4 = 1/6 + 36/11 = 227/66     Σ = (35 + 68 + 227)/66 = 5
         */
        Explanation e = explain(Rules.W_SQUARE, XA, XB);
        check(e, new double[][]{XJ_A, XJ_B}, new double[][]{
                {15.0 / 22, 24.0 / 11, 47.0 / 22},
                {35.0 / 66, 34.0 / 33, 227.0 / 66}});
    }

    @Test
    void zPlusRule() {
        /*
         * z⁺-rule on x ≥ 0: q_ij = x_i w⁺_ij, bias max(0, b_j) = 0 since b ≤ 0.
         * xa = (1, 2, 1), R_j = (3, 2, 0):
         *   unit 1: w⁺ = (1, 2, 0) → q = (1·1, 2·2, 1·0) = (1, 4, 0), Σ = 5
         *   unit 2: w⁺ = (0, 1, 3) → q = (0, 2·1, 1·3) = (0, 2, 3), Σ = 5
         *   unit 3: w⁺ = (0, 0, 0) → q = 0, R_3 = 0
         *   R_1 = 1/5·3           = 3/5
         *   R_2 = 4/5·3 + 2/5·2   = 12/5 + 4/5 = 16/5
         *   R_3 = 0/5·3 + 3/5·2   = 6/5                     Σ = 25/5 = 5
         * xc = (0, 1, 2), R_j = (0, 5, 0): only unit 2 is active
         *   unit 2: q = (0·0, 1·1, 2·3) = (0, 1, 6), Σ = 7
         *   R_1 = 0, R_2 = 1/7·5 = 5/7, R_3 = 6/7·5 = 30/7   Σ = 35/7 = 5
         */
        Explanation e = explain(Rules.Z_PLUS, XA, XC);
        check(e, new double[][]{XJ_A, XJ_C}, new double[][]{
                {3.0 / 5, 16.0 / 5, 6.0 / 5},
                {0, 5.0 / 7, 30.0 / 7}});
    }

    @Test
    void zBoxRule() {
        /*
         * z^B-rule with the box l = −1, h = 2: q_ij = x_i w_ij − l w⁺_ij − h w⁻_ij = x_i w_ij + w⁺_ij − 2 w⁻_ij.
         * xa = (1, 2, 1), R_j = (3, 2, 0):
         *   unit 1, w = (1, 2, −1):  q = (1 + 1, 4 + 2, −1 + 2) = (2, 6, 1), Σ = 9
         *   unit 2, w = (−1, 1, 3):  q = (−1 + 2, 2 + 1, 3 + 3) = (1, 3, 6), Σ = 10
         *   unit 3: R_3 = 0
         *   R_1 = 2/9·3 + 1/10·2 = 2/3 + 1/5 = 13/15
         *   R_2 = 6/9·3 + 3/10·2 = 2 + 3/5   = 13/5
         *   R_3 = 1/9·3 + 6/10·2 = 1/3 + 6/5 = 23/15         Σ = (13 + 39 + 23)/15 = 5
         * xb = (−1, 2, 1), R_j = (1, 4, 0); x_1 = l, so x_1 is at the root of unit 1 (w_11 > 0):
         *   unit 1, w = (1, 2, −1):  q = (−1 + 1, 4 + 2, −1 + 2) = (0, 6, 1), Σ = 7
         *   unit 2, w = (−1, 1, 3):  q = (1 + 2, 2 + 1, 3 + 3) = (3, 3, 6), Σ = 12
         *   R_1 = 0/7·1 + 3/12·4 = 1
         *   R_2 = 6/7·1 + 3/12·4 = 6/7 + 1 = 13/7
         *   R_3 = 1/7·1 + 6/12·4 = 1/7 + 2 = 15/7            Σ = 1 + 28/7 = 5
         */
        Explanation e = explain(Rules.zBox(-1, 2), XA, XB);
        check(e, new double[][]{XJ_A, XJ_B}, new double[][]{
                {13.0 / 15, 13.0 / 5, 23.0 / 15},
                {1, 13.0 / 7, 15.0 / 7}});
    }
}
