package io.github.dtd4j;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The relevance accounts of one explanation: for every node (in reverse topological order, output first) where
 * its relevance went, and the totals. It balances: for each batch element,
 * {@code start = inputRelevance + Σ bias + Σ stabilizer} up to float rounding, whatever the rules.
 */
public final class Ledger {
    private final double[] start;
    private final double[] input;
    private final List<LedgerEntry> entries;

    /**
     * @param start   relevance put at the output (the explained logits), per batch element
     * @param input   Σ input relevance, per batch element
     * @param entries one per node, output first
     */
    public Ledger(double[] start, double[] input, List<LedgerEntry> entries) {
        if (start == null || input == null || entries == null
                || entries.stream().anyMatch(java.util.Objects::isNull)) {
            throw new io.github.dtd4j.errors.InvalidInputException("Ledger: null sums or entries");
        }
        this.start = start.clone();
        this.input = input.clone();
        this.entries = List.copyOf(entries);
    }

    /** {@return the batch size} */
    public int batchSize() {
        return start.length;
    }

    /** {@return the relevance that started at the output (f(x) of the explained class), per batch element} */
    public double[] start() {
        return start.clone();
    }

    /** {@return Σ of the relevance where the sweep ended (the input, or the stop node), per batch element} */
    public double[] inputSums() {
        return input.clone();
    }

    /** {@return Σ absorbed by biases over all nodes, per batch element} */
    public double[] absorbedByBias() {
        double[] s = new double[start.length];
        for (LedgerEntry e : entries) {
            for (int n = 0; n < s.length; n++) {
                s[n] += e.bias()[n];
            }
        }
        return s;
    }

    /** {@return Σ absorbed by the stabilizer over all nodes, per batch element} */
    public double[] absorbedByStabilizer() {
        double[] s = new double[start.length];
        for (LedgerEntry e : entries) {
            for (int n = 0; n < s.length; n++) {
                s[n] += e.stabilizer()[n];
            }
        }
        return s;
    }

    /** {@return start − input − bias − stabilizer per batch element: zero up to float rounding} */
    public double[] imbalance() {
        double[] b = absorbedByBias();
        double[] st = absorbedByStabilizer();
        double[] r = new double[start.length];
        for (int n = 0; n < r.length; n++) {
            r[n] = start[n] - input[n] - b[n] - st[n];
        }
        return r;
    }

    /** {@return the entries, output first} */
    public List<LedgerEntry> entries() {
        return entries;
    }

    /** {@return the entry of one node} @param node node name */
    public Optional<LedgerEntry> entry(String node) {
        return entries.stream().filter(e -> e.node().equals(node)).findFirst();
    }

    /** {@return the ledger as JSON: totals and one object per node, per batch element arrays} */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\n  \"start\": ").append(arr(start)).append(",\n  \"input\": ")
                .append(arr(input)).append(",\n  \"bias\": ").append(arr(absorbedByBias())).append(",\n  \"stabilizer\": ")
                .append(arr(absorbedByStabilizer())).append(",\n  \"imbalance\": ").append(arr(imbalance()))
                .append(",\n  \"nodes\": [");
        for (int i = 0; i < entries.size(); i++) {
            LedgerEntry e = entries.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"node\": ").append(str(e.node())).append(", \"kind\": ")
                    .append(str(e.kind())).append(", \"propagation\": ").append(str(e.propagation()))
                    .append(", \"in\": ").append(arr(e.in())).append(", \"out\": ").append(arr(e.out()))
                    .append(", \"bias\": ").append(arr(e.bias())).append(", \"stabilizer\": ").append(arr(e.stabilizer()));
            if (!e.branches().isEmpty()) {
                sb.append(", \"branches\": {");
                boolean first = true;
                for (Map.Entry<String, double[]> b : new java.util.TreeMap<>(e.branches()).entrySet()) {
                    sb.append(first ? "" : ", ").append(str(b.getKey())).append(": ").append(arr(b.getValue()));
                    first = false;
                }
                sb.append('}');
            }
            sb.append('}');
        }
        return sb.append("\n  ]\n}\n").toString();
    }

    private static String str(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    // JSON forbids raw control characters in strings (node names come from imported models)
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static String arr(double[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) {
            double v = a[i];
            sb.append(i == 0 ? "" : ", ").append(Double.isFinite(v) ? Double.toString(v) : "null");
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "start %.6g = input %.6g + bias %.3g + stabilizer %.3g (imbalance %.2g)%n",
                start[0], input[0], absorbedByBias()[0], absorbedByStabilizer()[0], imbalance()[0]));
        for (LedgerEntry e : entries) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }
}
