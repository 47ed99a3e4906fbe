package io.github.dtd4j.cli;

import io.github.dtd4j.paper.MnistTraining;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dtd train-mnist}: trains the paper's §6.1 network on pairs of real MNIST digits. */
@Command(name = "train-mnist", mixinStandardHelpOptions = true,
        description = {"Train the network of the paper's section 6.1 (28x56 pairs of MNIST digits, positive if a digit"
                + " 0-3 is present) and write its weights as .npz, with a .json beside them saying how they were made.",
                "DIR must hold mnist-images.npy and mnist-labels.npy as written by scripts/fetch-mnist.sh."})
final class TrainMnistCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "directory written by scripts/fetch-mnist.sh")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "PATH.npz", description = "where to write the weights")
    Path out;

    @Option(names = "--sample-dir", paramLabel = "DIR",
            description = "also write the demo's sample of test pairs (mnist-pairs-pixels.npy, mnist-pairs-digits.npy, mnist-pairs.json) here")
    Path sampleDir;

    @Option(names = "--sample-size", defaultValue = "64", description = "test pairs in the sample (default 64)")
    int sampleSize;

    @Option(names = "--seed", defaultValue = "2017", description = "RNG seed (default 2017)")
    long seed;

    @Option(names = "--steps", defaultValue = "2500", description = "Adam steps (default 2500)")
    int steps;

    @Option(names = "--batch", defaultValue = "64", description = "pairs per step (default 64)")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "learning rate (default 0.001; /10 for the last quarter)")
    double lr;

    @Option(names = "--shift", defaultValue = "2", description = "max digit translation in pixels for training (default 2)")
    int shift;

    @Option(names = "--net", paramLabel = "PATH.npz",
            description = "start from these trained weights instead of training (e.g. to fit only the min-max model)")
    Path net;

    @Option(names = "--minmax-out", paramLabel = "PATH.npz",
            description = "also fit the min-max relevance model (paper section 5.1) of the first layer and write it here")
    Path minmaxOut;

    @Option(names = "--minmax-steps", defaultValue = "1500", description = "Adam steps for the min-max model (default 1500)")
    int minmaxSteps;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        MnistTraining training;
        try {
            training = new MnistTraining(data, out, net, sampleDir, sampleSize, minmaxOut, minmaxSteps, seed, steps,
                    batch, lr, shift);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        java.io.PrintWriter stdout = spec.commandLine().getOut();
        training.run(line -> {
            stdout.println(line);
            stdout.flush();
        });
        return 0;
    }
}
