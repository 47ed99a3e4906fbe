package io.github.dtd4j.cli;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The settings of one {@code dtd serve} request, read from its query string: the parameters are {@code dtd explain}'s
 * options without the dashes ({@code ?method=lrp&preset=epsilon-zplus&epsilon=0.1}), parsed and checked by the same
 * code, so the API and the command line cannot disagree. Nothing in a request names a file: {@code baseline} takes
 * only {@code zero}, {@code target} only {@code top} or a class index.
 */
@Command(name = "request")
final class ServeRequest {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--method", paramLabel = "NAME", defaultValue = "lrp", description = "the explanation method")
    String method;

    @Option(names = "--methods", paramLabel = "A,B,...", description = "compare: the methods, in their order")
    String methods;

    @Option(names = "--target", paramLabel = "top|N", defaultValue = "top", description = "the class to explain")
    String target;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "how many top classes to list")
    int top;

    /** What an answer is. */
    enum Format {
        JSON, PNG, NPY;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json (default), png (the picture dtd explain draws) or npy (the attribution)")
    Format format;

    @Option(names = "--colormap", paramLabel = "MAP", defaultValue = "red-blue", description = "the colour map")
    ExplainCommand.Colors colormap;

    @Option(names = "--scale", paramLabel = "max|pNN", defaultValue = "max", description = "heatmap scaling")
    String scale;

    @Option(names = "--overlay", paramLabel = "ALPHA", defaultValue = "0.5", description = "the overlay's weight")
    double overlay;

    @Option(names = "--blur", paramLabel = "SIGMA", defaultValue = "0",
            description = "smooth the heatmap by a Gaussian of SIGMA pixels (display only)")
    double blur;

    @Option(names = "--contour", arity = "0..1", paramLabel = "true|false", defaultValue = "false",
            description = "contour lines of the relevance at 25, 50, 75 % of the scale over the overlay")
    boolean contour;

    @Mixin
    RuleOptionsMixin rules;

    @ArgGroup(exclusive = false)
    MethodOptions.WithShortNames methodOptions = new MethodOptions.WithShortNames();

    /** The parameters that shape only the answer, not the method: the cache key leaves them out. */
    private static final List<String> ANSWER = List.of("--target", "--top", "--format", "--colormap", "--scale",
            "--overlay", "--methods", "--blur", "--contour");

    /** The arguments as given, sorted: with the method, what makes one attribution. */
    private final Map<String, String> given = new TreeMap<>();

    /**
     * {@return the request's settings}
     *
     * @param query the raw query string, or null
     * @throws CliException naming the parameter, for an unknown parameter, a malformed value, an option of another
     *                      method, or a file name
     */
    static ServeRequest parse(String query) {
        ServeRequest r = new ServeRequest();
        List<String> args = new ArrayList<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8).strip();
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8).strip();
                if (!k.matches("[a-z][a-z0-9-]*")) {
                    throw new CliException("unknown parameter '" + k + "'");
                }
                if (r.given.put("--" + k, v) != null) {
                    throw new CliException("parameter '" + k + "' given twice");
                }
                args.add("--" + k + "=" + v);
            }
        }
        CommandLine cl = new CommandLine(r);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new CliException(e.getMessage().replace("'--", "'").replace("option --", "parameter ")
                    .replace("Unknown option: ", "unknown parameter: "));
        }
        if (r.methodOptions.baseline != null && !r.methodOptions.baseline.equalsIgnoreCase("zero")) {
            throw new CliException("baseline: a request names no file; only 'zero' is taken");
        }
        if (!r.target.equalsIgnoreCase("top") && !r.target.matches("\\d{1,9}")) {
            throw new CliException("target: expected top or a class index, got '" + r.target + "'");
        }
        if (r.top < 1 || r.top > 1000) {
            throw new CliException("top: expected 1 to 1000, got " + r.top);
        }
        if (!(r.overlay >= 0 && r.overlay <= 1)) {
            throw new CliException("overlay: expected a weight in [0,1], got " + r.overlay);
        }
        if (!(r.blur >= 0 && r.blur <= 100)) {
            throw new CliException("blur: expected a sigma in [0,100] pixels, got " + r.blur);
        }
        ExplainCommand.parseScale(r.scale);
        return r;
    }

    /**
     * Checks the method options against the chosen methods, as {@code dtd explain} does.
     *
     * @param chosen the methods
     * @throws CliException naming the misplaced or malformed parameter
     */
    void check(List<MethodRegistry.Entry> chosen) {
        try {
            MethodRegistry.check(spec, chosen, methodOptions);
        } catch (CommandLine.ParameterException e) {
            throw new CliException(e.getMessage().replace("--", ""));
        }
    }

    /** {@return the class to explain, or -1 for the top class} */
    int targetClass() {
        return target.equalsIgnoreCase("top") ? -1 : Integer.parseInt(target);
    }

    /** {@return what makes the attribution of a method: its name and the settings given, in one string} */
    String key(String methodName) {
        StringBuilder b = new StringBuilder(methodName.toLowerCase(Locale.ROOT));
        given.forEach((k, v) -> {
            if (!ANSWER.contains(k) && !k.equals("--method")) {
                b.append(' ').append(k).append('=').append(v);
            }
        });
        return b.toString();
    }
}
