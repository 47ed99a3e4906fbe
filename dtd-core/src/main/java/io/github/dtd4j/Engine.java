package io.github.dtd4j;

import io.github.dtd4j.internal.Forward;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.spi.LinearRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** One explanation: checks, forward pass, start relevance, one reverse sweep, ledger. Stateless. */
final class Engine {
    private Engine() {
    }

    /**
     * What {@link #explain} computed.
     *
     * @param inputRelevance relevance of each input element, shaped like the input
     * @param logits         the model's output {@code [N,K]}
     * @param targets        explained class per batch element
     * @param ledger         the accounts
     * @param layers         per-node relevance (only if the plan records layers)
     * @param end            where the sweep ended: the input's name, or the stop node
     */
    record Result(INDArray inputRelevance, INDArray logits, int[] targets, Ledger ledger,
                  Map<String, INDArray> layers, String end) {
    }

    /**
     * Explains a batch.
     *
     * @param plan    a compiled plan
     * @param input   {@code [N, ...inputShape]}, floating point, finite; not modified
     * @param start   where the sweep starts and with what
     * @return the result
     */
    static Result explain(Plan plan, INDArray input, Start start) {
        if (!WORKSPACES) {
            return sweep(plan, input, start);
        }
        // Nothing is left for the garbage collector: the relevance arrays live in this call's workspace (an arena
        // emptied when the call ends), each node's temporaries in a nested arena reset after every node, and the
        // forward outputs either in the call's arena too or, when they are large, outside, closed as the sweep
        // passes them.
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            Result r = sweep(plan, input, start);
            Map<String, INDArray> layers = new LinkedHashMap<>();
            r.layers().forEach((k, v) -> layers.put(k, v.detach()));
            return new Result(r.inputRelevance().detach(), r.logits().detach(), r.targets(), r.ledger(), layers,
                    r.end());
        }
    }

    /**
     * The model's output only: the same input checks and the same workspace as {@link #explain}, no sweep.
     *
     * @param plan  a compiled plan
     * @param input {@code [N, ...inputShape]}; not modified
     * @return the logits {@code [N,K]}, a new array
     */
    static INDArray forward(Graph g, Precision precision, INDArray input) {
        if (!WORKSPACES) {
            return Forward.output(g, checkInput(g, input, precision.dataType()));
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            INDArray x = checkInput(g, input, precision.dataType());
            // each node's output in the call's arena when all of them fit in recordedInArenaBytes (fresh memory on
            // every call costs page faults and zeroing: ViT-B/16's forward pass alone took 0.59-0.80 s on one thread,
            // against 0.30-0.34 s when each call followed an explanation); else outside the workspaces, released
            // after its last reader, so that memory holds the live activations only
            boolean arena = Plan.outputValues(g, java.util.Set.of()) * x.size(0) * x.dataType().width()
                    <= recordedInArenaBytes;
            Map<String, Integer> readers = new HashMap<>();
            for (Node n : g.nodes()) {
                for (String i : n.inputs()) {
                    readers.merge(i, 1, Integer::sum);
                }
            }
            Map<String, INDArray> out = new HashMap<>();
            out.put(g.inputName(), x);
            for (Node n : g.nodes()) {
                List<INDArray> in = Forward.inputsOf(n, out);
                out.put(n.name(), output(n.layer(), in, arena));
                for (String i : new java.util.LinkedHashSet<>(n.inputs())) {
                    if (readers.merge(i, -n.inputs().stream().filter(i::equals).mapToInt(v -> 1).sum(), Integer::sum) == 0
                            && !i.equals(g.inputName()) && !i.equals(g.outputName())) {
                        release(out.remove(i));
                    }
                }
            }
            INDArray logits = out.get(g.outputName());
            return logits.isAttached() ? logits.detach() : logits;
        }
    }

    /** Set {@code -Ddtd4j.workspaces=false} to allocate every array on its own (for debugging). */
    private static final boolean WORKSPACES = Boolean.parseBoolean(System.getProperty("dtd4j.workspaces", "true"));
    private static final String WORKSPACE_ID = "dtd4j-explain";
    /**
     * The relevance the nodes send, for one call: an arena that learns its size from the first call on a thread and
     * stays reserved between calls (it grows when a call needs more). Handing it back after every call (one
     * allocation per array, freed when the call ended) cost ViT-B/16 on one thread 150–250 ms per explanation
     * (2.7 s) in copies and merges into fresh memory, and 250 ResNet-50 explanations 8 % of their time (114.6 against
     * 105.7 s); RSS between calls is larger by the arena (70 MB for ResNet-50 at batch 1), VGG16's peak at batch 8 by
     * 4 % (3,512 against 3,369 MB; {@code MemoryCheck}).
     */
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.STRICT)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    /**
     * The most memory the recorded forward pass keeps in the explanation's arena ({@link #forwardReleasable}). There
     * it costs no allocation, since the arena stays reserved between calls; memory of its own is fresh pages on every
     * call, faulted in and zeroed by the kernel, then zeroed again by ND4J (JFR's native samples: 0.3 s of ViT-B/16's
     * 1.6 s on one thread, in allocations of the recorded outputs). In the arena, ViT-B/16 at batch 1 on one thread
     * explained in 1.1–1.3 s against 1.2–2.1 s, 250 ResNet-50 explanations took 59.0 s against 72.5 s, and RSS
     * between calls is larger by about the recorded outputs (+145 MB for ResNet-50). Recorded per sample, float32:
     * ViT-B/16 254 MB, ResNet-50 107 MB, VGG16 58 MB, MobileNetV2 50 MB. Above the limit (VGG16 at batch 8 records
     * 462 MB) the outputs live outside and are released as the sweep passes them, which keeps the peak lower.
     * Not final so that the tests can take both paths on small models.
     */
    static volatile long recordedInArenaBytes = 384L << 20;

    private static final String NODE_WORKSPACE_ID = "dtd4j-node";
    /**
     * One node's temporaries: an arena that grows to the largest node's needs and is reset after every node, so
     * memory peaks at the largest node rather than the sum over all nodes. It stays reserved between calls: freeing
     * and re-faulting hundreds of MB per layer made VGG16 at batch 8 40 % slower.
     */
    private static final WorkspaceConfiguration NODE_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.1)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private static Result sweep(Plan plan, INDArray input, Start start) {
        Graph g = plan.graph;
        INDArray x = checkInput(g, input, plan.settings.precision().dataType());
        Map<String, INDArray> out;
        if (WORKSPACES) {
            out = forwardReleasable(plan, x); // checks every node's output as it goes
        } else {
            out = Forward.run(g, x);
            checkFinite(g, out);
        }
        INDArray logits = out.get(g.outputName());
        int n = (int) x.size(0);
        String startNode = start instanceof Start.Tensor t && t.node() != null ? t.node() : g.outputName();
        if (!startNode.equals(g.outputName()) && g.node(startNode).isEmpty()) {
            throw new InvalidInputException("start relevance at '" + startNode + "': no such node");
        }
        String end = plan.settings.stopAt() == null ? g.inputName() : plan.settings.stopAt();
        Set<String> region = region(g, startNode, end);
        int[] targets;
        INDArray startRelevance;
        if (start instanceof Start.Tensor t) {
            startRelevance = checkStartTensor(g, t, startNode, out.get(startNode), plan.settings.precision());
            targets = startNode.equals(g.outputName()) ? argMax(startRelevance) : filled(n, -1);
        } else {
            int[] given = start instanceof Start.Classes c ? c.classes() : start instanceof Start.OneHot o ? o.classes()
                    : null;
            boolean unit = start instanceof Start.OneHot;
            targets = resolveTargets(g, logits, given, n);
            startRelevance = Nd4j.zeros(logits.dataType(), logits.shape());
            for (int i = 0; i < n; i++) {
                startRelevance.putScalar(new long[]{i, targets[i]}, unit ? 1.0 : logits.getDouble(i, targets[i]));
            }
        }
        for (Node node : g.nodes()) {
            if (region.contains(node.name())) {
                Plan.Compiled c = plan.nodes.get(node.name());
                try {
                    c.rule().checkInput(c.info(), Forward.inputsOf(node, out));
                } catch (io.github.dtd4j.errors.Dtd4jException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new ConfigurationException("rule " + c.rule().name() + " failed its input check on node '"
                            + node.name() + "' (" + node.kind() + "): " + e, e);
                }
            }
        }
        double[] startSum = Accounts.perSample(startRelevance);
        Map<String, INDArray> relevance = new HashMap<>();
        relevance.put(startNode, startRelevance);
        // Σ relevance that arrived at each node, per batch element, summed from what its readers sent (each sent
        // array is summed once, for the sender's "out"; summing the merged array again would read it twice)
        Map<String, double[]> arrived = new HashMap<>();
        arrived.put(startNode, startSum.clone());
        Map<String, INDArray> recorded = new LinkedHashMap<>();
        List<LedgerEntry> entries = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int k = nodes.size() - 1; k >= 0; k--) {
            Node node = nodes.get(k);
            if (!region.contains(node.name())) {
                if (WORKSPACES && !node.name().equals(g.outputName()) && !plan.inPlace.contains(node.name())
                        && !node.name().equals(end)) {
                    release(out.remove(node.name()));
                }
                continue;
            }
            INDArray r = relevance.remove(node.name());
            List<INDArray> ins = Forward.inputsOf(node, out);
            if (r == null) {
                r = Nd4j.zeros(x.dataType(), out.get(node.name()).shape());
            }
            Accounts acc = new Accounts(n);
            Map<String, double[]> branches = new LinkedHashMap<>();
            Plan.Compiled compiled = plan.nodes.get(node.name());
            double[] sumIn;
            double[] sumOut = new double[n];
            List<INDArray> rin;
            long nanos;
            // the node's temporaries (denominators, transposed convolutions, masks) live in a workspace of their own
            // that is reset after each node: memory peaks at the largest node, not at the sum over all nodes. Only
            // the relevance sent on moves to the explanation's workspace.
            try (MemoryWorkspace nodeWs = WORKSPACES ? Nd4j.getWorkspaceManager()
                    .getAndActivateWorkspace(NODE_WORKSPACE, NODE_WORKSPACE_ID) : null) {
                long t0 = System.nanoTime();
                // a position-wise rule on a Dense layer over positions sees only those that carry relevance
                int[] kept = keptPositions(compiled, r);
                List<INDArray> given = kept == null ? ins : List.of(gather(ins.get(0), kept));
                Context ctx = new Context(compiled.info(), given, kept == null ? out.get(node.name())
                        : gather(out.get(node.name()), kept), kept == null ? r : gather(r, kept), compiled.bias(),
                        plan.settings.stabilizer(), acc, !node.inputs().isEmpty()
                        && plan.nonNegative.contains(node.inputs().get(0)));
                List<INDArray> sent = propagate(compiled, ctx, given);
                if (kept != null) {
                    sent = List.of(scatter(sent.get(0), kept, ins.get(0).shape()));
                }
                nanos = System.nanoTime() - t0;
                double[] got = arrived.remove(node.name());
                sumIn = got == null ? new double[n] : got;
                rin = new ArrayList<>(sent.size());
                for (int i = 0; i < sent.size(); i++) {
                    INDArray ri = sent.get(i);
                    double[] s = Accounts.perSample(ri);
                    for (int j = 0; j < n; j++) {
                        if (!Double.isFinite(s[j])) {
                            // a zero denominator with stabilizer 0, or a rule dividing by zero: say where, not NaN
                            throw new InvalidInputException("node '" + node.name() + "' (" + node.kind() + "), rule "
                                    + compiled.rule().name() + ": the relevance sent to '" + node.inputs().get(i)
                                    + "' is not finite for batch element " + j + " (a zero denominator? stabilizer "
                                    + plan.settings.stabilizer() + ")");
                        }
                        sumOut[j] += s[j];
                    }
                    arrived.merge(node.inputs().get(i), s, Engine::plus);
                    if (sent.size() > 1) {
                        branches.merge(node.inputs().get(i), s, Engine::plus);
                    }
                    rin.add(WORKSPACES ? ri.leverageTo(WORKSPACE_ID) : ri);
                }
            }
            for (int i = 0; i < rin.size(); i++) {
                relevance.merge(node.inputs().get(i), rin.get(i), INDArray::add);
            }
            if (WORKSPACES && !node.name().equals(g.outputName()) && !plan.inPlace.contains(node.name())) {
                // every reader of this output has been explained (reverse topological order): release it now
                // (an in-place ReLU or clip shares its input's array, which is released with the input's node)
                release(out.remove(node.name()));
            }
            entries.add(new LedgerEntry(node.name(), node.kind(), Plan.describe(compiled.rule()), sumIn, sumOut,
                    acc.bias, acc.stabilizer, branches, nanos));
            if (plan.settings.recordLayers()) {
                recorded.put(node.name(), r);
            }
        }
        INDArray rEnd = relevance.get(end);
        if (rEnd == null) {
            rEnd = Nd4j.zeros(x.dataType(), out.get(end).shape());
        }
        if (plan.settings.recordLayers()) {
            recorded.put(end, rEnd);
        }
        Ledger ledger = new Ledger(startSum, Accounts.perSample(rEnd), entries);
        return new Result(rEnd, logits, targets, ledger, recorded, end);
    }

    /**
     * {@return a new, uninitialized array in the memory where the sweep keeps the relevance nodes send} (the
     * explanation's workspace, borrowed from inside a node's), or an ordinary new array outside a sweep: a node's
     * result made there is not copied out of the node workspace
     */
    static INDArray newSentArray(DataType t, long[] shape) {
        if (WORKSPACES && Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(WORKSPACE_ID)) {
            try (MemoryWorkspace sweep = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(WORKSPACE_ID)
                    .notifyScopeBorrowed()) {
                return Nd4j.createUninitialized(t, shape, 'c');
            }
        }
        return Nd4j.createUninitialized(t, shape, 'c');
    }

    /** A custom layer's forward pass in the node workspace, its failures named with the node. */
    private static INDArray customForward(Node n, List<INDArray> in) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(NODE_WORKSPACE,
                NODE_WORKSPACE_ID)) {
            return Forward.apply(n.layer(), in).detach();
        } catch (io.github.dtd4j.errors.InvalidGraphException e) {
            throw new io.github.dtd4j.errors.InvalidGraphException("node '" + n.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * {@return the positions a Dense layer's position-wise rule is given ({@link LinearRule#positionwise}): those
     * whose relevance is not all zero in some batch element, when they are at most half of them; or null (all
     * positions) for any other node, or when more than half or none carry relevance}
     */
    static int[] keptPositions(Plan.Compiled c, INDArray r) {
        if (!(c.info().layer() instanceof io.github.dtd4j.graph.Dense) || r.rank() < 3
                || !(c.rule() instanceof LinearRule lr) || !lr.positionwise()) {
            return null;
        }
        long n = r.size(0);
        long features = r.size(r.rank() - 1);
        long positions = r.length() / (n * features);
        // the largest |R| of each row (a position of a batch element; a reduction along the contiguous axis, several
        // times faster than one over the batch and the features at once), then over the batch on the JVM
        double[] rows = Accounts.values(r.reshape('c', n * positions, features).amax(1));
        double[] peak = new double[(int) positions];
        for (int i = 0; i < rows.length; i++) {
            peak[(int) (i % positions)] = Math.max(peak[(int) (i % positions)], rows[i]);
        }
        int k = 0;
        for (double v : peak) {
            if (v != 0) {
                k++;
            }
        }
        if (k == 0 || k > positions / 2) {
            return null;
        }
        int[] kept = new int[k];
        for (int p = 0, j = 0; p < peak.length; p++) {
            if (peak[p] != 0) {
                kept[j++] = p;
            }
        }
        return kept;
    }

    /** {@return the positions {@code kept} of {@code [N, positions..., F]}, as a new {@code [N, k, F]} array} */
    static INDArray gather(INDArray a, int[] kept) {
        long n = a.size(0);
        long f = a.size(a.rank() - 1);
        INDArray all = a.reshape('c', n, a.length() / (n * f), f);
        INDArray g = Nd4j.createUninitialized(a.dataType(), new long[]{n, kept.length, f}, 'c');
        for (int j = 0; j < kept.length; j++) {
            g.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all())
                    .assign(all.get(NDArrayIndex.all(), NDArrayIndex.point(kept[j]), NDArrayIndex.all()));
        }
        return g;
    }

    /**
     * {@return a new array of the given shape {@code [N, positions..., F]}, zero but at the positions {@code kept},
     * which hold {@code g}'s rows} (made where the sweep keeps the relevance nodes send)
     */
    static INDArray scatter(INDArray g, int[] kept, long[] shape) {
        INDArray full = newSentArray(g.dataType(), shape).assign(0);
        long n = shape[0];
        long f = shape[shape.length - 1];
        INDArray all = full.reshape('c', n, full.length() / (n * f), f);
        for (int j = 0; j < kept.length; j++) {
            all.get(NDArrayIndex.all(), NDArrayIndex.point(kept[j]), NDArrayIndex.all())
                    .assign(g.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all()));
        }
        return full;
    }

    /** Runs a node's rule, and checks what it returned: one array per input, each of the input's shape. */
    private static List<INDArray> propagate(Plan.Compiled c, Context ctx, List<INDArray> ins) {
        List<INDArray> sent;
        try {
            sent = c.rule().propagate(ctx);
        } catch (io.github.dtd4j.errors.Dtd4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigurationException("rule " + c.rule().name() + " failed on node '" + ctx.name() + "' ("
                    + ctx.kind() + "): " + e, e);
        }
        if (sent == null || sent.size() != ins.size()) {
            throw new ConfigurationException("rule " + c.rule().name() + " returned " + (sent == null ? "null"
                    : sent.size() + " arrays") + " for node '" + ctx.name() + "' (" + ctx.kind() + "), which has "
                    + ins.size() + " input(s)");
        }
        for (int i = 0; i < ins.size(); i++) {
            INDArray ri = sent.get(i);
            if (ri == null || !Arrays.equals(ri.shape(), ins.get(i).shape())) {
                throw new ConfigurationException("rule " + c.rule().name() + " returned "
                        + (ri == null ? "null" : Shape.format(ri.shape())) + " for input " + i + " of node '"
                        + ctx.name() + "' (" + ctx.kind() + "), whose shape is " + Shape.format(ins.get(i).shape()));
            }
        }
        return sent;
    }

    /**
     * {@return the nodes the sweep passes through: those the start node depends on (and itself) that depend on the
     * end node (the input, or the stop node, which is not itself propagated)}
     */
    static Set<String> region(Graph g, String start, String end) {
        Set<String> region = new HashSet<>(g.ancestors(start));
        region.add(start);
        if (!end.equals(g.inputName())) {
            if (!region.contains(end)) {
                throw new ConfigurationException("the sweep starts at '" + start + "', which does not depend on the "
                        + "stop node '" + end + "'");
            }
            region.retainAll(g.descendants(end));
        }
        region.remove(g.inputName());
        return region;
    }

    /** {@return a start relevance at the output checked against {@code [n,K]}, in the precision} (compiled engine) */
    static INDArray checkStart(Graph g, Start.Tensor t, long n, Precision precision) {
        long[] shape = {n, g.outputShape().dim(0)};
        return checkStartTensor(g, t, g.outputName(), Nd4j.zeros(precision.dataType(), shape), precision);
    }

    private static INDArray checkStartTensor(Graph g, Start.Tensor t, String node, INDArray at, Precision precision) {
        INDArray r = t.relevance();
        String where = "start relevance at '" + node + "'";
        if (!node.equals(g.outputName()) && g.node(node).isEmpty()) {
            throw new InvalidInputException(where + ": no such node");
        }
        if (!Arrays.equals(r.shape(), at.shape())) {
            throw new InvalidInputException(where + ": expected " + Shape.format(at.shape()) + " (the node's output), got "
                    + Shape.format(r.shape()));
        }
        if (!r.dataType().isFPType()) {
            throw new InvalidInputException(where + ": expected a floating-point array, got " + r.dataType());
        }
        if (BooleanIndexing.or(r, Conditions.isNan()) || BooleanIndexing.or(r, Conditions.isInfinite())) {
            throw new InvalidInputException(where + ": " + firstNonFinite(r));
        }
        // a copy in the computation precision: the caller's array is never touched, and the sweep owns its arrays
        return r.castTo(precision.dataType()).dup();
    }

    private static int[] argMax(INDArray r) {
        int n = (int) r.size(0);
        int[] t = new int[n];
        INDArray arg = r.argMax(1);
        for (int i = 0; i < n; i++) {
            t[i] = arg.getInt(i);
        }
        return t;
    }

    /**
     * The recorded forward pass. Each node's temporaries live in the node workspace. Its outputs live in the
     * explanation's arena when they take at most {@link #recordedInArenaBytes} together, else outside the
     * workspaces, so that the sweep can release each one as soon as it is no longer needed (the early layers'
     * large outputs are then not held next to the sweep's own arrays).
     */
    private static Map<String, INDArray> forwardReleasable(Plan plan, INDArray x) {
        Graph g = plan.graph;
        boolean arena = Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(WORKSPACE_ID)
                && plan.recordedValuesPerSample * x.size(0) * x.dataType().width() <= recordedInArenaBytes;
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(g.inputName(), x);
        for (Node n : g.nodes()) {
            if (plan.inPlace.contains(n.name())) {
                INDArray y = out.get(n.inputs().get(0));
                if (n.layer() instanceof io.github.dtd4j.graph.Activation a) {
                    io.github.dtd4j.internal.Elementwise.activationInPlace(a, y);
                } else {
                    Transforms.relu(y, false);
                }
                out.put(n.name(), y);
                continue;
            }
            List<INDArray> in = Forward.inputsOf(n, out);
            INDArray y;
            if (n.layer() instanceof io.github.dtd4j.graph.CustomLayer) {
                y = customForward(n, in);
            } else {
                y = output(n.layer(), in, arena);
            }
            out.put(n.name(), y);
            checkFinite(n, y);
        }
        return out;
    }

    /**
     * {@return a node's output, in the call's arena (active here) or in memory of its own}: computed straight there
     * where the layer makes no other array, else in the node workspace (its temporaries with it) and copied out
     *
     * @param arena whether the outputs live in the call's arena
     */
    private static INDArray output(io.github.dtd4j.graph.Layer l, List<INDArray> in, boolean arena) {
        if (onlyAllocatesItsOutput(l)) {
            if (arena) {
                return Forward.apply(l, in);
            }
            try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Forward.apply(l, in);
            }
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(NODE_WORKSPACE,
                NODE_WORKSPACE_ID)) {
            INDArray y = Forward.apply(l, in);
            return arena ? y.leverageTo(WORKSPACE_ID) : y.detach();
        }
    }

    /**
     * {@return whether {@link Forward#apply} makes no array but its result for this layer} (no padding copy,
     * dilated kernel, channel groups or strided subsampling), so that it can run outside every workspace
     */
    private static boolean onlyAllocatesItsOutput(io.github.dtd4j.graph.Layer l) {
        if (l instanceof io.github.dtd4j.graph.Conv2d c) {
            boolean pointwise = c.kernelH() == 1 && c.kernelW() == 1;
            return c.groups() == 1 && c.symmetricPadding() && c.dilationH() == 1 && c.dilationW() == 1
                    && (!pointwise || (c.strideH() == 1 && c.strideW() == 1 && c.padTop() == 0 && c.padLeft() == 0));
        }
        if (l instanceof io.github.dtd4j.graph.Activation a) {
            // clips (ReLU6), sigmoid and tanh write their output and nothing else (Elementwise.activation)
            return a.function() == io.github.dtd4j.graph.Activation.Function.CLIP
                    || a.function() == io.github.dtd4j.graph.Activation.Function.SIGMOID
                    || a.function() == io.github.dtd4j.graph.Activation.Function.TANH;
        }
        return l instanceof io.github.dtd4j.graph.Dense || l instanceof io.github.dtd4j.graph.Relu
                || l instanceof io.github.dtd4j.graph.Add || l instanceof io.github.dtd4j.graph.Concat
                || l instanceof io.github.dtd4j.graph.Flatten
                || (l instanceof io.github.dtd4j.graph.MaxPool2d p && p.padTop() == p.padBottom()
                && p.padLeft() == p.padRight());
    }

    static INDArray checkInput(Graph g, INDArray input, DataType dtype) {
        String where = "input '" + g.inputName() + "'";
        if (input == null) {
            throw new InvalidInputException(where + ": no input array given");
        }
        if (!g.inputShape().matchesBatch(input.shape()) || input.size(0) < 1) {
            throw new InvalidInputException(where + ": expected " + g.inputShape().toBatchString() + ", got "
                    + Shape.format(input.shape()));
        }
        if (!input.dataType().isFPType()) {
            throw new InvalidInputException(where + ": expected a floating-point array, got " + input.dataType());
        }
        if (input.size(0) > Integer.MAX_VALUE) {
            throw new InvalidInputException(where + ": batch too large");
        }
        // one fast sum first: only a non-finite sum (or one that overflows) needs the element-wise look
        if (!Double.isFinite(io.github.dtd4j.internal.Sums.total(input))
                && (BooleanIndexing.or(input, Conditions.isNan()) || BooleanIndexing.or(input, Conditions.isInfinite()))) {
            throw new InvalidInputException(where + ": " + firstNonFinite(input) + " (shape "
                    + Shape.format(input.shape()) + ")");
        }
        return input.dataType() == dtype ? input : input.castTo(dtype);
    }

    /**
     * Frees an array's memory now (a view, which owns none, is left to the garbage collector; an array in a
     * workspace, to its workspace).
     */
    private static void release(INDArray a) {
        if (!a.isAttached() && a.closeable()) {
            a.close();
        }
    }

    private static double[] plus(double[] a, double[] b) {
        double[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }

    /** {@return "NaN at [0,1,2,3]"-style text for the first non-finite element} */
    static String firstNonFinite(INDArray a) {
        INDArray flat = a.reshape('c', new long[]{a.length()});
        for (long i = 0; i < flat.length(); i++) {
            double v = flat.getDouble(i);
            if (!Double.isFinite(v)) {
                long[] idx = org.nd4j.linalg.api.shape.Shape.ind2subC(a.shape(), i);
                return v + " at " + Shape.format(idx);
            }
        }
        return "non-finite value";
    }

    private static void checkFinite(Graph g, Map<String, INDArray> out) {
        for (Node n : g.nodes()) {
            checkFinite(n, out.get(n.name()));
        }
    }

    private static void checkFinite(Node n, INDArray a) {
        // every node, not only the logits: max pooling skips NaN and a ReLU maps -Inf to 0, so finite logits can
        // sit on top of non-finite values that would turn the relevance into garbage (0/NaN, x/Inf).
        // One reduction per node: a NaN or infinity makes the sum non-finite; only then (or when finite values
        // overflow the sum) look element by element. A node whose output is finite whenever its inputs are (which
        // were checked) needs no look
        if (!preservesFinite(n.layer()) && !Double.isFinite(io.github.dtd4j.internal.Sums.total(a))
                && (BooleanIndexing.or(a, Conditions.isNan()) || BooleanIndexing.or(a, Conditions.isInfinite()))) {
            throw new InvalidInputException("layer '" + n.name() + "' (" + n.kind() + "): the forward pass produced "
                    + firstNonFinite(a) + " (output " + Shape.format(a.shape()) + "); the input or the weights "
                    + "overflow the computation dtype");
        }
    }

    /**
     * {@return whether the layer's output is finite whenever its input is}: routing and copying, max pooling, and
     * activations bounded by a constant or by |x| (a leaky ReLU with |α| ≤ 1)
     */
    static boolean preservesFinite(io.github.dtd4j.graph.Layer l) {
        if (l instanceof io.github.dtd4j.graph.Activation a) {
            return switch (a.function()) {
                case CLIP, SIGMOID, HARD_SIGMOID, TANH, HARD_SWISH, GELU, SILU -> true;
                case ELU -> Double.isFinite(a.alpha());
                case LEAKY_RELU -> Math.abs(a.alpha()) <= 1;
            };
        }
        return l instanceof io.github.dtd4j.graph.Relu || l instanceof io.github.dtd4j.graph.Reshape
                || l instanceof io.github.dtd4j.graph.Flatten || l instanceof io.github.dtd4j.graph.Permute
                || l instanceof io.github.dtd4j.graph.Slice || l instanceof io.github.dtd4j.graph.Identity
                || l instanceof io.github.dtd4j.graph.Dropout || l instanceof io.github.dtd4j.graph.MaxPool2d;
    }

    private static int[] resolveTargets(Graph g, INDArray logits, int[] targets, int n) {
        int k = (int) logits.size(1);
        if (targets == null) {
            int[] t = new int[n];
            INDArray arg = logits.argMax(1);
            for (int i = 0; i < n; i++) {
                t[i] = arg.getInt(i);
            }
            return t;
        }
        int[] t = targets.length == 1 && n != 1 ? filled(n, targets[0]) : targets.clone();
        if (t.length != n) {
            throw new InvalidInputException("targets: " + t.length + " classes given for a batch of " + n);
        }
        for (int i = 0; i < n; i++) {
            if (t[i] < 0 || t[i] >= k) {
                throw new InvalidInputException("targets: class " + t[i] + " for batch element " + i + " is not in [0,"
                        + k + ") (output '" + g.outputName() + "' has " + k + " classes)");
            }
        }
        return t;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }
}
