package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Concept relevance propagation (Achtibat et al., "From attribution maps to human-understandable explanations
 * through Concept Relevance Propagation", Nature Machine Intelligence 2023): LRP conditioned on concepts, i.e. on
 * channels of one layer. Two sweeps of the LRP explainer the user supplies, with all its rules:
 * <ol>
 *   <li>the sweep from the explained class, stopped at the layer ({@link Explainer#stopAt}): the relevance R at the
 *   layer's output;</li>
 *   <li>for each concept, R with every channel outside the concept set to zero, and the sweep started from it at the
 *   layer ({@link Start#relevance(String, INDArray)}) down to the explainer's end (the input).</li>
 * </ol>
 * A concept is a set of channels (the layer's output axis 1: a convolution's channels, a dense layer's units):
 * {@link #withChannels(int...)} makes each channel a concept, {@link #withConcepts(int[]...)} groups them; by
 * default every channel is a concept of its own.
 *
 * <p>Results. {@link #attribute} keeps the {@link Attribution} contract: its attribution is shaped like the input
 * and is the sum of the concepts' heatmaps, which for disjoint concepts is the heatmap conditioned on their union;
 * its extras hold {@code "concepts"}, {@code [N, M, ...input shape]}, the heatmap of each of the M concepts;
 * {@code "concept-relevance"}, {@code [N, M]}, the relevance each concept carries at the layer; and
 * {@code "layer-relevance"}, R at the layer. {@link #attributeConcepts} gives one {@link Attributions} per concept,
 * each with its sweep's ledger, for per-concept pictures. {@link #rankChannels} ranks the layer's channels by
 * their relevance (first sweep only).
 *
 * <p>Properties (every propagation of dtd4j is linear in the relevance): the heatmaps of concepts that partition
 * the channels sum to the explainer's full heatmap when every path from the layer's inputs to the output passes
 * through the layer (relevance that goes around it, by a residual shortcut, is in neither); and with conservative
 * rules below the layer (z⁺ with biases ignored) each concept's heatmap sums to that concept's relevance at the
 * layer, up to what the stabilizer absorbs (each concept's ledger books it). Cost: one sweep to the layer and one
 * sweep from the layer per concept.
 */
public final class Crp implements Attribution {
    private final Explainer lrp;
    private final String layer;
    /** Null: every channel is a concept. */
    private final int[][] concepts;

    Crp(Explainer lrp, String layer, int[][] concepts) {
        if (lrp == null) {
            throw new ConfigurationException("crp: the explainer is null");
        }
        this.lrp = lrp;
        this.layer = layer;
        this.concepts = concepts == null ? null : copy(concepts);
        if (layer != null) {
            long channels = channels();
            if (this.concepts != null) {
                for (int m = 0; m < this.concepts.length; m++) {
                    if (this.concepts[m] == null || this.concepts[m].length == 0) {
                        throw new ConfigurationException("crp: concept " + m + " has no channels");
                    }
                    for (int c : this.concepts[m]) {
                        if (c < 0 || c >= channels) {
                            throw new ConfigurationException("crp: channel " + c + " is not a channel of layer '" + layer
                                    + "', whose output is " + graph().shapeOf(layer).toBatchString() + " (channels 0.."
                                    + (channels - 1) + ")");
                        }
                    }
                }
            }
        }
    }

    private static int[][] copy(int[][] a) {
        int[][] c = new int[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] == null ? null : a[i].clone();
        }
        return c;
    }

    private Graph graph() {
        return lrp.compiledGraph();
    }

    /** {@return the number of channels of the layer's output, checking the layer} */
    private long channels() {
        Graph g = graph();
        if (layer.equals(g.inputName())) {
            throw new ConfigurationException("crp: '" + layer + "' is the input, not a layer; choose a node");
        }
        if (g.node(layer).isEmpty()) {
            boolean folded = lrp.model().node(layer).isPresent();
            throw new ConfigurationException("crp: no node '" + layer + "' in the graph" + (folded
                    ? " the explainer runs on (folded into the layer before it; explain with batchNorm(BYPASS) to keep it)"
                    : " (" + g.nodes().size() + " nodes, from '" + g.nodes().get(0).name() + "' to '"
                    + g.outputName() + "')"));
        }
        Shape s = g.shapeOf(layer);
        return s.dim(0);
    }

    /** {@return the explainer} */
    public Explainer explainer() {
        return lrp;
    }

    /** {@return the layer, or null if none was chosen} */
    public String layer() {
        return layer;
    }

    /** {@return a copy conditioned on another layer's channels} @param node a node of the explainer's graph */
    public Crp withLayer(String node) {
        if (node == null) {
            throw new ConfigurationException("crp: the layer name is null");
        }
        return new Crp(lrp, node, concepts);
    }

    /** {@return a copy whose concepts are these channels, one concept each} @param channels of the layer */
    public Crp withChannels(int... channels) {
        if (channels == null || channels.length == 0) {
            throw new ConfigurationException("crp: no channels given");
        }
        int[][] c = new int[channels.length][];
        for (int i = 0; i < channels.length; i++) {
            c[i] = new int[]{channels[i]};
        }
        return new Crp(lrp, layer, c);
    }

    /** {@return a copy whose concepts are these groups of channels} @param groups one non-empty array per concept */
    public Crp withConcepts(int[]... groups) {
        if (groups == null || groups.length == 0) {
            throw new ConfigurationException("crp: no concepts given");
        }
        return new Crp(lrp, layer, groups);
    }

    @Override
    public String name() {
        return "crp";
    }

    @Override
    public String settings() {
        String c = concepts == null ? "every channel" : Arrays.stream(concepts)
                .map(g -> g.length == 1 ? Integer.toString(g[0]) : Arrays.toString(g)).collect(Collectors.joining(", ",
                        "concepts ", ""));
        return "layer=" + layer + ", " + c;
    }

    private int[][] concepts() {
        if (layer == null) {
            throw new ConfigurationException("crp: no layer chosen (withLayer)");
        }
        if (concepts != null) {
            return concepts;
        }
        int[][] all = new int[(int) channels()][];
        for (int k = 0; k < all.length; k++) {
            all[k] = new int[]{k};
        }
        return all;
    }

    private static void checkStart(Start start) {
        if (start instanceof Start.Tensor t && t.node() != null) {
            throw new ConfigurationException("crp: a start at an intermediate node is not supported");
        }
    }

    /** The first sweep: relevance at the layer, logits, targets. */
    private Explanation toLayer(INDArray x, Start start) {
        checkStart(start);
        return lrp.stopAt(layer).explain(x, start);
    }

    /** {@return R with every channel outside {@code keep} set to zero, a new array} */
    private static INDArray mask(INDArray r, int[] keep) {
        INDArray out = Nd4j.zeros(r.dataType(), r.shape());
        for (int c : keep) {
            INDArrayIndex[] idx = new INDArrayIndex[r.rank()];
            Arrays.fill(idx, NDArrayIndex.all());
            idx[1] = NDArrayIndex.point(c);
            out.get(idx).assign(r.get(idx));
        }
        return out;
    }

    private record Swept(Explanation first, int[][] concepts, List<Explanation> perConcept, double[][] relevance) {
    }

    private Swept sweep(INDArray x, Start start) {
        int[][] groups = concepts();
        Explanation first = toLayer(x, start);
        INDArray r = first.inputRelevance();
        int n = (int) r.size(0);
        List<Explanation> out = new ArrayList<>(groups.length);
        double[][] rel = new double[n][groups.length];
        for (int m = 0; m < groups.length; m++) {
            INDArray masked = mask(r, groups[m]);
            double[] s = masked.reshape('c', n, masked.length() / n).sum(1).toDoubleVector();
            for (int i = 0; i < n; i++) {
                rel[i][m] = s[i];
            }
            out.add(lrp.explain(x, Start.relevance(layer, masked)));
        }
        return new Swept(first, groups, out, rel);
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        Swept s = sweep(x, start);
        int mCount = s.concepts().length;
        INDArray[] parts = new INDArray[mCount];
        INDArray sum = null;
        for (int m = 0; m < mCount; m++) {
            INDArray h = s.perConcept().get(m).inputRelevance();
            sum = sum == null ? h.dup() : sum.addi(h);
            long[] shape = h.shape().clone();
            long[] withConcept = new long[shape.length + 1];
            withConcept[0] = shape[0];
            withConcept[1] = 1;
            System.arraycopy(shape, 1, withConcept, 2, shape.length - 1);
            parts[m] = h.reshape('c', withConcept);
        }
        Map<String, INDArray> extras = new LinkedHashMap<>();
        extras.put("concepts", Nd4j.concat(1, parts));
        extras.put("concept-relevance", Nd4j.create(s.relevance()).castTo(sum.dataType()));
        extras.put("layer-relevance", s.first().inputRelevance());
        return new Attributions(name(), sum, s.first().logits(), s.first().targets(), extras, null, null);
    }

    /**
     * {@return one result per concept, in the order of the concepts}: each attribution shaped like the input, the
     * concept's relevance at the layer in the extras ({@code "concept-relevance"}, {@code [N]}), and the ledger of
     * the concept's sweep (its start is the concept's relevance at the layer)
     *
     * @param x     {@code [N, ...inputShape]}
     * @param start the explained classes, or a relevance tensor at the output
     */
    public List<Attributions> attributeConcepts(INDArray x, Start start) {
        Swept s = sweep(x, start);
        List<Attributions> out = new ArrayList<>();
        int n = s.relevance().length;
        for (int m = 0; m < s.concepts().length; m++) {
            Explanation e = s.perConcept().get(m);
            double[] rel = new double[n];
            for (int i = 0; i < n; i++) {
                rel[i] = s.relevance()[i][m];
            }
            out.add(new Attributions(name() + " " + Arrays.toString(s.concepts()[m]), e.inputRelevance(),
                    s.first().logits(), s.first().targets(),
                    Map.of("concept-relevance", Nd4j.createFromArray(rel).castTo(e.inputRelevance().dataType())), null,
                    e.ledger()));
        }
        return out;
    }

    /**
     * {@return the layer's channels ranked by the relevance they carry for the explained decision}: one sweep, to the
     * layer; the concepts play no part
     *
     * @param x     {@code [N, ...inputShape]}
     * @param start the explained classes, or a relevance tensor at the output
     */
    public ChannelRanking rankChannels(INDArray x, Start start) {
        if (layer == null) {
            throw new ConfigurationException("crp: no layer chosen (withLayer)");
        }
        try (Explanation e = toLayer(x, start)) {
            INDArray r = e.inputRelevance();
            int n = (int) r.size(0);
            int c = (int) r.size(1);
            INDArray perChannel = r.reshape('c', n, c, r.length() / ((long) n * c)).sum(2);
            return new ChannelRanking(layer, perChannel.toDoubleMatrix(), e.targets(), e.logits().dup());
        }
    }
}
