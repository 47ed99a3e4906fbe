package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.methods.Quadrature;
import io.github.dtd4j.methods.SmoothGrad;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;

/**
 * {@code --method} and the options of each method: the registry's names and options, and validation, which comes
 * before any file is read (the model file of these tests does not exist: every error must be about the options).
 */
class MethodOptionsTest {
    static final List<String> FILES = List.of("explain", "--model", "missing-model.onnx", "--input", "x.npy", "--out",
            "r.npy");

    @TempDir
    Path dir;

    record Run(int exit, String err) {
    }

    static Run run(List<String> prefix, String... options) {
        List<String> args = new ArrayList<>(prefix);
        args.addAll(List.of(options));
        StringWriter err = new StringWriter();
        CommandLine cl = Dtd.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Run(cl.execute(args.toArray(String[]::new)), err.toString());
    }

    static Run explain(String... options) {
        return run(FILES, options);
    }

    static ExplainCommand parse(String... options) {
        List<String> args = new ArrayList<>(FILES);
        args.addAll(List.of(options));
        CommandLine.ParseResult r = Dtd.commandLine().parseArgs(args.toArray(String[]::new));
        return (ExplainCommand) r.subcommand().commandSpec().userObject();
    }

    /** A small network: 6 inputs, 5 ReLUs, 3 outputs. */
    static Graph graph() {
        Nd4j.getRandom().setSeed(11);
        return Graph.sequential(6).dense("d1", Nd4j.randn(DataType.FLOAT, 6, 5), Nd4j.zeros(DataType.FLOAT, 5)).relu()
                .dense("d2", Nd4j.randn(DataType.FLOAT, 5, 3), Nd4j.zeros(DataType.FLOAT, 3)).build();
    }

    @Test
    void theMethodsAreTheIssuesNamesAndTheLibrarysAreAllEnabled() {
        assertThat(MethodRegistry.names()).containsExactly("lrp", "gradient", "sensitivity", "gradient-input",
                "integrated-gradients", "smoothgrad", "guided-backprop", "deconvnet", "cam", "grad-cam", "grad-cam-pp",
                "guided-grad-cam", "deeplift", "occlusion", "taylor", "activation-maximization", "crp");
        // every method the library has is reachable from the command line (a merged method needs its entry enabled)
        assertThat(MethodRegistry.availableNames()).containsExactlyInAnyOrderElementsOf(Methods.names());
        assertThat(MethodRegistry.availableNames()).containsAll(MethodRegistry.DEFAULT_COMPARISON);
    }

    @Test
    void everyOptionTheRegistryNamesIsAnOptionOfExplainAndCompare() {
        for (String command : List.of("explain", "compare")) {
            Set<String> options = Dtd.commandLine().getSubcommands().get(command).getCommandSpec().options().stream()
                    .map(CommandLine.Model.OptionSpec::longestName).collect(Collectors.toSet());
            Set<String> read = new java.util.HashSet<>(MethodRegistry.methodOptions());
            if (command.equals("compare")) {
                read.remove("--ledger");
            }
            assertThat(options).as(command).containsAll(read);
        }
        // LRP's options are the rule options (all but --dtype, which other methods read too)
        Set<String> rules = CommandLine.Model.CommandSpec.forAnnotatedObject(new RuleOptions()).options().stream()
                .map(CommandLine.Model.OptionSpec::longestName).collect(Collectors.toSet());
        rules.remove("--dtype");
        assertThat(MethodRegistry.RULE_OPTIONS).containsExactlyInAnyOrderElementsOf(rules);
    }

    @Test
    void theOptionsOfEachMethod() {
        // --ig-steps and --smoothgrad-seed everywhere; --steps and --seed too in explain and compare
        assertThat(MethodRegistry.find("integrated-gradients").orElseThrow().options())
                .containsExactlyInAnyOrder("--ig-steps", "--steps", "--ig-method", "--baseline", "--internal-batch-size",
                        "--dtype", "--engine");
        assertThat(MethodRegistry.find("smoothgrad").orElseThrow().options())
                .containsExactlyInAnyOrder("--samples", "--noise", "--smoothgrad-seed", "--seed", "--smoothgrad-variant",
                        "--dtype", "--engine");
        for (String m : List.of("gradient", "sensitivity", "gradient-input", "guided-backprop", "deconvnet")) {
            // the gradient family compiles to ONNX Runtime, as LRP does
            assertThat(MethodRegistry.find(m).orElseThrow().options()).as(m)
                    .containsExactlyInAnyOrder("--dtype", "--engine");
        }
        // CAM reads the layer that feeds global average pooling, by definition: it takes no --layer
        assertThat(MethodRegistry.find("cam").orElseThrow().options()).isEmpty();
        for (String m : List.of("grad-cam", "grad-cam-pp", "guided-grad-cam")) {
            assertThat(MethodRegistry.find(m).orElseThrow().options()).as(m).containsExactlyInAnyOrder("--layer", "--engine");
        }
        for (String m : List.of("taylor", "activation-maximization")) {
            assertThat(MethodRegistry.find(m).orElseThrow().options()).as(m).containsExactly("--dtype");
        }
        assertThat(MethodRegistry.find("deeplift").orElseThrow().options())
                .containsExactlyInAnyOrder("--baseline", "--dtype");
        assertThat(MethodRegistry.find("occlusion").orElseThrow().options())
                .containsExactlyInAnyOrder("--window", "--stride", "--baseline", "--dtype");
        assertThat(MethodRegistry.find("crp").orElseThrow().options()).contains("--layer", "--channels", "--rule",
                "--dtype");
        assertThat(MethodRegistry.find("lrp").orElseThrow().options()).contains("--rule", "--ledger", "--dtype", "--low");
        assertThat(MethodRegistry.find("GRADIENT")).isPresent();
    }

