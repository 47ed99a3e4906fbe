package io.github.dtd4j.cli;

import io.github.dtd4j.Coverage;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Node;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd inspect}: the graph and the propagation each node would get. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's graph, its provenance, and the rule each layer would get under the given options.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = ".onnx, DL4J model .zip or Keras .h5")
    Path model;

    @Option(names = "--input-shape", paramLabel = "C,H,W",
            description = "the per-sample input shape of a DL4J model zip (DL4J does not keep it for images)")
    String inputShape;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Mixin
    RuleOptionsMixin rules;

    @Mixin
    Preprocessing preprocessing;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Graph g = ModelFiles.load(model, inputShape);
        RuleOptions r = rules.options;
        preprocessing.validate();
        // the box explain would use for an image under the same preprocessing options
        r.defaultBounds = preprocessing.bounds(false);
        out.printf(Locale.ROOT, "model %s: input %s, output %s, %d nodes, %,d parameters%n", model,
                g.inputShape().toBatchString(), g.outputShape().toBatchString(), g.nodes().size(), g.parameterCount());
        g.provenance().forEach((k, v) -> out.printf("  %s: %s%n", k, v));
        out.println();
        out.printf("%-36s %-18s %-22s %s%n", "node", "kind", "inputs", "output");
        for (Node n : g.nodes()) {
            out.printf("%-36s %-18s %-22s %s%n", n.name(), n.kind(), String.join(",", n.inputs()),
                    n.outputShape().toBatchString());
        }
        Explainer ex = r.explainer(g);
        Coverage c = ex.coverage();
        out.println();
        out.println("propagation" + (r.low == null ? " (z^B box of images preprocessed as: " + preprocessing.describe()
                + "; --low/--high replace it)" : "") + ":");
        out.print(c);
        out.println();
        // which engine explains: under --engine auto, ONNX Runtime where everything compiles in float32
        out.println("engine: " + ex.engineChoice());
        out.flush();
        return 0;
    }
}
