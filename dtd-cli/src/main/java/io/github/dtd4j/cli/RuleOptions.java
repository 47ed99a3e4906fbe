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
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The rule options shared by explain, inspect and bench, and how they become an {@link Explainer}. Options with a
 * fixed set of values are enums that picocli converts (case-insensitively, see {@link Dtd#commandLine}); where the
 * command line's spelling differs from the library's constants, a small enum here maps one to the other.
 */
final class RuleOptions {
    /** The rules {@code --rule} and its kin name; the parameters come from --epsilon, --alpha, ... */
    enum RuleName {
        ZPLUS, ZBOX, WSQUARE, EPSILON, ALPHABETA, FLAT, GAMMA, LRP0;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }

        /** Says "unknown rule" (what a user mistyped) rather than picocli's generic message. */
        static final class Converter implements CommandLine.ITypeConverter<RuleName> {
            @Override
            public RuleName convert(String value) {
                for (RuleName r : values()) {
                    if (r.toString().equalsIgnoreCase(value)) {
                        return r;
                    }
                }
                throw new CommandLine.TypeConversionException("unknown rule '" + value + "'; known: "
                        + Arrays.stream(values()).map(RuleName::toString).collect(Collectors.joining(", ")));
            }
        }
    }

    /** The presets {@code --preset} names. */
    enum PresetName {
        DTD, DTD_W2, EPSILON_ZPLUS, EPSILON_ALPHABETA;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /** What the z^B rule does with biases: {@link ZBoxRule}'s default, or {@link ZBoxRule#withPositiveBias()}. */
    enum ZBoxBias {
        CANCEL, AS_NEURON;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /** {@link BiasPolicy} as {@code --bias} spells it. */
    enum Bias {
        RULE_DEFAULT(BiasPolicy.RULE_DEFAULT), IGNORE(BiasPolicy.IGNORE);

        final BiasPolicy policy;

        Bias(BiasPolicy policy) {
            this.policy = policy;
        }

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /** {@link MaxPoolMode} as {@code --maxpool} spells it. */
    enum MaxPool {
        WINNER(MaxPoolMode.WINNER_TAKES_ALL), PROPORTIONAL(MaxPoolMode.PROPORTIONAL);

        final MaxPoolMode mode;

        MaxPool(MaxPoolMode mode) {
            this.mode = mode;
        }

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /** The engines {@code --engine} offers. */
    enum Engine {
        ND4J(io.github.dtd4j.ExplanationEngine.ND4J), ONNXRUNTIME(io.github.dtd4j.ExplanationEngine.ONNX_RUNTIME),
        AUTO(io.github.dtd4j.ExplanationEngine.AUTO);

        final io.github.dtd4j.ExplanationEngine engine;

        Engine(io.github.dtd4j.ExplanationEngine engine) {
            this.engine = engine;
        }

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    /** The dtypes {@code --dtype} offers. */
    enum Precision {
        FLOAT32(io.github.dtd4j.graph.Precision.FLOAT32), FLOAT64(io.github.dtd4j.graph.Precision.FLOAT64);

        final io.github.dtd4j.graph.Precision precision;

        Precision(io.github.dtd4j.graph.Precision precision) {
            this.precision = precision;
        }

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    @Option(names = "--rule", paramLabel = "NAME", converter = RuleName.Converter.class,
            description = "rule for every Conv and Dense layer: ${COMPLETION-CANDIDATES}")
    RuleName rule;

    @Option(names = "--conv-rule", paramLabel = "NAME", converter = RuleName.Converter.class,
            description = "rule for Conv layers (wins over --rule)")
    RuleName convRule;

    @Option(names = "--dense-rule", paramLabel = "NAME", converter = RuleName.Converter.class,
            description = "rule for Dense layers (wins over --rule)")
    RuleName denseRule;

    @Option(names = "--first-rule", paramLabel = "NAME", converter = RuleName.Converter.class,
            description = "rule for the first Conv/Dense met from the input (wins over the others)")
    RuleName firstRule;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "${COMPLETION-CANDIDATES} (dtd is the default when no rule is given)")
    PresetName preset;

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
            description = "z^B bias: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}; as-neuron adds max(0,b), paper §6)")
    ZBoxBias zboxBias;

    @Option(names = "--bias", paramLabel = "POLICY", defaultValue = "rule-default",
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}; ignore leaves biases out of every denominator)")
    Bias bias;

    @Option(names = "--stabilizer", paramLabel = "S", defaultValue = "1e-6", description = "stabilizer ε (default ${DEFAULT-VALUE})")
    double stabilizer;

    @Option(names = "--batchnorm", paramLabel = "MODE", defaultValue = "fold",
            description = "${COMPLETION-CANDIDATES} (case-insensitive; default fold, bypass where folding is impossible)")
    BatchNormMode batchNorm;

    @Option(names = "--maxpool", paramLabel = "MODE", defaultValue = "winner",
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    MaxPool maxPool;

    @Option(names = "--sum-split", paramLabel = "MODE", defaultValue = "signed",
            description = "split at residual Add and average/sum pooling: ${COMPLETION-CANDIDATES} (case-insensitive;"
                    + " default signed, docs/conventions.md; positive is z+ on the sum: relevance stays positive in ResNets and"
                    + " DenseNets)")
    SumSplit sumSplit;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "float32",
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    Precision dtype;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "auto",
            description = "${COMPLETION-CANDIDATES}: the reference engine (ND4J, node by node), the explanation compiled"
                    + " into one ONNX graph run by ONNX Runtime, or auto: ONNX Runtime where everything compiles in"
                    + " float32, else ND4J (default ${DEFAULT-VALUE}; docs/compiled-engine.md)")
    Engine engine;

    /** Bounds implied by the input preprocessing when --low/--high are absent; null if none. */
    double[][] defaultBounds;

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
        return zboxBias == ZBoxBias.AS_NEURON ? z.withPositiveBias() : z;
    }

    Rule named(RuleName name) {
        return switch (name) {
            case ZPLUS -> Rules.Z_PLUS;
            case ZBOX -> zBox();
            case WSQUARE -> Rules.W_SQUARE;
            case EPSILON -> Rules.epsilon(epsilon);
            case ALPHABETA -> Rules.alphaBeta(alpha, beta);
            case FLAT -> Rules.FLAT;
            case GAMMA -> Rules.gamma(gamma);
            case LRP0 -> Rules.LRP_0;
        };
    }

    Explainer explainer(Graph graph) {
        Explainer ex = Explainer.of(graph);
        boolean anyRule = rule != null || convRule != null || denseRule != null || firstRule != null;
        PresetName p = preset != null ? preset : anyRule ? null : PresetName.DTD;
        if (p != null) {
            ex = ex.preset(switch (p) {
                case DTD -> Presets.dtd(zBox());
                case DTD_W2 -> Presets.dtdWSquare();
                case EPSILON_ZPLUS -> Presets.epsilonZPlus(epsilon);
                case EPSILON_ALPHABETA -> Presets.epsilonAlphaBeta(zBox(), epsilon);
            });
        }
        if (rule != null) {
            ex = ex.rule(Selector.all(), named(rule));
        }
        if (convRule != null) {
            ex = ex.rule(Selector.conv(), named(convRule));
        }
        if (denseRule != null) {
            ex = ex.rule(Selector.dense(), named(denseRule));
        }
        if (firstRule != null) {
            ex = ex.rule(Selector.first(), named(firstRule));
        }
        // the fallback matters to FOLD only: BatchNorms it cannot fold are bypassed
        return ex.batchNorm(batchNorm, BatchNormMode.BYPASS).biasPolicy(bias.policy).stabilizer(stabilizer).maxPool(maxPool.mode).sumSplit(sumSplit)
                .precision(dtype.precision).engine(engine == null ? io.github.dtd4j.ExplanationEngine.ND4J
                        : engine.engine);
    }
}
