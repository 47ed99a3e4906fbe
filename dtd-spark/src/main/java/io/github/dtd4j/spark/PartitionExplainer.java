package io.github.dtd4j.spark;

import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.Start;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What runs on the executors: a partition's rows explained in batches by the one {@link Attribution} this JVM keeps
 * for the model and method (made at the first task, reused by the next), one output row per input row, in order.
 * A row that cannot be read, or that the model refuses, gets its error in the {@code error} column; a batch that
 * fails is explained again row by row, so that only the bad row fails.
 */
final class PartitionExplainer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** Per JVM: the model by its SHA-256, imported once. */
    private static final Map<String, Graph> GRAPHS = new ConcurrentHashMap<>();
    /** Per JVM: the method made on a model, by model, method and preprocessing. */
    private static final Map<String, Attribution> METHODS = new ConcurrentHashMap<>();

    /** For the tests: fail the first attempt of partition 0 after this many rows (Spark then retries the task). */
    static final String FAIL_FIRST_ATTEMPT = "dtd.spark.test.failFirstAttemptAfter";

    private final Broadcast<byte[]> model;
    private final SparkExplainer.Settings settings;

    PartitionExplainer(Broadcast<byte[]> model, SparkExplainer.Settings settings) {
        this.model = model;
        this.settings = settings;
    }

    private Graph graph() {
        return GRAPHS.computeIfAbsent(settings.modelKey, k -> settings.format.load(model.value(),
                settings.inputShape == null ? null : Shape.of(settings.inputShape)));
    }

    private Attribution attribution() {
        return METHODS.computeIfAbsent(settings.modelKey + "|" + settings.method + "|" + settings.images,
                k -> settings.method.make(graph(), settings.images.box()));
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Graph g = graph();
        Attribution a = attribution();
        long failAfter = Long.getLong(FAIL_FIRST_ATTEMPT, -1);
        TaskContext task = TaskContext.get();
        boolean fail = failAfter >= 0 && task != null && task.partitionId() == 0 && task.attemptNumber() == 0;
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            private long done;

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && rows.hasNext()) {
                    List<Row> in = new ArrayList<>();
                    while (in.size() < settings.batch && rows.hasNext()) {
                        in.add(rows.next());
                    }
                    ready.addAll(explain(in, g, a));
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                if (fail && done++ >= failAfter) {
                    throw new IllegalStateException("dtd-spark test: the first attempt of partition 0 fails");
                }
                return ready.poll();
            }
        };
    }

    /**
     * One input row, read: its id and label, its tensor or the reason it has none, and the picture the model saw if
     * the PNG is drawn over it.
     */
    private record Input(String id, Integer label, Integer target, INDArray x, String error, BufferedImage picture) {
        Input(String id, Integer label, Integer target, String error) {
            this(id, label, target, null, error, null);
        }
    }

    private Input read(Row r, Shape shape) {
        String id = idOf(r);
        Integer label = intOf(r, "label");
        Integer target = intOf(r, "target");
        try {
            List<String> fields = Arrays.asList(r.schema().fieldNames());
            INDArray x;
            BufferedImage picture = null;
            if (!fields.contains("tensor")) {
                BufferedImage decoded;
                if (fields.contains("content")) {
                    byte[] bytes = r.getAs("content");
                    if (bytes == null) {
                        return new Input(id, label, target, "no content");
                    }
                    decoded = Images.read(bytes, id);
                } else if (fields.contains("image")) {
                    Row img = r.getStruct(r.fieldIndex("image"));
                    if (img == null) {
                        return new Input(id, label, target, "no image");
                    }
                    decoded = SparkImages.picture(img);
                } else {
                    // only a path: the executor reads the file, from any file system Hadoop reaches
                    decoded = Images.read(SparkImages.read(id), id);
                }
                BufferedImage prepared = settings.images.prepared(decoded, shape);
                x = settings.images.tensorOf(prepared);
                if (settings.png && settings.style.needsPicture()) {
                    picture = prepared;
                }
            } else {
                List<Object> values = r.getList(r.fieldIndex("tensor"));
                long n = shape.size();
                if (values == null || values.size() != n) {
                    return new Input(id, label, target, "the tensor has " + (values == null ? 0 : values.size())
                            + " values; the model takes " + shape.toBatchString() + " = " + n + " per input");
                }
                float[] v = new float[(int) n];
                for (int i = 0; i < v.length; i++) {
                    v[i] = ((Number) values.get(i)).floatValue();
                }
                long[] dims = new long[shape.rank() + 1];
                dims[0] = 1;
                for (int i = 0; i < shape.rank(); i++) {
                    dims[i + 1] = shape.dim(i);
                }
                x = Nd4j.create(v, dims, DataType.FLOAT);
                if (settings.nhwc) {
                    if (dims.length != 4) {
                        return new Input(id, label, target, "an NHWC tensor needs a model of images; this one"
                                + " takes " + shape.toBatchString());
                    }
                    // the values are [H, W, C]: read them so, then put the channels first
                    INDArray hwc = Nd4j.create(v, new long[]{1, dims[2], dims[3], dims[1]}, DataType.FLOAT);
                    x = hwc.permute(0, 3, 1, 2).dup('c');
                }
            }
            if (Arrays.asList(r.schema().fieldNames()).contains("target")) {
                long classes = graph().outputShape().dim(graph().outputShape().rank() - 1);
                if (target == null || target < 0 || target >= classes) {
                    x.close();
                    return new Input(id, label, target, "target: expected a class from 0 to " + (classes - 1)
                            + ", got " + target);
                }
            }
            return new Input(id, label, target, x, null, picture);
        } catch (RuntimeException e) {
            return new Input(id, label, target, message(e));
        }
    }

    private String idOf(Row r) {
        int i = r.fieldIndex(settings.idColumn);
        return r.isNullAt(i) ? null : String.valueOf(r.get(i));
    }

    /** {@return an integer column's value, or null if the row has no such column or it is null there} */
    private static Integer intOf(Row r, String column) {
        if (!Arrays.asList(r.schema().fieldNames()).contains(column)) {
            return null;
        }
        int i = r.fieldIndex(column);
        return r.isNullAt(i) ? null : ((Number) r.get(i)).intValue();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    /** {@return the output rows of a batch of input rows, in order (k per input for top-k)} */
    private List<Row> explain(List<Row> in, Graph g, Attribution a) {
        Shape shape = g.inputShape();
        List<Input> inputs = in.stream().map(r -> read(r, shape)).toList();
        @SuppressWarnings("unchecked")
        List<Row>[] out = new List[inputs.size()];
        // explained together: the readable inputs of one size
        Map<List<Long>, List<Integer>> bySize = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            Input x = inputs.get(i);
            if (x.error() != null) {
                out[i] = List.of(failed(x, x.error()));
            } else {
                bySize.computeIfAbsent(Arrays.stream(x.x().shape()).boxed().toList(), s -> new ArrayList<>()).add(i);
            }
        }
        for (List<Integer> group : bySize.values()) {
            try {
                explainTogether(group, inputs, a, out);
            } catch (RuntimeException e) {
                // a bad row spoils its batch: each again alone, so that only it fails
                for (int i : group) {
                    try {
                        explainTogether(List.of(i), inputs, a, out);
                    } catch (RuntimeException alone) {
                        out[i] = List.of(failed(inputs.get(i), message(alone)));
                    }
                }
            }
        }
        inputs.forEach(x -> {
            if (x.x() != null) {
                x.x().close();
            }
        });
        List<Row> rows = new ArrayList<>();
        for (List<Row> r : out) {
            rows.addAll(r);
        }
        return rows;
    }

    private void explainTogether(List<Integer> group, List<Input> inputs, Attribution a, List<Row>[] out) {
        INDArray x = group.size() == 1 ? inputs.get(group.get(0)).x()
                : Nd4j.concat(0, group.stream().map(i -> inputs.get(i).x()).toArray(INDArray[]::new));
        try {
            // a target column gives each row its class; else one class for all, or each row's top class(es)
            boolean perRow = inputs.get(group.get(0)).target() != null;
            int[] contrast = settings.contrast;
            Start start = perRow ? Start.classes(group.stream().mapToInt(i -> inputs.get(i).target()).toArray())
                    : settings.target < 0 ? Start.topClass() : Start.classes(settings.target);
            INDArray contrastLogits = null;
            if (contrast != null) {
                // +f_a at a and −f_b at b: the heatmap explains f_a − f_b (LRP's rules are linear in the start)
                contrastLogits = ((io.github.dtd4j.methods.LrpMethod) a).explainer().forward(x);
                INDArray r = Nd4j.zeros(contrastLogits.dataType(), contrastLogits.shape());
                for (int i = 0; i < group.size(); i++) {
                    r.putScalar(i, contrast[0], contrastLogits.getDouble(i, contrast[0]));
                    r.putScalar(i, contrast[1], -contrastLogits.getDouble(i, contrast[1]));
                }
                start = Start.relevance(r);
            }
            List<List<Row>> rows = new ArrayList<>();
            group.forEach(i -> rows.add(new ArrayList<>()));
            int[][] order = null;
            for (int rank = 1; rank <= Math.max(1, settings.topK); rank++) {
                if (rank > 1) {
                    final int k = rank - 1;
                    start = Start.classes(Arrays.stream(order).mapToInt(o -> o[k]).toArray());
                }
                try (Attributions r = a.attribute(x, start)) {
                    if (settings.topK > 1 && order == null) {
                        order = ranked(r.logits(), r.targets(), settings.topK);
                    }
                    Integer shownRank = settings.topK > 0 ? rank : null;
                    // AOPC perturbs for the top class: scored for the heatmaps of rank 1 only
                    double[][] morf = settings.aopcSteps > 0 && rank == 1 && r.attribution().rank() == 4
                            ? io.github.dtd4j.eval.RegionPerturbation.of(graph()).withSteps(settings.aopcSteps)
                            .evaluate(settings.method.name(), x, r.attribution()).perImageMorf() : null;
                    for (int k = 0; k < group.size(); k++) {
                        Double aopc = morf == null ? null : aopc(morf[k]);
                        rows.get(k).add(row(r, k, inputs.get(group.get(k)), contrastLogits, shownRank, aopc));
                    }
                }
            }
            for (int k = 0; k < group.size(); k++) {
                out[group.get(k)] = rows.get(k);
            }
        } finally {
            if (group.size() > 1) {
                x.close();
            }
        }
    }

    /**
     * {@return each row's classes by decreasing logit (ties: the lower class first), its top class (the one explained
     * first) at rank 1}
     */
    private static int[][] ranked(INDArray logits, int[] top, int k) {
        int[][] order = new int[top.length][];
        double[][] z = logits.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int i = 0; i < top.length; i++) {
            final double[] zi = z[i];
            final int t = top[i];
            int[] rest = java.util.stream.IntStream.range(0, zi.length).filter(c -> c != t).boxed()
                    .sorted((p, q) -> zi[p] != zi[q] ? Double.compare(zi[q], zi[p]) : Integer.compare(p, q))
                    .mapToInt(Integer::intValue).limit(k - 1L).toArray();
            order[i] = new int[k];
            order[i][0] = t;
            System.arraycopy(rest, 0, order[i], 1, k - 1);
        }
        return order;
    }

    /** {@return the output row of the k-th element of a batch's attribution} */
    private Row row(Attributions r, int k, Input in, INDArray contrastLogits, Integer rank, Double aopc) {
        int[] contrast = settings.contrast;
        INDArray att = r.attribution();
        INDArray e = att.get(NDArrayIndex.interval(k, k + 1));
        int c = r.targets()[k];
        double[] sums = r.ledger().map(Ledger::inputSums).orElse(null);
        double sum = sums != null ? sums[k] : e.castTo(DataType.DOUBLE).sumNumber().doubleValue();
        float[] heat;
        Integer h = null;
        Integer w = null;
        byte[] picture = null;
        if (e.rank() == 4) {
            h = (int) e.size(2);
            w = (int) e.size(3);
            INDArray m = e.size(1) == 1 ? e : e.sum(true, 1);
            heat = m.castTo(DataType.FLOAT).dup('c').data().asFloat();
            if (settings.png) {
                picture = png(settings.style.draw(e, in.picture()));
            }
        } else {
            heat = e.castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
        // a Scala Seq: what Spark's row encoder takes for an array of structs
        Object ledger = r.ledger().map(l -> scala.jdk.javaapi.CollectionConverters.asScala(
                ledgerRows(l, k)).toSeq()).orElse(null);
        double logit = contrast == null ? r.logits().getDouble(k, c)
                : contrastLogits.getDouble(k, contrast[0]) - contrastLogits.getDouble(k, contrast[1]);
        if (contrast != null) {
            c = contrast[0];
        }
        return RowFactory.create(in.id(), in.label(), c, rank, settings.style.name(c), logit, sum, heat, h, w,
                picture, ledger, aopc, null);
    }

    /** {@return the mean drop of the score along a MoRF curve, as RegionPerturbation averages it} */
    private static double aopc(double[] curve) {
        double drop = 0;
        for (double f : curve) {
            drop += curve[0] - f;
        }
        return drop / curve.length;
    }

    private static List<Row> ledgerRows(Ledger l, int k) {
        List<Row> rows = new ArrayList<>();
        for (LedgerEntry e : l.entries()) {
            rows.add(RowFactory.create(e.node(), e.kind(), e.in()[k], e.out()[k], e.bias()[k], e.stabilizer()[k]));
        }
        return rows;
    }

    private static Row failed(Input in, String error) {
        return RowFactory.create(in.id(), in.label(), null, null, null, null, null, null, null, null, null, null,
                null, error);
    }

    private static byte[] png(java.awt.image.BufferedImage img) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }
}
