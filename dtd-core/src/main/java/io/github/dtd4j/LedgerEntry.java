package io.github.dtd4j;

import java.util.Map;

/**
 * Where one node's relevance went, per batch element: what arrived at its output, what it sent to its inputs,
 * and what its bias and the stabilizer absorbed. For every node {@code in = out + bias + stabilizer} up to float
 * rounding.
 *
 * @param node        node name
 * @param kind        layer kind
 * @param propagation how relevance passed through it ("rule z+", "winner-take-all", "pass-through", ...)
 * @param in          Σ relevance at the node's output, per batch element
 * @param out         Σ relevance sent to its inputs
 * @param bias        absorbed by the bias term of the rule's denominators
 * @param stabilizer  absorbed by the stabilizer
 * @param branches    for nodes with several inputs (Add, Concat): Σ relevance sent to each, by input name
 * @param nanos       wall time of the node's propagation in the backward sweep (bookkeeping excluded)
 */
public record LedgerEntry(String node, String kind, String propagation, double[] in, double[] out, double[] bias,
                          double[] stabilizer, Map<String, double[]> branches, long nanos) {
    /** Copies every array and the branch map: an entry is a value. */
    public LedgerEntry {
        if (in == null || out == null || bias == null || stabilizer == null || branches == null
                || branches.values().stream().anyMatch(java.util.Objects::isNull)) {
            throw new io.github.dtd4j.errors.InvalidInputException("LedgerEntry of '" + node
                    + "': null sums or branches");
        }
        in = in.clone();
        out = out.clone();
        bias = bias.clone();
        stabilizer = stabilizer.clone();
        branches = LedgerEntry.copyOf(branches);
    }

    /** {@return Σ relevance at the node's output, per batch element (a copy)} */
    @Override
    public double[] in() {
        return in.clone();
    }

    /** {@return Σ relevance sent to its inputs, per batch element (a copy)} */
    @Override
    public double[] out() {
        return out.clone();
    }

    /** {@return absorbed by the bias term, per batch element (a copy)} */
    @Override
    public double[] bias() {
        return bias.clone();
    }

    /** {@return absorbed by the stabilizer, per batch element (a copy)} */
    @Override
    public double[] stabilizer() {
        return stabilizer.clone();
    }

    /** {@return Σ relevance sent to each input of a multi-input node, by input name (copies)} */
    @Override
    public Map<String, double[]> branches() {
        return LedgerEntry.copyOf(branches);
    }

    /** {@return in − out − bias − stabilizer for batch element {@code n}: zero up to float rounding} @param n index */
    public double imbalance(int n) {
        if (n < 0 || n >= in.length) {
            throw new io.github.dtd4j.errors.InvalidInputException("LedgerEntry of '" + node + "': batch element " + n
                    + " is not in [0," + in.length + ")");
        }
        return in[n] - out[n] - bias[n] - stabilizer[n];
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%-24s %-18s %-22s in=%.6g out=%.6g bias=%.3g stab=%.3g", node, kind,
                propagation, in[0], out[0], bias[0], stabilizer[0]);
    }

    /** {@return an unmodifiable deep copy of per-input sums, in the same order} @param branches sums by input name */
    static Map<String, double[]> copyOf(Map<String, double[]> branches) {
        Map<String, double[]> copy = new java.util.LinkedHashMap<>();
        branches.forEach((k, v) -> copy.put(k, v.clone()));
        return java.util.Collections.unmodifiableMap(copy);
    }
}
