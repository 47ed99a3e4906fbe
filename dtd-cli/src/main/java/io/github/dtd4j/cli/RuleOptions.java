package io.github.dtd4j.cli;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.rules.ZBoxRule;
import io.github.dtd4j.spi.Rule;
import java.util.Arrays;
import java.util.Locale;
import io.github.dtd4j.graph.Precision;
import picocli.CommandLine.Option;

/** The rule options shared by explain, inspect and bench, and how they become an {@link Explainer}. */
final class RuleOptions {
    @Option(names = "--rule", paramLabel = "NAME",
            description = "rule for every Conv and Dense layer: zplus, zbox, wsquare, epsilon, alphabeta, flat, gamma, lrp0")
    String rule;

    @Option(names = "--conv-rule", paramLabel = "NAME", description = "rule for Conv layers (wins over --rule)")
    String convRule;

    @Option(names = "--dense-rule", paramLabel = "NAME", description = "rule for Dense layers (wins over --rule)")
    String denseRule;

    @Option(names = "--first-rule", paramLabel = "NAME",
            description = "rule for the first Conv/Dense met from the input (wins over the others)")
    String firstRule;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "dtd (default when no rule is given), dtd-w2, epsilon-zplus, epsilon-alphabeta")
    String preset;

    @Option(names = "--epsilon", paramLabel = "E", defaultValue = "0.25", description = "epsilon rule's ε (default ${DEFAULT-VALUE})")
    double epsilon;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "2", description = "αβ rule's α (default ${DEFAULT-VALUE})")
    double alpha;

    @Option(names = "--beta", paramLabel = "B", defaultValue = "1", description = "αβ rule's β (default ${DEFAULT-VALUE})")
    double beta;

    @Option(names = "--gamma", paramLabel = "G", defaultValue = "0.25", description = "γ rule's γ (default ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--low", paramLabel = "L", description = "z^B lower bound: one number or one per input channel (a,b,c)")
    String low;

    @Option(names = "--high", paramLabel = "H", description = "z^B upper bound: one number or one per input channel")
    String high;

    @Option(names = "--zbox-bias", paramLabel = "MODE", defaultValue = "cancel",
            description = "z^B bias: cancel (default) or as-neuron (adds max(0,b), paper §6)")
    String zboxBias;

    @Option(names = "--bias", paramLabel = "POLICY", defaultValue = "rule-default",
            description = "rule-default or ignore (biases left out of every denominator)")
    String bias;

    @Option(names = "--stabilizer", paramLabel = "S", defaultValue = "1e-6", description = "stabilizer ε (default ${DEFAULT-VALUE})")
    double stabilizer;

    @Option(names = "--batchnorm", paramLabel = "MODE", defaultValue = "fold",
            description = "fold (where possible, else bypass), bypass or affine")
    String batchNorm;

    @Option(names = "--maxpool", paramLabel = "MODE", defaultValue = "winner", description = "winner or proportional")
    String maxPool;

    @Option(names = "--sum-split", paramLabel = "MODE", defaultValue = "signed",
            description = "split at residual Add and average/sum pooling: signed (default, RULES-SPEC) or positive "
                    + "(z+ on the sum: relevance stays positive in ResNets and DenseNets)")
    String sumSplit;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "float32", description = "float32 (default) or float64")
    String dtype;

    /** Bounds implied by the input preprocessing when --low/--high are absent; null if none. */
    double[][] defaultBounds;

    Precision precision() {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "float32", "float" -> Precision.FLOAT32;
            case "float64", "double" -> Precision.FLOAT64;
            default -> throw new CliException("--dtype: expected float32 or float64, got '" + dtype + "'");
        };
    }

    private static double[] numbers(String option, String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new CliException(option + ": expected a number or comma-separated numbers, got '" + text + "'");
        }
    }

    ZBoxRule zBox() {
        double[] lo;
        double[] hi;
        if (low != null || high != null) {
            if (low == null || high == null) {
                throw new CliException("z^B needs both --low and --high");
            }
            lo = numbers("--low", low);
            hi = numbers("--high", high);
        } else if (defaultBounds != null) {
            lo = defaultBounds[0];
            hi = defaultBounds[1];
        } else {
            throw new CliException("the z^B rule needs its box: give --low and --high (one number, or one per channel)");
        }
        if (lo.length != hi.length) {
            if (lo.length == 1) {
                double[] l = new double[hi.length];
                Arrays.fill(l, lo[0]);
                lo = l;
            } else if (hi.length == 1) {
                double[] h = new double[lo.length];
                Arrays.fill(h, hi[0]);
                hi = h;
            } else {
                throw new CliException("--low has " + lo.length + " values and --high " + hi.length);
            }
        }
        ZBoxRule z = Rules.zBox(lo, hi);
        return switch (zboxBias.toLowerCase(Locale.ROOT)) {
            case "cancel" -> z;
            case "as-neuron" -> z.withPositiveBias();
            default -> throw new CliException("--zbox-bias: expected cancel or as-neuron, got '" + zboxBias + "'");
        };
    }

    Rule named(String option, String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "zplus" -> Rules.Z_PLUS;
            case "zbox" -> zBox();
            case "wsquare" -> Rules.W_SQUARE;
            case "epsilon" -> Rules.epsilon(epsilon);
            case "alphabeta" -> Rules.alphaBeta(alpha, beta);
            case "flat" -> Rules.FLAT;
            case "gamma" -> Rules.gamma(gamma);
            case "lrp0" -> Rules.LRP_0;
            default -> throw new CliException(option + ": unknown rule '" + name
                    + "'; known: zplus, zbox, wsquare, epsilon, alphabeta, flat, gamma, lrp0");
        };
    }

    Explainer explainer(Graph graph) {
        Explainer ex = Explainer.of(graph);
        boolean anyRule = rule != null || convRule != null || denseRule != null || firstRule != null;
        String p = preset != null ? preset : anyRule ? null : "dtd";
        if (p != null) {
            ex = ex.preset(switch (p.toLowerCase(Locale.ROOT)) {
                case "dtd" -> Presets.dtd(zBox());
                case "dtd-w2" -> Presets.dtdWSquare();
                case "epsilon-zplus" -> Presets.epsilonZPlus(epsilon);
                case "epsilon-alphabeta" -> Presets.epsilonAlphaBeta(zBox(), epsilon);
                default -> throw new CliException("--preset: unknown preset '" + p
                        + "'; known: dtd, dtd-w2, epsilon-zplus, epsilon-alphabeta");
            });
        }
        if (rule != null) {
            ex = ex.rule(Selector.all(), named("--rule", rule));
        }
        if (convRule != null) {
            ex = ex.rule(Selector.conv(), named("--conv-rule", convRule));
        }
        if (denseRule != null) {
            ex = ex.rule(Selector.dense(), named("--dense-rule", denseRule));
        }
        if (firstRule != null) {
            ex = ex.rule(Selector.first(), named("--first-rule", firstRule));
        }
        ex = ex.biasPolicy(switch (bias.toLowerCase(Locale.ROOT)) {
            case "rule-default" -> BiasPolicy.RULE_DEFAULT;
            case "ignore" -> BiasPolicy.IGNORE;
            default -> throw new CliException("--bias: expected rule-default or ignore, got '" + bias + "'");
        });
        ex = ex.stabilizer(stabilizer);
        ex = switch (batchNorm.toLowerCase(Locale.ROOT)) {
            case "fold" -> ex.batchNorm(BatchNormMode.FOLD, BatchNormMode.BYPASS);
            case "bypass" -> ex.batchNorm(BatchNormMode.BYPASS);
            case "affine" -> ex.batchNorm(BatchNormMode.AFFINE);
            default -> throw new CliException("--batchnorm: expected fold, bypass or affine, got '" + batchNorm + "'");
        };
        ex = ex.maxPool(switch (maxPool.toLowerCase(Locale.ROOT)) {
            case "winner" -> MaxPoolMode.WINNER_TAKES_ALL;
            case "proportional" -> MaxPoolMode.PROPORTIONAL;
            default -> throw new CliException("--maxpool: expected winner or proportional, got '" + maxPool + "'");
        });
        ex = ex.sumSplit(switch (sumSplit.toLowerCase(Locale.ROOT)) {
            case "signed" -> SumSplit.SIGNED;
            case "positive" -> SumSplit.POSITIVE;
            default -> throw new CliException("--sum-split: expected signed or positive, got '" + sumSplit + "'");
        });
        return ex.precision(precision());
    }
}
