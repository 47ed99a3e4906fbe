package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.BatchNormMode;
import io.github.dtd4j.BiasPolicy;
import io.github.dtd4j.MaxPoolMode;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Images;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;

/** Enum options: picocli converts them in any case, and a bad value is one line {@code dtd: ...} and exit 2. */
class OptionsTest {
    static final List<String> FILES = List.of("explain", "--model", "m.onnx", "--input", "x.npy", "--out", "r.npy");

    static ExplainCommand parse(String... options) {
        List<String> args = new ArrayList<>(FILES);
        args.addAll(List.of(options));
        CommandLine cl = Dtd.commandLine();
        CommandLine.ParseResult r = cl.parseArgs(args.toArray(String[]::new));
        return (ExplainCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void enumValuesAreReadInAnyCase() {
        ExplainCommand c = parse("--rule", "EPSILON", "--first-rule", "zBox", "--preset", "Dtd-W2", "--zbox-bias",
                "AS-NEURON", "--bias", "Ignore", "--batchnorm", "affine", "--maxpool", "Proportional", "--sum-split",
                "POSITIVE", "--dtype", "Float64", "--colormap", "WHITE-RED", "--preprocess", "unit");
        RuleOptions o = c.rules.options;
        assertThat(o.rule).isEqualTo(RuleOptions.RuleName.EPSILON);
        assertThat(o.firstRule).isEqualTo(RuleOptions.RuleName.ZBOX);
        assertThat(o.preset).isEqualTo(RuleOptions.PresetName.DTD_W2);
        assertThat(o.zboxBias).isEqualTo(RuleOptions.ZBoxBias.AS_NEURON);
        assertThat(o.bias.policy).isEqualTo(BiasPolicy.IGNORE);
        assertThat(o.batchNorm).isEqualTo(BatchNormMode.AFFINE);
        assertThat(o.maxPool.mode).isEqualTo(MaxPoolMode.PROPORTIONAL);
        assertThat(o.sumSplit).isEqualTo(SumSplit.POSITIVE);
        assertThat(o.dtype.precision).isEqualTo(io.github.dtd4j.graph.Precision.FLOAT64);
        assertThat(c.colormap.map).isEqualTo(ColorMap.WHITE_RED);
        assertThat(c.preprocessing.preprocess).isEqualTo(Images.Preprocess.UNIT);
    }

    @Test
    void defaultsAreTheLibrarysDefaults() {
        ExplainCommand c = parse("--low", "0", "--high", "1");
        RuleOptions o = c.rules.options;
        assertThat(o.rule).isNull();
        assertThat(o.preset).isNull();
        assertThat(o.zboxBias).isEqualTo(RuleOptions.ZBoxBias.CANCEL);
        assertThat(o.bias.policy).isEqualTo(BiasPolicy.RULE_DEFAULT);
        assertThat(o.batchNorm).isEqualTo(BatchNormMode.FOLD);
        assertThat(o.maxPool.mode).isEqualTo(MaxPoolMode.WINNER_TAKES_ALL);
        assertThat(o.sumSplit).isEqualTo(SumSplit.SIGNED);
        assertThat(o.dtype.precision).isEqualTo(io.github.dtd4j.graph.Precision.FLOAT32);
        assertThat(c.colormap.map).isEqualTo(ColorMap.RED_BLUE);
        assertThat(c.preprocessing.preprocess).isEqualTo(Images.Preprocess.IMAGENET);
    }

    @Test
    void theHelpListsTheValuesAsTheyAreTyped() {
        // as one line: the help wraps at 80 columns
        String help = Dtd.commandLine().getSubcommands().get("explain").getUsageMessage().replaceAll("\\s+", " ");
        assertThat(help).contains("zplus, zbox, wsquare, epsilon, alphabeta, flat, gamma, lrp0",
                "dtd, dtd-w2, epsilon-zplus, epsilon-alphabeta", "rule-default, ignore", "winner, proportional",
                "cancel, as-neuron", "float32, float64", "red-blue, white-red");
    }

    @Test
    void aBadValueIsOneLineAndExitTwo() {
        String[][] bad = {
                {"--rule", "bogus"}, {"--conv-rule", "z+"}, {"--preset", "lrp"}, {"--zbox-bias", "keep"},
                {"--bias", "none"}, {"--batchnorm", "drop"}, {"--maxpool", "avg"}, {"--sum-split", "neg"},
                {"--dtype", "float16"}, {"--colormap", "jet"}, {"--preprocess", "vgg"},
        };
        for (String[] b : bad) {
            List<String> args = new ArrayList<>(FILES);
            args.addAll(List.of(b));
            StringWriter err = new StringWriter();
            CommandLine cl = Dtd.commandLine();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            int exit = cl.execute(args.toArray(String[]::new));
            String e = err.toString();
            assertThat(exit).as(e).isEqualTo(2);
            assertThat(e).as(b[0]).startsWith("dtd: ").contains(b[0]).contains("'" + b[1] + "'");
            assertThat(e.strip().lines()).as(e).hasSize(1);
        }
    }

    @Test
    void aMistypedRuleSaysWhichRulesThereAre() {
        StringWriter err = new StringWriter();
        CommandLine cl = Dtd.commandLine();
        cl.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(FILES);
        args.addAll(List.of("--rule", "bogus"));
        cl.execute(args.toArray(String[]::new));
        assertThat(err.toString()).contains("unknown rule 'bogus'; known: zplus, zbox, wsquare");
    }
}