    @Test
    void optionsAreParsedAndAbsentOnesLeftToTheLibrary() {
        ExplainCommand c = parse("--method", "integrated-gradients", "--steps", "16", "--ig-method", "riemann-middle",
                "--internal-batch-size", "4");
        assertThat(c.method).isEqualTo("integrated-gradients");
        assertThat(c.methodOptions.igSteps()).isEqualTo(16);
        assertThat(c.methodOptions.igMethod).isEqualTo(Quadrature.RIEMANN_MIDDLE);
        assertThat(c.methodOptions.internalBatchSize).isEqualTo(4);
        assertThat(c.methodOptions.samples).isNull();
        ExplainCommand s = parse("--method", "smoothgrad", "--samples", "7", "--noise", "0.2", "--seed", "3",
                "--smoothgrad-variant", "SMOOTHGRAD_SQ");
        assertThat(s.methodOptions.variant).isEqualTo(SmoothGrad.Variant.SMOOTHGRAD_SQ);
        assertThat(parse("--smoothgrad-variant", "smoothgrad-sq").methodOptions.variant)
                .isEqualTo(SmoothGrad.Variant.SMOOTHGRAD_SQ);
        assertThat(parse("--channels", "3,17,40").methodOptions.channels).containsExactly(3, 17, 40);
        assertThat(parse().method).isEqualTo("lrp");
        // the long names, which dtd evaluate takes too
        ExplainCommand l = parse("--method", "integrated-gradients", "--ig-steps", "12");
        assertThat(l.methodOptions.problem()).isNull();
        assertThat(l.methodOptions.igSteps()).isEqualTo(12);
        ExplainCommand sl = parse("--method", "smoothgrad", "--smoothgrad-seed", "9");
        assertThat(sl.methodOptions.problem()).isNull();
        assertThat(sl.methodOptions.smoothGradSeed()).isEqualTo(9L);
        // the short names mean the same
        ExplainCommand sh = parse("--method", "integrated-gradients", "--steps", "7");
        assertThat(sh.methodOptions.problem()).isNull();
        assertThat(sh.methodOptions.igSteps()).isEqualTo(7);
    }

    @Test
    void theShortAndLongNamesOfOneOptionMustAgree() {
        Run r = explain("--method", "integrated-gradients", "--steps", "8", "--ig-steps", "16");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--steps and --ig-steps are one option");
        Run s = explain("--method", "smoothgrad", "--seed", "1", "--smoothgrad-seed", "2");
        assertThat(s.exit()).isEqualTo(2);
        assertThat(s.err()).contains("--seed and --smoothgrad-seed are one option");
        // the same value twice is no conflict: past the option checks, the input file is looked for (and missing)
        assertThat(explain("--method", "integrated-gradients", "--steps", "8", "--ig-steps", "8").err())
                .contains("x.npy: no such input file");
        Run zero = explain("--method", "integrated-gradients", "--steps", "0");
        assertThat(zero.err()).contains("--steps must be >= 1");
        assertThat(explain("--method", "integrated-gradients", "--ig-steps", "0").err())
                .contains("--ig-steps must be >= 1");
        assertThat(explain("--method", "gradient", "--ig-steps", "4").err())
                .contains("--ig-steps does not apply to method gradient (it is an option of integrated-gradients)");
    }

    @Test
    void theFactoriesMakeTheLibrarysMethodsWithTheOptions() {
        Graph g = graph();
        ExplainCommand ig = parse("--method", "integrated-gradients", "--steps", "8", "--ig-method", "riemann-trapezoid",
                "--dtype", "float64");
        assertThat(MethodRegistry.find("integrated-gradients").orElseThrow()
                .make(new MethodRegistry.Context(g, ig.methodOptions, ig.rules.options)).settings())
                .isEqualTo(Methods.integratedGradients(g).withSteps(8).withQuadrature(Quadrature.RIEMANN_TRAPEZOID)
                        .withEngine(io.github.dtd4j.ExplanationEngine.AUTO).settings());
        ExplainCommand sg = parse("--method", "smoothgrad", "--samples", "7", "--noise", "0.2", "--seed", "3",
                "--smoothgrad-variant", "vargrad");
        assertThat(MethodRegistry.find("smoothgrad").orElseThrow()
                .make(new MethodRegistry.Context(g, sg.methodOptions, sg.rules.options)).settings())
                .isEqualTo("vargrad, samples=7, noise=0.2, seed=3");
        ExplainCommand d = parse("--method", "smoothgrad");
        assertThat(MethodRegistry.find("smoothgrad").orElseThrow()
                .make(new MethodRegistry.Context(g, d.methodOptions, d.rules.options)).settings())
                .isEqualTo(Methods.smoothGrad(g).withEngine(io.github.dtd4j.ExplanationEngine.AUTO).settings());
        ExplainCommand gi = parse("--method", "gradient-input", "--dtype", "float64");
        assertThat(MethodRegistry.find("gradient-input").orElseThrow()
                .make(new MethodRegistry.Context(g, gi.methodOptions, gi.rules.options)).settings()).isEqualTo("float64");
    }

