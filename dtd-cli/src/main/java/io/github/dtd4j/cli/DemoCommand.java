package io.github.dtd4j.cli;

import io.github.dtd4j.paper.PaperDemo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dtd demo}: the paper's MNIST experiment (§6.1, Fig. 5, Fig. 6, Table 1) on the shipped network. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Reproduce the MNIST experiment of the deep Taylor decomposition paper (section 6.1) on the"
                + " shipped network (trained by dtd train-mnist) and 64 shipped pairs of real test digits.",
                "Writes fig5.png, fig6-scatter-<method>.png, fig6-hist-<method>.png, table1.md and table1.json."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "DIR", description = "output directory (default demo-out)")
    Path out;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        System.out.print(PaperDemo.run(out));
        System.out.printf(java.util.Locale.ROOT, "%nwrote fig5.png, fig6-*.png, table1.md, table1.json to %s (%.1f s)%n",
                out.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
