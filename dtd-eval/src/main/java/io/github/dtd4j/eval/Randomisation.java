package io.github.dtd4j.eval;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.methods.Attribution;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The model-randomisation sanity check (Adebayo, Gilmer, Muelly, Goodfellow, Hardt, Kim 2018, "Sanity checks for
 * saliency maps"), cascading from the top: stage 0 is the trained model; stage j re-draws the parameters of the j
 * parameterised layers closest to the output (Dense and Conv2d weights and biases, BatchNorm's γ and β; its running
 * statistics stay), so that the last stage has destroyed every learned layer. A re-drawn tensor {@code a} gets
 * independent normal values with the mean and standard deviation of {@code a} itself (its scale is kept, its
 * content lost), from a generator seeded by {@code (seed, node index, tensor index)}.
 *
 * <p>At each stage the method is rebuilt on the randomised model by the given factory and explains the same images
 * for the classes the trained model predicts; the score is the Spearman rank correlation, per image, between the
 * channel-summed heatmap of the stage and that of the trained model (ties get their average rank), and its absolute
 * variant on |heatmap| (Adebayo et al. report both), averaged over the images. A method that passes the check has
 * correlations that fall towards 0 as layers are destroyed; a method whose heatmap stays (correlation near 1 at the
 * last stage) does not depend on what the model learned.
 *
 * <pre>{@code
 * Randomisation.Result r = Randomisation.of(graph).evaluate(Methods::gradient, x);
 * boolean fails = r.spearman()[r.stages().size() - 1] > 0.5;
 * }</pre>
 */
public final class Randomisation {
    private static final String NAME = "randomisation";

    private final Graph graph;
    private final Precision precision;
    private final long seed;
    private final int batchSize;

    private Randomisation(Graph graph, Precision precision, long seed, int batchSize) {
        new Model(NAME, graph, precision, batchSize);
        if (layers(graph).isEmpty()) {
            throw new ConfigurationException(NAME + ": the model has no Dense, Conv2d or BatchNorm layer to randomise");
        }
        this.graph = graph;
        this.precision = precision;
        this.seed = seed;
        this.batchSize = batchSize;
    }

    /** {@return the cascading check on {@code model}, seed 0, float32, 64 images per call} @param model the model */
    public static Randomisation of(Graph model) {
        if (model == null) {
            throw new ConfigurationException(NAME + ": the model is null");
        }
        return new Randomisation(model, Precision.FLOAT32, 0, 64);
    }

    /** {@return a copy with another seed for the re-drawn parameters} @param s the seed */
    public Randomisation withSeed(long s) {
        return new Randomisation(graph, precision, s, batchSize);
    }

    /** {@return a copy whose forward passes run in {@code p} (the method keeps its own)} @param p the precision */
    public Randomisation withPrecision(Precision p) {
        return new Randomisation(graph, p, seed, batchSize);
    }

    /** {@return a copy that gives the method {@code n} images per call} @param n &gt;= 1 */
    public Randomisation withBatchSize(int n) {
        return new Randomisation(graph, precision, seed, n);
    }

    /** {@return the settings, for reports} */
    public String settings() {
        return "cascading from the top, seed=" + seed + ", " + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {@return the parameterised layers, from the output down: the order in which the stages destroy them} */
    public List<String> layers() {
        return layers(graph);
    }

    private static List<String> layers(Graph g) {
        List<String> out = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Layer l = nodes.get(i).layer();
            if (l instanceof Dense || l instanceof Conv2d || l instanceof BatchNorm) {
                out.add(nodes.get(i).name());
            }
        }
        return out;
    }

    /**
     * {@return the model with the parameters of its {@code j} top layers re-drawn, as stage j of the check uses it}
     *
     * @param j 0 (the model itself) to the number of {@link #layers()}
     */
    public Graph randomised(int j) {
        List<String> order = layers();
        if (j < 0 || j > order.size()) {
            throw new ConfigurationException(NAME + ": the stage must be between 0 and " + order.size() + ", got " + j);
        }
        if (j == 0) {
            return graph;
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            index.put(graph.nodes().get(i).name(), i);
        }
        java.util.Set<String> redraw = new java.util.HashSet<>(order.subList(0, j));
        GraphBuilder b = Graph.builder(graph.inputName(), graph.inputShape());
        graph.provenance().forEach(b::provenance);
        for (Node n : graph.nodes()) {
            Layer l = n.layer();
            if (redraw.contains(n.name())) {
                l = redraw(l, index.get(n.name()));
            }
            b.add(n.name(), l, n.inputs());
        }
        return b.output(graph.outputName()).provenance("randomised", String.join(", ", order.subList(0, j)))
                .build();
    }

    private Layer redraw(Layer l, int node) {
        if (l instanceof Dense d) {
            return new Dense(draw(d.weight(), node, 0), d.bias() == null ? null : draw(d.bias(), node, 1));
        } else if (l instanceof Conv2d c) {
            return c.withWeights(draw(c.weight(), node, 0), c.bias() == null ? null : draw(c.bias(), node, 1));
        }
        BatchNorm bn = (BatchNorm) l;
        return new BatchNorm(draw(bn.gamma(), node, 0), draw(bn.beta(), node, 1), bn.mean(), bn.var(), bn.eps());
    }

    private INDArray draw(INDArray a, int node, int tensor) {
        double[] v = a.castTo(DataType.DOUBLE).reshape(a.length()).toDoubleVector();
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean) / v.length;
        }
        double sd = Math.sqrt(var);
        SplittableRandom rnd = new SplittableRandom((seed * 0x9E3779B97F4A7C15L + node) * 31 + tensor);
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = mean + sd * Continuity.gaussian(rnd);
        }
        return Nd4j.create(out, a.shape(), 'c').castTo(a.dataType());
    }

    /**
     * Runs the check.
     *
     * @param method builds the method on a model, e.g. {@code Methods::gradient} or
     *               {@code g -> Methods.lrp(Explainer.of(g).preset(Presets.epsilonZPlus(0.25)))}
     * @param x      {@code [N,C,H,W]}, finite; never modified
     * @return the correlations per stage
     */
    public Result evaluate(Function<Graph, ? extends Attribution> method, INDArray x) {
        if (method == null) {
            throw new ConfigurationException(NAME + ": the method factory is null");
        }
        Model m = new Model(NAME, graph, precision, batchSize);
        double[][] rows = m.rows(NAME, x);
        int n = rows.length;
        int[] targets = m.topClasses(rows);
        List<String> order = layers();
        List<String> stages = new ArrayList<>();
        stages.add("(trained)");
        stages.addAll(order);
        double[][] base = null;
        double[] rho = new double[stages.size()];
        double[] rhoAbs = new double[stages.size()];
        double[][] perImage = new double[stages.size()][n];
        String name = null;
        for (int j = 0; j < stages.size(); j++) {
            Graph g = randomised(j);
            Attribution a = method.apply(g);
            if (a == null) {
                throw new ConfigurationException(NAME + ": the method factory returned null for stage " + j);
            }
            name = a.name();
            Model mj = new Model(NAME, g, precision, batchSize);
            double[][] maps = Maps.channelSums(Maps.attribute(NAME, a, mj, rows, targets, batchSize),
                    m.height * m.width);
            if (j == 0) {
                base = maps;
            }
            for (int i = 0; i < n; i++) {
                double r = spearman(base[i], maps[i]);
                perImage[j][i] = r;
                rho[j] += r / n;
                rhoAbs[j] += spearman(abs(base[i]), abs(maps[i])) / n;
            }
        }
        return new Result(name, settings(), stages, rho, rhoAbs, perImage);
    }

    private static double[] abs(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]);
        }
        return out;
    }

    /** {@return the ranks of {@code v}, 1-based, ties getting their average rank} */
    static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
        double[] r = new double[v.length];
        int i = 0;
        while (i < idx.length) {
            int j = i;
            while (j + 1 < idx.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    /**
     * {@return Spearman's rank correlation: Pearson's correlation of the ranks; 0 when either is constant (no
     * ranking to agree with)}
     */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < ra.length; i++) {
            ma += ra[i] / ra.length;
            mb += rb[i] / rb.length;
        }
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    /**
     * What the check measured for one method.
     *
     * @param method      the method's name
     * @param settings    the check's settings
     * @param stages      "(trained)", then the layer destroyed at each stage (cumulatively)
     * @param spearman    per stage, the mean over the images of the rank correlation with the trained heatmap
     * @param spearmanAbs the same on absolute values
     * @param perImage    per stage and image, the rank correlation {@code [stages][N]}
     */
    public record Result(String method, String settings, List<String> stages, double[] spearman,
                         double[] spearmanAbs, double[][] perImage) {
        /** Copies the arrays. */
        public Result {
            stages = List.copyOf(stages);
            spearman = spearman.clone();
            spearmanAbs = spearmanAbs.clone();
            perImage = RegionPerturbation.deepCopy(perImage);
        }

        @Override
        public double[] spearman() {
            return spearman.clone();
        }

        @Override
        public double[] spearmanAbs() {
            return spearmanAbs.clone();
        }

        @Override
        public double[][] perImage() {
            return RegionPerturbation.deepCopy(perImage);
        }

        /** {@return the mean rank correlation once every layer is destroyed} */
        public double last() {
            return spearman[spearman.length - 1];
        }
    }
}
