package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import java.util.List;

/**
 * Which propagation each node of an explainer's graph gets: a rule for linear layers, a fixed treatment for the
 * others. Printed, it is a table a user can check before trusting a heatmap.
 *
 * @param rows one per node, in topological order; a BatchNorm folded away (propagation "folded") follows the layer
 *             it was folded into
 */
public record Coverage(List<Row> rows) {
    /** Copies the list. */
    public Coverage {
        if (rows == null || rows.stream().anyMatch(java.util.Objects::isNull)) {
            throw new io.github.dtd4j.errors.InvalidInputException("Coverage: null rows");
        }
        rows = List.copyOf(rows);
    }

    /**
     * One node.
     *
     * @param node        node name
     * @param kind        layer kind
     * @param propagation the rule's name or the fixed treatment
     * @param reason      why (which selector chose the rule, or why a BatchNorm was not folded); may be empty
     */
    public record Row(String node, String kind, String propagation, String reason) {
    }

    /** {@return the propagation of one node} @param node node name */
    public String propagationOf(String node) {
        return rows.stream().filter(r -> r.node().equals(node)).map(Row::propagation).findFirst()
                .orElseThrow(() -> new ConfigurationException("no node named '" + node + "'"));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Row r : rows) {
            sb.append(String.format(java.util.Locale.ROOT, "%-28s %-18s %-24s %s%n", r.node(), r.kind(), r.propagation(),
                    r.reason()));
        }
        return sb.toString();
    }
}
