package io.github.dtd4j.cli;

import io.github.dtd4j.errors.Dtd4jException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dtd} command: {@code explain}, {@code compare}, {@code evaluate}, {@code inspect}, {@code bench}, {@code demo},
 * {@code train-mnist}.
 */
@Command(name = "dtd", mixinStandardHelpOptions = true, version = "dtd4j 0.1.0",
        description = "Explain neural-network decisions by Deep Taylor Decomposition / LRP and the other attribution methods.",
        subcommands = {ExplainCommand.class, CompareCommand.class, EvaluateCommand.class, InspectCommand.class, CompileCommand.class, ServeCommand.class, BenchCommand.class, TrainMnistCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class Dtd implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: explain, compare, evaluate, inspect, serve, bench, demo or train-mnist");
    }

    /** {@return the command line, with dtd4j's error handling} */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Dtd());
        // enum options (rules, modes, dtypes, colour maps) take their values in any case
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("dtd: " + oneLine(ex) + " (see " + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help)");
            err.flush();
            return ex.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.subcommand() != null
                    && parseResult.subcommand().hasMatchedOption("--verbose");
            PrintWriter err = commandLine.getErr();
            err.println("dtd: " + message(ex));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof Dtd4jException || ex instanceof UncheckedIOException || ex instanceof CliException ? 1 : 3;
        });
        return cl;
    }

    /** {@return a command-line error as one line, with picocli's suggestions for a mistyped option} */
    static String oneLine(CommandLine.ParameterException ex) {
        String m = ex.getMessage().strip().replace(System.lineSeparator(), "; ").replace("\n", "; ");
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            m += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
        }
        return m;
    }

    /** {@return how the command line spells an enum constant: lower case, '-' for '_'} @param e the constant */
    static String spelling(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String message(Throwable ex) {
        if (ex instanceof Dtd4jException || ex instanceof CliException) {
            return ex.getMessage();
        }
        if (ex instanceof UncheckedIOException u) {
            return u.getMessage() + (u.getCause() != null ? ": " + u.getCause().getMessage() : "");
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "); give the JVM more with -Xmx or use a smaller --batch";
        }
        return "internal error: " + ex + " (rerun with --verbose and report it)";
    }

    /** @param args command-line arguments */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