    @Test
    void anOptionOfAnotherMethodIsAnErrorBeforeAnyFileIsRead() {
        String[][] bad = {
                {"--method", "gradient", "--steps", "8"},
                {"--method", "smoothgrad", "--rule", "epsilon"},
                {"--method", "integrated-gradients", "--samples", "3"},
                {"--method", "gradient", "--ledger", "l.json"},
                {"--method", "deconvnet", "--layer", "conv1"},
                {"--steps", "4"},
                {"--method", "guided-backprop", "--epsilon", "0.1"},
                {"--method", "integrated-gradients", "--window", "3"},
                {"--method", "smoothgrad", "--baseline", "zero"},
        };
        for (String[] b : bad) {
            Run r = explain(b);
            String option = b[b.length - 2];
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", b)).startsWith("dtd: " + option + " does not apply to method ")
                    .contains("it is an option of").doesNotContain("missing-model");
            assertThat(r.err().strip().lines()).hasSize(1);
        }
        Run ok = explain("--method", "integrated-gradients", "--steps", "8", "--baseline", "zero", "--dtype", "float64");
        assertThat(ok.err()).contains("x.npy: no such input file");
    }

    @Test
    void badValuesAreErrorsBeforeAnyFileIsRead() throws Exception {
        Path txt = Files.writeString(dir.resolve("b.txt"), "0");
        String[][] bad = {
                {"--method", "integrated-gradients", "--steps", "0"},
                {"--method", "integrated-gradients", "--steps", "1", "--ig-method", "riemann-trapezoid"},
                {"--method", "integrated-gradients", "--internal-batch-size", "0"},
                {"--method", "integrated-gradients", "--baseline", txt.toString()},
                {"--method", "integrated-gradients", "--baseline", dir.resolve("missing.npy").toString()},
                {"--method", "smoothgrad", "--samples", "0"},
                {"--method", "smoothgrad", "--noise", "-0.1"},
                {"--method", "smoothgrad", "--noise", "NaN"},
                {"--method", "smoothgrad", "--smoothgrad-variant", "median"},
                {"--method", "integrated-gradients", "--ig-method", "simpson"},
                {"--method", "bogus"},
                {"--method", "grad-cam", "--window", "3"},
        };
        for (String[] b : bad) {
            Run r = explain(b);
            assertThat(r.exit()).as(String.join(" ", b) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", b)).startsWith("dtd: ").doesNotContain("missing-model");
            assertThat(r.err().strip().lines()).hasSize(1);
        }
        assertThat(explain("--method", "bogus").err()).contains("unknown method 'bogus'; known: lrp, gradient");
        assertThat(explain("--method", "integrated-gradients", "--ig-method", "simpson").err())
                .contains("gausslegendre, riemann-left");
    }

    @Test
    void compareChecksItsMethodsAndOptionsFirst() {
        List<String> compare = List.of("compare", "--model", "missing-model.onnx", "--input", "x.npy");
        Run steps = run(compare, "--methods", "lrp,gradient", "--steps", "4");
        assertThat(steps.exit()).isEqualTo(2);
        assertThat(steps.err()).contains("--steps does not apply to methods lrp, gradient");
        // past the checks: the files are read (and missing)
        assertThat(run(compare, "--methods", "gradient,integrated-gradients", "--steps", "4").err())
                .contains("x.npy: no such input file");
        Run unknown = run(compare, "--methods", "lrp,bogus,gradcam");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown methods 'bogus', 'gradcam'");
        Run half = run(List.of("compare", "--model", "missing-model.onnx"));
        assertThat(half.exit()).isEqualTo(2);
        assertThat(half.err()).contains("--model and --input together");
        Run jpg = run(List.of("compare", "--out", "x.jpg"));
        assertThat(jpg.exit()).isEqualTo(2);
        assertThat(jpg.err()).contains("expected a .png");
    }

    @Test
    void theHelpNamesEveryMethodAndItsOptions() {
        String help = Dtd.commandLine().getSubcommands().get("explain").getUsageMessage().replaceAll("\\s+", " ");
        for (String m : MethodRegistry.names()) {
            assertThat(help).contains(m);
        }
        assertThat(help).contains("--method", "--steps", "--ig-steps", "--ig-method", "--smoothgrad-variant", "--layer",
                "--channels", "--window", "--stride", "--baseline", "--samples", "--noise", "--seed", "--smoothgrad-seed");
    }
}
