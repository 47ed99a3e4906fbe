package io.github.dtd4j.rules;

import io.github.dtd4j.Explanation;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The loop reference at a few positions of every node, for models too large for {@link ReferenceGraph}'s whole
 * sweep (VGG16 at 224×224 has 10⁹ convolution connections). The explanation must record every node's relevance
 * ({@code Explainer.recordLayers(true)}). For each node's output (and the input) a few positions are drawn; there the
 * relevance the engine recorded must equal the sum, over the node's readers, of what {@link ReferenceLrp}'s formulas
 * send back from the relevance the engine recorded at each reader's output. A Dense/Conv2d reader is handled as a
 * sub-problem: only the outputs that read a drawn position, each with its whole receptive field (its denominator),
 * one output channel (or a block of dense outputs) at a time; under z⁺ the inputs that are 0 are left out, their
 * terms being 0 (this halves the work behind ReLUs). Every node checked against its own readers chains
 * into the whole graph: if each layer is right given the relevance above it, the heatmap is right, and a wrong rule
 * at any one layer shows at that layer.
 */
public final class ReferenceSpots {
    private ReferenceSpots() {
    }

    /** What was checked: how many positions, and the largest |library − reference| / tolerance scale seen. */
    public record Report(int positions, int nonZero, double worstRatio) {
    }

