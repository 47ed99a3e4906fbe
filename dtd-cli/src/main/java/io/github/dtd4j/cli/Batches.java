package io.github.dtd4j.cli;

import io.github.dtd4j.Ledger;
import io.github.dtd4j.LedgerEntry;
import io.github.dtd4j.methods.Attributions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Splits the explanation of a batch ({@code dtd explain --batch}) into one per element, as if each were explained
 * alone.
 */
final class Batches {
    private Batches() {
    }

    /**
     * {@return element {@code i} of a batch's attributions, as a batch of one: its own copies of the arrays, and its
     * ledger's sums}
     *
     * @param a the batch's
     * @param i the element
     */
    static Attributions element(Attributions a, int i) {
        long n = a.logits().size(0);
        Map<String, INDArray> extras = new LinkedHashMap<>();
        a.extras().forEach((k, v) -> extras.put(k, v.rank() > 0 && v.size(0) == n ? row(v, i) : v.dup()));
        int[] targets = {a.targets()[i]};
        double[] delta = a.convergenceDelta().map(d -> new double[]{d[i]}).orElse(null);
        Ledger ledger = a.ledger().map(l -> element(l, i)).orElse(null);
        return new Attributions(a.method(), row(a.attribution(), i), row(a.logits(), i), targets, extras, delta,
                ledger);
    }

    private static INDArray row(INDArray v, int i) {
        return v.get(NDArrayIndex.interval(i, i + 1)).dup();
    }

    private static Ledger element(Ledger l, int i) {
        List<LedgerEntry> entries = new ArrayList<>();
        for (LedgerEntry e : l.entries()) {
            Map<String, double[]> branches = new LinkedHashMap<>();
            e.branches().forEach((k, v) -> branches.put(k, new double[]{v[i]}));
            entries.add(new LedgerEntry(e.node(), e.kind(), e.propagation(), new double[]{e.in()[i]},
                    new double[]{e.out()[i]}, new double[]{e.bias()[i]}, new double[]{e.stabilizer()[i]}, branches,
                    e.nanos()));
        }
        return new Ledger(new double[]{l.start()[i]}, new double[]{l.inputSums()[i]}, entries);
    }
}
