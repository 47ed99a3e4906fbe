package io.github.dtd4j.viz;

import io.github.dtd4j.errors.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-channel normalisation of pixels in [0, 1], {@code (x − mean[c]) / std[c]}, as torchvision's
 * {@code Normalize(mean, std)} after {@code ToTensor()}. Immutable: the lists are unmodifiable copies and the array
 * accessors return fresh arrays.
 *
 * @param mean per-channel mean, one entry per channel
 * @param std  per-channel standard deviation, same length, each finite and positive
 */
public record Normalization(List<Double> mean, List<Double> std) {
    /** torchvision's ImageNet statistics (RGB): mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static final Normalization IMAGENET =
            new Normalization(List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));

    /** Checks and copies the statistics. */
    public Normalization {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (mean.isEmpty() || mean.size() != std.size()) {
            throw new InvalidInputException("normalisation: need as many means as standard deviations (at least one), got "
                    + mean.size() + " and " + std.size());
        }
        for (int c = 0; c < mean.size(); c++) {
            if (!Double.isFinite(mean.get(c)) || !(std.get(c) > 0) || !Double.isFinite(std.get(c))) {
                throw new InvalidInputException("normalisation: channel " + c + " has mean " + mean.get(c) + " and std "
                        + std.get(c) + "; need a finite mean and a finite std > 0");
            }
        }
    }

    /**
     * {@return a normalisation from arrays (copied)}
     *
     * @param mean per-channel mean
     * @param std  per-channel standard deviation
     */
    public static Normalization of(double[] mean, double[] std) {
        return new Normalization(boxed(mean), boxed(std));
    }

    /**
     * {@return no normalisation: pixels stay in [0, 1] ({@code ToTensor()} alone)}
     *
     * @param channels 1 (grey) or 3 (RGB)
     */
    public static Normalization unit(int channels) {
        if (channels < 1) {
            throw new InvalidInputException("normalisation: channels must be at least 1, got " + channels);
        }
        return of(new double[channels], filled(channels, 1.0));
    }

    /** {@return the number of channels} */
    public int channels() {
        return mean.size();
    }

    /** {@return the means as a new array} */
    public double[] meanArray() {
        return mean.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** {@return the standard deviations as a new array} */
    public double[] stdArray() {
        return std.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * {@return per channel, what a pixel value becomes after this normalisation}: {@code normalised(0)} and
     * {@code normalised(1)} are the bounds of the normalised input (the z^B box of a first layer).
     *
     * @param unit a pixel value in [0, 1] units
     */
    public double[] normalised(double unit) {
        double[] out = new double[channels()];
        for (int c = 0; c < out.length; c++) {
            out[c] = (unit - mean.get(c)) / std.get(c);
        }
        return out;
    }

    private static List<Double> boxed(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double d : a) {
            l.add(d);
        }
        return l;
    }

    private static double[] filled(int n, double value) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
