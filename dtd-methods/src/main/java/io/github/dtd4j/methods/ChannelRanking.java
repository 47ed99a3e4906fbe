package io.github.dtd4j.methods;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The channels of one layer ranked by the relevance they carry for a decision ({@link Crp#rankChannels}): for batch
 * element n and channel k, {@code R_nk = Σ_positions R} at the layer's output, from the LRP explainer's sweep
 * stopped there. Ranks are by signed relevance, largest first (ties: lower channel first); the relevance itself
 * says how much of the explained logit passes through each channel.
 */
public final class ChannelRanking {
    private final String layer;
    private final double[][] relevance;
    private final int[] targets;
    private final INDArray logits;

    ChannelRanking(String layer, double[][] relevance, int[] targets, INDArray logits) {
        this.layer = layer;
        this.relevance = new double[relevance.length][];
        for (int i = 0; i < relevance.length; i++) {
            this.relevance[i] = relevance[i].clone();
        }
        this.targets = targets.clone();
        this.logits = logits;
    }

    /** {@return the layer whose channels are ranked} */
    public String layer() {
        return layer;
    }

    /** {@return the number of batch elements} */
    public int batchSize() {
        return relevance.length;
    }

    /** {@return the number of channels} */
    public int channels() {
        return relevance.length == 0 ? 0 : relevance[0].length;
    }

    /** {@return the explained class of each batch element} */
    public int[] targets() {
        return targets.clone();
    }

    /** {@return the model's output {@code [N,K]}} */
    public INDArray logits() {
        return logits;
    }

    /** {@return the relevance of every channel for batch element n, indexed by channel} @param n batch element */
    public double[] relevance(int n) {
        return relevance[n].clone();
    }

    /** {@return the channels of batch element n, most relevant first} @param n batch element */
    public int[] order(int n) {
        double[] r = relevance[n];
        return IntStream.range(0, r.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(k -> -r[k]).thenComparingInt(k -> k))
                .mapToInt(Integer::intValue).toArray();
    }

    /** {@return the k most relevant channels of batch element n} @param n batch element @param k how many */
    public int[] top(int n, int k) {
        return Arrays.copyOf(order(n), Math.min(k, channels()));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ChannelRanking[" + layer);
        for (int n = 0; n < relevance.length; n++) {
            sb.append(n == 0 ? ": " : "; ").append("element ").append(n).append(" top ")
                    .append(Arrays.toString(top(n, 5)));
        }
        return sb.append(']').toString();
    }
}
