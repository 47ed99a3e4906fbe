package io.github.dtd4j.cli;

import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.methods.Quadrature;
import io.github.dtd4j.methods.SmoothGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the methods other than LRP (LRP's are {@link RuleOptions}). Every field is null unless given, so
 * that an absent option means the library's default ({@code io.github.dtd4j.methods.Methods} states them) and the
 * command can tell which options were given; {@link MethodRegistry} says which method reads which.
 *
 * <p>Integrated Gradients' steps and SmoothGrad's seed are {@code --ig-steps} and {@code --smoothgrad-seed} in every
 * command; {@code dtd explain} and {@code dtd compare} also take them as {@code --steps} and {@code --seed}
 * ({@link WithShortNames}), while in {@code dtd evaluate} those two names belong to the metrics.
 */
class MethodOptions {
    /** {@link Quadrature} as {@code --ig-method} spells it (the library's own spelling). */
    static final class QuadratureConverter implements CommandLine.ITypeConverter<Quadrature> {
        @Override
        public Quadrature convert(String value) {
            try {
                return Quadrature.of(value);
            } catch (Dtd4jException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@link SmoothGrad.Variant} as Captum's NoiseTunnel spells it ({@code smoothgrad_sq}; '-' is taken too). */
    static final class VariantConverter implements CommandLine.ITypeConverter<SmoothGrad.Variant> {
        @Override
        public SmoothGrad.Variant convert(String value) {
            for (SmoothGrad.Variant v : SmoothGrad.Variant.values()) {
                if (v.name().equalsIgnoreCase(value.replace('-', '_'))) {
                    return v;
                }
            }
            throw new CommandLine.TypeConversionException("unknown smoothgrad variant '" + value + "'; known: "
                    + Arrays.stream(SmoothGrad.Variant.values()).map(MethodOptions::spelling)
                    .collect(Collectors.joining(", ")));
        }
    }

    /** {@return a variant as Captum spells it} @param v the variant */
    static String spelling(SmoothGrad.Variant v) {
        return v.name().toLowerCase(Locale.ROOT);
    }

    @Option(names = "--ig-steps", paramLabel = "N",
            description = "integrated-gradients: steps of the path integral (default 50)")
    Integer steps;

    @Option(names = "--ig-method", paramLabel = "RULE", converter = QuadratureConverter.class,
            description = "integrated-gradients: gausslegendre (default), riemann-left, riemann-right, riemann-middle or"
                    + " riemann-trapezoid")
    Quadrature igMethod;

    @Option(names = "--internal-batch-size", paramLabel = "ROWS",
            description = "integrated-gradients: scaled inputs per backward sweep (default 50; less needs less memory)")
    Integer internalBatchSize;

    @Option(names = "--baseline", paramLabel = "zero|PATH.npy",
            description = "integrated-gradients, deeplift, occlusion: the reference input (default zero); a .npy of the"
                    + " input's shape without the batch, or with it")
    String baseline;

    @Option(names = "--samples", paramLabel = "N", description = "smoothgrad: noisy copies averaged (default 5)")
    Integer samples;

    @Option(names = "--noise", paramLabel = "SIGMA",
            description = "smoothgrad: noise σ relative to each input's value range (default 0.15)")
    Double noise;

    @Option(names = "--smoothgrad-seed", paramLabel = "S", description = "smoothgrad: the noise generator's seed (default 0)")
    Long seed;

    @Option(names = "--smoothgrad-variant", paramLabel = "V", converter = VariantConverter.class,
            description = "smoothgrad: smoothgrad (mean, default), smoothgrad_sq (mean square) or vargrad (variance)")
    SmoothGrad.Variant variant;

    @Option(names = "--layer", paramLabel = "NODE",
            description = "grad-cam, grad-cam-pp, guided-grad-cam, crp: the node whose channels are weighed"
                    + " (dtd inspect lists the nodes)")
    String layer;

    @Option(names = "--channels", paramLabel = "C", split = ",",
            description = "crp: the channels of --layer whose relevance is followed to the input")
    int[] channels;

    @Option(names = "--window", paramLabel = "K", description = "occlusion: side of the occluded square, in pixels")
    Integer window;

    @Option(names = "--stride", paramLabel = "S", description = "occlusion: step between occluded squares, in pixels")
    Integer stride;

    /**
     * Checks the values, before any model is read: counts ≥ 1, noise finite and ≥ 0, channels ≥ 0, the quadrature
     * defined for the steps, the baseline file there.
     *
     * @return what is wrong, or null
     */
    String problem() {
        for (Object[] count : new Object[][]{{stepsName(), igSteps()}, {"--internal-batch-size", internalBatchSize},
                {"--samples", samples}, {"--window", window}, {"--stride", stride}}) {
            if (count[1] != null && (Integer) count[1] < 1) {
                return count[0] + " must be >= 1, got " + count[1];
            }
        }
        if (noise != null && !(noise >= 0 && Double.isFinite(noise))) {
            return "--noise must be finite and >= 0, got " + noise;
        }
        if (igSteps() != null && igMethod != null) {
            try {
                igMethod.points(igSteps());
            } catch (Dtd4jException e) {
                return stepsName() + " " + igSteps() + " --ig-method " + igMethod.spelling() + ": " + e.getMessage();
            }
        }
        if (channels != null) {
            if (channels.length == 0) {
                return "--channels: give at least one channel";
            }
            for (int c : channels) {
                if (c < 0) {
                    return "--channels: channels are >= 0, got " + c;
                }
            }
        }
        if (baseline != null && !baseline.equalsIgnoreCase("zero")) {
            Path p = Path.of(baseline);
            if (!p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                return "--baseline: expected zero or a .npy file, got '" + baseline + "'";
            }
            if (!Files.isRegularFile(p)) {
                return "--baseline: " + baseline + ": no such file";
            }
        }
        return null;
    }

    /** {@return Integrated Gradients' steps as given (by either name), or null} */
    Integer igSteps() {
        return steps;
    }

    /** {@return SmoothGrad's seed as given (by either name), or null} */
    Long smoothGradSeed() {
        return seed;
    }

    /** {@return how the command line named Integrated Gradients' steps, for messages} */
    String stepsName() {
        return "--ig-steps";
    }

    /** {@return a copy of every option, for a command that changes some per model} */
    MethodOptions copy() {
        MethodOptions c = new MethodOptions();
        c.steps = igSteps();
        c.igMethod = igMethod;
        c.internalBatchSize = internalBatchSize;
        c.baseline = baseline;
        c.samples = samples;
        c.noise = noise;
        c.seed = smoothGradSeed();
        c.variant = variant;
        c.layer = layer;
        c.channels = channels == null ? null : channels.clone();
        c.window = window;
        c.stride = stride;
        return c;
    }

    /**
     * The options of {@code dtd explain} and {@code dtd compare}: also {@code --steps} for {@code --ig-steps} and
     * {@code --seed} for {@code --smoothgrad-seed}, the names those commands have always taken.
     */
    static final class WithShortNames extends MethodOptions {
        @Option(names = "--steps", paramLabel = "N", description = "integrated-gradients: the same as --ig-steps")
        Integer stepsShort;

        @Option(names = "--seed", paramLabel = "S", description = "smoothgrad: the same as --smoothgrad-seed")
        Long seedShort;

        /** Checks that a short and a long name of one option, if both given, agree; then the values. */
        @Override
        String problem() {
            if (stepsShort != null && steps != null && !steps.equals(stepsShort)) {
                return "--steps and --ig-steps are one option (Integrated Gradients' steps): give one of them";
            }
            if (seedShort != null && seed != null && !seed.equals(seedShort)) {
                return "--seed and --smoothgrad-seed are one option (SmoothGrad's seed): give one of them";
            }
            return super.problem();
        }

        @Override
        Integer igSteps() {
            return stepsShort != null ? stepsShort : steps;
        }

        @Override
        Long smoothGradSeed() {
            return seedShort != null ? seedShort : seed;
        }

        @Override
        String stepsName() {
            return stepsShort != null ? "--steps" : "--ig-steps";
        }
    }

    /** {@return the baseline tensor, or null for zero (the library's default)} */
    INDArray baselineTensor() {
        return baseline == null || baseline.equalsIgnoreCase("zero") ? null : Npy.read(Path.of(baseline));
    }
}
