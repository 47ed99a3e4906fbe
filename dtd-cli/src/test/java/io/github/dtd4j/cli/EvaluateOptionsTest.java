package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.cli.EvaluateCommand.Metric;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code dtd evaluate}'s options: parsing, and every command-line mistake reported as one line with exit 2 before any
 * file is read (the model file of these tests does not exist).
 */
class EvaluateOptionsTest {
    static final List<String> FILES = List.of("evaluate", "--model", "missing-model.onnx", "--input", "x.npy");

    record Run(int exit, String err) {
    }

    static Run evaluate(String... options) {
        List<String> args = new ArrayList<>(FILES);
        args.addAll(List.of(options));
        StringWriter err = new StringWriter();
        CommandLine cl = Dtd.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Run(cl.execute(args.toArray(String[]::new)), err.toString());
    }

    static EvaluateCommand parse(String... options) {
        List<String> args = new ArrayList<>(FILES);
        args.addAll(List.of(options));
        CommandLine.ParseResult r = Dtd.commandLine().parseArgs(args.toArray(String[]::new));
        return (EvaluateCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void optionsAreParsed() {
        EvaluateCommand c = parse("--method", "lrp,gradient", "--method", "integrated-gradients", "--metric",
                "region-perturbation,Selectivity", "--metric", "randomization", "--patch", "2", "--steps", "30",
                "--selectivity-window", "3", "--selectivity-steps", "5", "--shift", "2", "--perturbation", "BLUR",
                "--value", "1.5", "--seed", "7", "--sample", "selectivity=4,continuity=2", "--ig-steps", "16",
                "--dtype", "float64", "--json", "e.json", "--out", "dir");
        assertThat(c.methods).containsExactly("lrp", "gradient", "integrated-gradients");
        assertThat(c.metrics).containsExactly(Metric.REGION_PERTURBATION, Metric.SELECTIVITY, Metric.RANDOMISATION);
        assertThat(c.patch).isEqualTo(2);
        assertThat(c.steps).isEqualTo(30);
        assertThat(c.selectivityWindow).isEqualTo(3);
        assertThat(c.selectivitySteps).isEqualTo(5);
        assertThat(c.shift).isEqualTo(2);
        assertThat(c.perturbation).isEqualTo(EvaluateCommand.Replacement.BLUR);
        assertThat(c.value).isEqualTo(1.5);
        assertThat(c.seed).isEqualTo(7L);
        assertThat(c.sample).containsEntry("selectivity", 4).containsEntry("continuity", 2);
        // --steps is the metric's; Integrated Gradients' steps are --ig-steps
        assertThat(c.methodOptions.igSteps()).isEqualTo(16);
        assertThat(c.rules.options.dtype.precision).isEqualTo(io.github.dtd4j.graph.Precision.FLOAT64);
        assertThat(c.samples(false).of(Metric.SELECTIVITY, 100)).isEqualTo(4);
        assertThat(c.samples(false).of(Metric.CONSERVATION, 100)).isEqualTo(100);
        assertThat(c.samples(true).of(Metric.CONSERVATION, 1000)).isEqualTo(EvaluateCommand.DEFAULT_SAMPLES
                .get(Metric.CONSERVATION));
        assertThat(c.samples(true).of(Metric.CONTINUITY, 1000)).isEqualTo(2);
        EvaluateCommand d = parse();
        assertThat(d.methods).isNull();
        assertThat(d.metrics).isNull();
        assertThat(d.out).hasToString("evaluate-out");
        assertThat(d.threads).isEqualTo(1);
        assertThat(parse("--smoothgrad-seed", "3").methodOptions.smoothGradSeed()).isEqualTo(3L);
    }

    @Test
    void theDefaultIsEveryMethodThatExplainsAnInput() {
        CommandLine cl = Dtd.commandLine();
        cl.parseArgs("evaluate");
        EvaluateCommand c = (EvaluateCommand) cl.getSubcommands().get("evaluate").getCommandSpec().userObject();
        List<String> names = c.chosenMethods().stream().map(MethodRegistry.Entry::name).toList();
        List<String> want = new ArrayList<>(MethodRegistry.availableNames());
        want.remove("activation-maximization");
        assertThat(names).containsExactlyElementsOf(want).contains("lrp", "cam", "crp", "occlusion");
    }

    @Test
    void metricNamesInAnyCaseAndSpelling() {
        EvaluateCommand.MetricConverter c = new EvaluateCommand.MetricConverter();
        assertThat(c.convert("region_perturbation")).isEqualTo(Metric.REGION_PERTURBATION);
        assertThat(c.convert("Randomization")).isEqualTo(Metric.RANDOMISATION);
        assertThat(Metric.REGION_PERTURBATION).hasToString("region-perturbation");
        assertThat(Metric.REGION_PERTURBATION.key()).isEqualTo("region_perturbation");
    }

    @Test
    void mistakesAreOneLineAndExitTwoBeforeAnyFileIsRead() {
        String[][] bad = {
                {"--metric", "faithfulness"},
                {"--method", "lrp,bogus"},
                {"--method", "activation-maximization"},
                {"--method", "crp"},
                {"--metric", "continuity", "--steps", "20"},
                {"--metric", "conservation", "--seed", "3"},
                {"--metric", "continuity", "--patch", "2"},
                {"--metric", "conservation", "--selectivity-steps", "2"},
                {"--perturbation", "mean", "--value", "0.5"},
                {"--perturbation", "blur", "--value", "0"},
                {"--perturbation", "noise"},
                {"--steps", "0"},
                {"--patch", "-1"},
                {"--sample", "bogus=3"},
                {"--sample", "selectivity=0"},
                {"--method", "gradient", "--ig-steps", "8"},
                {"--method", "lrp", "--smoothgrad-seed", "8"},
                {"--method", "gradient", "--epsilon", "0.1"},
                {"--method", "integrated-gradients", "--ig-steps", "0"},
                {"--dataset", "cifar"},
                {"--threads", "0"},
        };
        for (String[] b : bad) {
            Run r = evaluate(b);
            assertThat(r.exit()).as(String.join(" ", b) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", b)).startsWith("dtd: ").doesNotContain("missing-model")
                    .doesNotContain("\tat ");
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        }
        assertThat(evaluate("--metric", "faithfulness").err()).contains("unknown metric 'faithfulness'; known:"
                + " region-perturbation, selectivity, continuity, randomisation, conservation");
        assertThat(evaluate("--method", "lrp,bogus").err()).contains("unknown method 'bogus'; known: lrp");
        assertThat(evaluate("--method", "activation-maximization").err())
                .contains("synthesises an input rather than explaining one");
        assertThat(evaluate("--method", "crp").err()).contains("--method crp needs --layer");
        assertThat(evaluate("--metric", "continuity", "--steps", "20").err())
                .contains("--steps does not apply to metric continuity (it is an option of region-perturbation);"
                        + " Integrated Gradients' steps are --ig-steps");
        assertThat(evaluate("--metric", "conservation", "--seed", "3").err())
                .contains("SmoothGrad's seed is --smoothgrad-seed");
        assertThat(evaluate("--steps", "0").err()).contains("--steps must be >= 1").contains("--ig-steps");
        assertThat(evaluate("--method", "gradient", "--ig-steps", "8").err())
                .contains("--ig-steps does not apply to method gradient");
        // past the checks, the model file is read (and missing): exit 1
        Run ok = evaluate("--method", "integrated-gradients,smoothgrad", "--ig-steps", "8", "--smoothgrad-seed", "2",
                "--steps", "10", "--seed", "4", "--dtype", "float64", "--metric", "region-perturbation,randomisation");
        assertThat(ok.exit()).as(ok.err()).isEqualTo(1);
        assertThat(ok.err()).contains("missing-model.onnx: no such model file");
        // --dtype sets the metrics too: it applies whatever the methods
        assertThat(evaluate("--method", "cam", "--dtype", "float64").err()).contains("no such model file");
    }

    @Test
    void modelAndInputGoTogether() {
        StringWriter err = new StringWriter();
        CommandLine cl = Dtd.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("evaluate", "--model", "m.onnx")).isEqualTo(2);
        assertThat(err.toString()).contains("give --model and --input together");
    }

    @Test
    void everyMethodOptionIsAnOptionOfEvaluate() {
        Set<String> options = Dtd.commandLine().getSubcommands().get("evaluate").getCommandSpec().options().stream()
                .map(CommandLine.Model.OptionSpec::longestName).collect(Collectors.toSet());
        Set<String> read = new HashSet<>(MethodRegistry.methodOptions());
        read.remove("--ledger");
        assertThat(options).containsAll(read);
        assertThat(options).contains("--ig-steps", "--smoothgrad-seed", "--steps", "--seed", "--patch", "--metric");
    }

    @Test
    void theHelpSaysWhatIsNotEvaluatedAndWhichStepsAreWhich() {
        String help = Dtd.commandLine().getSubcommands().get("evaluate").getUsageMessage().replaceAll("\\s+", " ");
        assertThat(help).contains("activation-maximization, which synthesises an input rather than explaining one",
                "--ig-steps", "--smoothgrad-seed", "Not Integrated Gradients' steps", "region-perturbation",
                "selectivity", "continuity", "randomisation", "conservation", "constant, mean, uniform, blur");
        String top = Dtd.commandLine().getUsageMessage();
        assertThat(top).contains("evaluate");
    }
}
