package io.github.dtd4j;

import io.github.dtd4j.graph.Precision;
import java.util.ArrayList;
import java.util.List;

/**
 * An explainer's settings, immutable; each {@code with} returns a copy with one setting changed.
 *
 * @param assignments       rule assignments in the order they were added
 * @param biasPolicy        rule default or ignore
 * @param stabilizer        ε
 * @param maxPool           default treatment of max-pooling
 * @param sumSplit          default split at sums
 * @param batchNorm         fold, bypass or affine
 * @param batchNormFallback for BatchNorms that cannot be folded
 * @param precision         float32 or float64
 * @param recordLayers      keep every node's relevance
 * @param stopAt            the node whose output ends the sweep; null for the input
 */
record Settings(List<Preset.Assignment> assignments, BiasPolicy biasPolicy, double stabilizer, MaxPoolMode maxPool,
                SumSplit sumSplit, BatchNormMode batchNorm, BatchNormMode batchNormFallback, Precision precision,
                boolean recordLayers, String stopAt) {
    Settings {
        assignments = List.copyOf(assignments);
    }

    /** The defaults: no rules, docs/conventions.md defaults, float32. */
    static final Settings DEFAULTS = new Settings(List.of(), BiasPolicy.RULE_DEFAULT, 1e-6,
            MaxPoolMode.WINNER_TAKES_ALL, SumSplit.SIGNED, BatchNormMode.FOLD, BatchNormMode.BYPASS, Precision.FLOAT32,
            false, null);

    Settings withAssignments(List<Preset.Assignment> more) {
        List<Preset.Assignment> all = new ArrayList<>(assignments);
        all.addAll(more);
        return new Settings(all, biasPolicy, stabilizer, maxPool, sumSplit, batchNorm, batchNormFallback, precision,
                recordLayers, stopAt);
    }

    Settings withBiasPolicy(BiasPolicy v) {
        return new Settings(assignments, v, stabilizer, maxPool, sumSplit, batchNorm, batchNormFallback, precision,
                recordLayers, stopAt);
    }

    Settings withStabilizer(double v) {
        return new Settings(assignments, biasPolicy, v, maxPool, sumSplit, batchNorm, batchNormFallback, precision,
                recordLayers, stopAt);
    }

    Settings withMaxPool(MaxPoolMode v) {
        return new Settings(assignments, biasPolicy, stabilizer, v, sumSplit, batchNorm, batchNormFallback, precision,
                recordLayers, stopAt);
    }

    Settings withSumSplit(SumSplit v) {
        return new Settings(assignments, biasPolicy, stabilizer, maxPool, v, batchNorm, batchNormFallback, precision,
                recordLayers, stopAt);
    }

    Settings withBatchNorm(BatchNormMode mode, BatchNormMode fallback) {
        return new Settings(assignments, biasPolicy, stabilizer, maxPool, sumSplit, mode, fallback, precision,
                recordLayers, stopAt);
    }

    Settings withPrecision(Precision v) {
        return new Settings(assignments, biasPolicy, stabilizer, maxPool, sumSplit, batchNorm, batchNormFallback, v,
                recordLayers, stopAt);
    }

    Settings withRecordLayers(boolean v) {
        return new Settings(assignments, biasPolicy, stabilizer, maxPool, sumSplit, batchNorm, batchNormFallback,
                precision, v, stopAt);
    }

    Settings withStopAt(String v) {
        return new Settings(assignments, biasPolicy, stabilizer, maxPool, sumSplit, batchNorm, batchNormFallback,
                precision, recordLayers, v);
    }

    /** {@return whether two settings compile to the same graph (rules aside)} @param o other settings */
    boolean sameGraph(Settings o) {
        return precision == o.precision && batchNorm == o.batchNorm;
    }
}