    /**
     * Asserts that the recorded relevance at drawn positions of every node equals the reference's local value.
     *
     * @param what     context for failure messages
     * @param g        the graph as explained ({@code Explainer.compiledGraph()}), in the dtype the explanation ran in
     * @param x        the input, in that dtype
     * @param e        an explanation of {@code x} made with {@code recordLayers(true)}
     * @param s        the rules and settings the explainer was given, as the reference reads them
     * @param perValue positions drawn per node output and batch element (half of them where the recorded relevance
     *                 is not zero)
     * @param seed     seed of the draw
     * @param rel      tolerance, relative to the scale of the terms summed at the position
     * @return what was checked
     */
    public static Report assertAgrees(String what, Graph g, INDArray x, Explanation e, ReferenceGraph.Setup s,
                                      int perValue, long seed, double rel) {
        Map<String, INDArray> acts = io.github.dtd4j.rules.Forwards.run(g, x);
        int batch = (int) x.size(0);
        Map<String, List<Node>> readers = new LinkedHashMap<>();
        readers.put(g.inputName(), new ArrayList<>());
        for (Node n : g.nodes()) {
            readers.put(n.name(), new ArrayList<>());
        }
        for (Node n : g.nodes()) {
            for (String in : new LinkedHashSet<>(n.inputs())) {
                readers.get(in).add(n);
            }
        }
        // the output: the explained logit at the target, nothing elsewhere
        double[][] out = ReferenceLrp.readBatch(acts.get(g.outputName()));
        double[][] rOut = ReferenceLrp.readBatch(recorded(e, g.outputName()));
        int[] t = e.targets();
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < out[b].length; k++) {
                Assertions.assertThat(rOut[b][k]).as("%s: relevance at output %d of element %d", what, k, b)
                        .isEqualTo(k == t[b] ? out[b][k] : 0.0, Assertions.within(1e-12 * Math.abs(out[b][k])));
            }
        }
        Random rnd = new Random(seed);
        int positions = 0;
        int nonZero = 0;
        double worst = 0;
        for (Map.Entry<String, List<Node>> v : readers.entrySet()) {
            if (v.getValue().isEmpty()) {
                continue; // the output, or a value nothing reads
            }
            String name = v.getKey();
            double[][] got = ReferenceLrp.readBatch(recorded(e, name));
            int[][] pos = new int[batch][];
            for (int b = 0; b < batch; b++) {
                pos[b] = draw(got[b], perValue, rnd);
            }
            double[][] ref = new double[batch][perValue];
            double[][] scale = new double[batch][perValue];
            for (Node reader : v.getValue()) {
                for (int slot = 0; slot < reader.inputs().size(); slot++) {
                    if (reader.inputs().get(slot).equals(name)) {
                        contribute(reader, slot, acts, ReferenceLrp.readBatch(recorded(e, reader.name())), pos, s,
                                ref, scale);
                    }
                }
            }
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < perValue; k++) {
                    int p = pos[b][k];
                    double diff = Math.abs(got[b][p] - ref[b][k]);
                    double tol = rel * scale[b][k] + 1e-300;
                    worst = Math.max(worst, diff / tol);
                    positions++;
                    nonZero += ref[b][k] != 0 ? 1 : 0;
                    if (!(diff <= tol)) {
                        Assertions.fail(String.format(Locale.ROOT, "%s: relevance at '%s' (read by %s), element %d, "
                                        + "position %d: library %s, reference %s (tolerance %.3g)", what, name,
                                v.getValue().stream().map(Node::name).toList(), b, p, got[b][p], ref[b][k], tol));
                    }
                }
            }
        }
        Assertions.assertThat(nonZero).as("%s: positions with relevance", what).isPositive();
        return new Report(positions, nonZero, worst);
    }

    private static INDArray recorded(Explanation e, String node) {
        return e.layerRelevance(node).orElseThrow(() -> new IllegalArgumentException(
                "no relevance recorded at " + node + ": explain with recordLayers(true)"));
    }

    /** {@return {@code k} positions: the largest |r|, then half drawn among the non-zero ones, the rest anywhere} */
    static int[] draw(double[] r, int k, Random rnd) {
        int[] nz = java.util.stream.IntStream.range(0, r.length).filter(i -> r[i] != 0).toArray();
        int[] p = new int[k];
        int top = 0;
        for (int i = 1; i < r.length; i++) {
            top = Math.abs(r[i]) > Math.abs(r[top]) ? i : top;
        }
        p[0] = top;
        for (int i = 1; i < k; i++) {
            p[i] = i <= k / 2 && nz.length > 0 ? nz[rnd.nextInt(nz.length)] : rnd.nextInt(r.length);
        }
        return p;
    }

    /**
     * Adds what {@code reader} sends to its input {@code slot} at the drawn positions to {@code ref}, and the scale
     * of the terms to {@code scale}.
     */
    private static void contribute(Node reader, int slot, Map<String, INDArray> acts, double[][] rAbove,
                                   int[][] pos, ReferenceGraph.Setup s, double[][] ref, double[][] scale) {
        INDArray in = acts.get(reader.inputs().get(slot));
        double[][] x = ReferenceLrp.readBatch(in);
        if (reader.layer() instanceof Conv2d || reader.layer() instanceof Dense) {
            if (reader.layer() instanceof Conv2d c) {
                for (int b = 0; b < x.length; b++) {
                    conv(c, s.ruleOf(reader), s, in, x[b], rAbove[b], pos[b], ref[b], scale[b]);
                }
            } else {
                dense((Dense) reader.layer(), s.ruleOf(reader), s, x, rAbove, pos, ref, scale);
            }
            for (int b = 0; b < x.length; b++) {
                for (int k = 0; k < pos[b].length; k++) {
                    scale[b][k] += maxAbs(rAbove[b]) * 1e-6; // a floor where no term reaches the position
                }
            }
        } else if (reader.layer() instanceof Add) {
            // R_k = x_k / stab(d) · R: its rounding grows with Σ|x| / |d| where the inputs cancel
            List<double[][]> xs = new ArrayList<>();
            for (String name : reader.inputs()) {
                xs.add(ReferenceLrp.readBatch(acts.get(name)));
            }
            List<double[][]> sent = ReferenceLrp.add(xs, rAbove, s.stabilizer(), s.positiveSplit()).relevance();
            for (int b = 0; b < x.length; b++) {
                for (int k = 0; k < pos[b].length; k++) {
                    int p = pos[b][k];
                    double sum = 0;
                    double d = 0;
                    for (double[][] xk : xs) {
                        double v = s.positiveSplit() ? Math.max(0, xk[b][p]) : xk[b][p];
                        sum += Math.abs(v);
                        d += v;
                    }
                    ref[b][k] += sent.get(slot)[b][p];
                    scale[b][k] += Math.abs(sent.get(slot)[b][p]) * (1 + sum / Math.abs(ReferenceLrp.stab(d,
                            s.stabilizer()))) + Math.abs(rAbove[b][p]) * 1e-3;
                }
            }
        } else {
            // pooling, concatenation, pass-through: the whole layer at once (these are cheap)
            List<double[][]> sent = ReferenceGraph.send(reader, acts, x, rAbove, s);
            for (int b = 0; b < x.length; b++) {
                for (int k = 0; k < pos[b].length; k++) {
                    double v = sent.get(slot)[b][pos[b][k]];
                    ref[b][k] += v;
                    scale[b][k] += Math.abs(v) + maxAbs(rAbove[b]) * 1e-6;
                }
            }
        }
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * One batch element of a convolution: for each output channel, the outputs that read a drawn position, each with
     * its whole receptive field, as {@link ReferenceLrp.Connections} with local indices; {@link ReferenceLrp#propagate}
     * does the rest.
     */
    private static void conv(Conv2d c, ReferenceLrp.RefRule rule, ReferenceGraph.Setup s, INDArray in, double[] x,
                             double[] rAbove, int[] pos, double[] ref, double[] scale) {
        int cIn = (int) in.size(1);
        int h = (int) in.size(2);
        int w = (int) in.size(3);
        long[] ws = c.weight().shape();
        int outCh = (int) ws[0];
        int cinG = (int) ws[1];
        int kh = (int) ws[2];
        int kw = (int) ws[3];
        int outPerGroup = outCh / c.groups();
        int oh = ReferenceLrp.convOut(h, c.padTop(), c.padBottom(), kh, c.dilationH(), c.strideH());
        int ow = ReferenceLrp.convOut(w, c.padLeft(), c.padRight(), kw, c.dilationW(), c.strideW());
        double[] wt = ReferenceLrp.numbers(c.weight());
        double[] bias = c.bias() == null ? new double[outCh] : ReferenceLrp.numbers(c.bias());
        int[] local = new int[cIn * h * w]; // global input index -> index in the sub-problem, -1 if not in it
        boolean zPlus = rule instanceof ReferenceLrp.ZPlus;
        Arrays.fill(local, -1);
        for (int o = 0; o < outCh; o++) {
            int g = o / outPerGroup;
            // the outputs of channel o that read a drawn position
            Set<Integer> outs = new LinkedHashSet<>();
            for (int p : pos) {
                int ch = p / (h * w);
                if (ch / cinG != g) {
                    continue;
                }
                int y = p / w % h;
                int xx = p % w;
                for (int ky = 0; ky < kh; ky++) {
                    int ty = y + c.padTop() - ky * c.dilationH();
                    if (ty < 0 || ty % c.strideH() != 0 || ty / c.strideH() >= oh) {
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        int tx = xx + c.padLeft() - kx * c.dilationW();
                        if (tx < 0 || tx % c.strideW() != 0 || tx / c.strideW() >= ow) {
                            continue;
                        }
                        int j = (o * oh + ty / c.strideH()) * ow + tx / c.strideW();
                        if (rAbove[j] != 0) { // an output without relevance sends none
                            outs.add(j);
                        }
                    }
                }
            }
            if (outs.isEmpty()) {
                continue;
            }
            int n = outs.size() * cinG * kh * kw;
            int[] ci = new int[n];
            int[] cj = new int[n];
            double[] cw = new double[n];
            int[] globalIn = new int[n];
            int nLocal = 0;
            int e = 0;
            int jl = 0;
            double[] r = new double[outs.size()];
            for (int j : outs) {
                int oy = j / ow % oh;
                int ox = j % ow;
                for (int cg = 0; cg < cinG; cg++) {
                    int ch = g * cinG + cg;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * c.strideH() - c.padTop() + ky * c.dilationH();
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * c.strideW() - c.padLeft() + kx * c.dilationW();
                            if (ix < 0 || ix >= w) {
                                continue;
                            }
                            int gi = (ch * h + iy) * w + ix;
                            if (zPlus && x[gi] == 0) {
                                continue; // max(0, 0·w) = 0: the term is zero in the numerator and the denominator
                            }
                            if (local[gi] < 0) {
                                local[gi] = nLocal;
                                globalIn[nLocal++] = gi;
                            }
                            ci[e] = local[gi];
                            cj[e] = jl;
                            cw[e] = wt[((o * cinG + cg) * kh + ky) * kw + kx];
                            e++;
                        }
                    }
                }
                r[jl] = rAbove[j];
                jl++;
            }
            double[] xl = new double[nLocal];
            int[] chl = new int[nLocal];
            for (int i = 0; i < nLocal; i++) {
                xl[i] = x[globalIn[i]];
                chl[i] = globalIn[i] / (h * w);
            }
            double[] bl = new double[outs.size()];
            Arrays.fill(bl, bias[o]);
            ReferenceLrp.Connections conn = new ReferenceLrp.Connections(nLocal, outs.size(),
                    Arrays.copyOf(ci, e), Arrays.copyOf(cj, e), Arrays.copyOf(cw, e), bl, chl);
            ReferenceLrp.Result res = ReferenceLrp.propagate(conn, new double[][]{xl}, new double[][]{r}, rule,
                    s.stabilizer(), s.ignoreBias());
            for (int k = 0; k < pos.length; k++) {
                int li = local[pos[k]];
                if (li >= 0) {
                    ref[k] += res.relevance()[0][li];
                    scale[k] += res.magnitude()[0][li];
                }
            }
            for (int i = 0; i < nLocal; i++) {
                local[globalIn[i]] = -1;
            }
        }
        if (cIn != cinG * c.groups()) {
            throw new IllegalStateException("channels");
        }
    }

    /**
     * A dense layer, all batch elements at once, a block of outputs at a time: every input of the block is in the
     * sub-problem (each output's denominator sums over all of them); the drawn positions are read off.
     */
    private static void dense(Dense d, ReferenceLrp.RefRule rule, ReferenceGraph.Setup s, double[][] x,
                              double[][] rAbove, int[][] pos, double[][] ref, double[][] scale) {
        int nIn = (int) d.weight().size(0);
        int nOut = (int) d.weight().size(1);
        int block = Math.max(1, Math.min(nOut, 2_000_000 / nIn));
        double[] bias = d.bias() == null ? new double[nOut] : ReferenceLrp.numbers(d.bias());
        int[] ch = new int[nIn];
        for (int i = 0; i < nIn; i++) {
            ch[i] = i;
        }
        boolean[] zeroForZPlus = new boolean[nIn];
        for (int i = 0; i < nIn; i++) {
            boolean zero = rule instanceof ReferenceLrp.ZPlus;
            for (double[] xb : x) {
                zero &= xb[i] == 0;
            }
            zeroForZPlus[i] = zero;
        }
        for (int j0 = 0; j0 < nOut; j0 += block) {
            int j1 = Math.min(nOut, j0 + block);
            int[] live = java.util.stream.IntStream.range(j0, j1).filter(j -> {
                for (double[] r : rAbove) {
                    if (r[j] != 0) {
                        return true;
                    }
                }
                return false; // an output without relevance sends none
            }).toArray();
            if (live.length == 0) {
                continue;
            }
            double[] wb = ReferenceLrp.numbers(d.weight().get(NDArrayIndex.all(), NDArrayIndex.interval(j0, j1)));
            int m = live.length;
            int[] ci = new int[nIn * m];
            int[] cj = new int[nIn * m];
            double[] cw = new double[nIn * m];
            int e = 0;
            for (int i = 0; i < nIn; i++) {
                if (zeroForZPlus[i]) {
                    continue; // max(0, 0·w) = 0 for every element: the term is zero throughout
                }
                for (int jl = 0; jl < m; jl++) {
                    ci[e] = i;
                    cj[e] = jl;
                    cw[e] = wb[i * (j1 - j0) + live[jl] - j0];
                    e++;
                }
            }
            ci = Arrays.copyOf(ci, e);
            cj = Arrays.copyOf(cj, e);
            cw = Arrays.copyOf(cw, e);
            double[] bl = new double[m];
            double[][] r = new double[x.length][m];
            for (int jl = 0; jl < m; jl++) {
                bl[jl] = bias[live[jl]];
                for (int b = 0; b < x.length; b++) {
                    r[b][jl] = rAbove[b][live[jl]];
                }
            }
            ReferenceLrp.Result res = ReferenceLrp.propagate(new ReferenceLrp.Connections(nIn, m, ci, cj, cw, bl, ch),
                    x, r, rule, s.stabilizer(), s.ignoreBias());
            for (int b = 0; b < x.length; b++) {
                for (int k = 0; k < pos[b].length; k++) {
                    ref[b][k] += res.relevance()[b][pos[b][k]];
                    scale[b][k] += res.magnitude()[b][pos[b][k]];
                }
            }
        }
    }
}
