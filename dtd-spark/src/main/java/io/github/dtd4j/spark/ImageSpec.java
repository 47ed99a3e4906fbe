package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How the executors turn a picture into the model's input, with {@code dtd explain}'s preprocessing options and
 * torchvision's semantics (PIL's antialiased bilinear resize, centre crop, ToTensor, Normalize): the {@code mode}'s
 * defaults ({@code imagenet}: resize the short side to 256, centre-crop 224, ImageNet mean/std; {@code unit}: pixels /
 * 255; {@code none}: raw 0–255), each step replaceable: {@code resize} (to the model's input size), {@code size} (H
 * for the short side, or H,W), {@code crop} (H or H,W), {@code mean}/{@code std}, {@code grayscale}. The z^B box of LRP
 * follows from it.
 *
 * @param mode      the preprocessing's defaults
 * @param resize    resize every picture to the model's input size
 * @param grayscale one grey channel (PIL's convert("L"))
 * @param size      the resize, [H] (short side) or [H, W], or empty
 * @param crop      the centre crop, [H] or [H, W], or empty
 * @param mean      per-channel mean of Normalize (one value, or one per channel), or empty
 * @param std       per-channel std of Normalize, or empty
 */
public record ImageSpec(Images.Preprocess mode, boolean resize, boolean grayscale, List<Integer> size,
                        List<Integer> crop, List<Double> mean, List<Double> std) implements Serializable {
    /** Checks the combination, as dtd explain does. */
    public ImageSpec {
        if (mode == null) {
            throw new ConfigurationException("dtd-spark: the preprocessing is null");
        }
        size = List.copyOf(size);
        crop = List.copyOf(crop);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (resize && !size.isEmpty()) {
            throw new ConfigurationException("dtd-spark: resize and size both resize: give one");
        }
        for (List<Integer> s : List.of(size, crop)) {
            if (s.size() > 2 || s.stream().anyMatch(v -> v < 1)) {
                throw new ConfigurationException("dtd-spark: a size or crop is H or H,W of positive sizes, got " + s);
            }
        }
        if (mean.isEmpty() != std.isEmpty()) {
            throw new ConfigurationException("dtd-spark: mean and std go together");
        }
        int channels = grayscale ? 1 : 3;
        if (!mean.isEmpty() && (mean.size() != std.size() || (mean.size() != channels && mean.size() != 1))) {
            throw new ConfigurationException("dtd-spark: mean and std need " + channels
                    + " values (or one for every channel), got " + mean.size() + " and " + std.size());
        }
        if (grayscale && mode == Images.Preprocess.IMAGENET && mean.isEmpty()) {
            throw new ConfigurationException("dtd-spark: ImageNet's mean and std are for RGB pictures; a grey picture"
                    + " takes unit, none, or its own mean and std");
        }
        normalization(mode, grayscale, mean, std);
    }

    /** {@return the mode's defaults, no step replaced} @param mode imagenet, unit or none */
    public static ImageSpec of(Images.Preprocess mode) {
        return new ImageSpec(mode, false, false, List.of(), List.of(), List.of(), List.of());
    }

    /** {@return torchvision's ImageNet preprocessing} */
    public static ImageSpec imagenet() {
        return of(Images.Preprocess.IMAGENET);
    }

    /** {@return pixels / 255 at the model's input size, grey if asked} @param grayscale one channel */
    public static ImageSpec unit(boolean grayscale) {
        return new ImageSpec(Images.Preprocess.UNIT, true, grayscale, List.of(), List.of(), List.of(), List.of());
    }

    private static Normalization normalization(Images.Preprocess mode, boolean grayscale, List<Double> mean,
                                               List<Double> std) {
        int channels = grayscale ? 1 : 3;
        if (!mean.isEmpty()) {
            double[] m = new double[channels];
            double[] s = new double[channels];
            for (int c = 0; c < channels; c++) {
                m[c] = mean.get(mean.size() == 1 ? 0 : c);
                s[c] = std.get(std.size() == 1 ? 0 : c);
            }
            try {
                return Normalization.of(m, s);
            } catch (RuntimeException e) {
                throw new ConfigurationException("dtd-spark: mean/std: " + e.getMessage());
            }
        }
        return switch (mode) {
            case IMAGENET -> Normalization.IMAGENET;
            case NONE -> null;
            case UNIT -> Normalization.unit(channels);
        };
    }

    private Normalization normalization() {
        return normalization(mode, grayscale, mean, std);
    }

    /**
     * {@return the picture as the model's input {@code [1,C,H,W]}}
     *
     * @param bytes PNG or JPEG
     * @param name  what messages call it
     * @param model the model's per-sample input shape
     */
    INDArray tensor(byte[] bytes, String name, Shape model) {
        return tensor(Images.read(bytes, name), model);
    }

    /**
     * {@return a decoded picture as the model's input {@code [1,C,H,W]}}, through the steps of dtd explain
     *
     * @param img   the picture
     * @param model the model's per-sample input shape
     */
    INDArray tensor(BufferedImage img, Shape model) {
        return tensorOf(prepared(img, model));
    }

    /**
     * {@return the picture as the model sees it: resized, cropped and grey as the steps say, not yet normalised}
     *
     * @param img   the picture
     * @param model the model's per-sample input shape
     */
    BufferedImage prepared(BufferedImage img, Shape model) {
        BufferedImage p = img;
        boolean imagenetSteps = mode == Images.Preprocess.IMAGENET && !resize && size.isEmpty() && crop.isEmpty();
        if (resize) {
            if (model.rank() != 3) {
                throw new ConfigurationException("dtd-spark: resizing needs a model of images [N,C,H,W]; this one"
                        + " takes " + model.toBatchString());
            }
            p = Images.resize(p, (int) model.dim(2), (int) model.dim(1));
        } else if (!size.isEmpty()) {
            p = size.size() == 1 ? Images.resizeShortSide(p, size.get(0)) : Images.resize(p, size.get(1), size.get(0));
        } else if (imagenetSteps) {
            p = Images.resizeShortSide(p, 256);
        }
        if (!crop.isEmpty()) {
            p = Images.centreCrop(p, crop.size() == 1 ? crop.get(0) : crop.get(1), crop.get(0));
        } else if (imagenetSteps || (mode == Images.Preprocess.IMAGENET && !size.isEmpty())) {
            p = Images.centreCrop(p, 224);
        }
        return grayscale ? Images.grayscale(p) : p;
    }

    /** {@return a prepared picture as the model's input {@code [1,C,H,W]}} @param p from {@link #prepared} */
    INDArray tensorOf(BufferedImage p) {
        Normalization norm = normalization();
        if (norm != null) {
            return Images.toTensor(p, norm);
        }
        // raw 0-255 values, exactly: the RGB tensor, or its first channel for a grey picture (R = G = B)
        INDArray raw = Images.toTensor(p, Images.Preprocess.NONE);
        return grayscale ? raw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.all(),
                NDArrayIndex.all()).dup() : raw;
    }

    /** {@return the z^B box of pixels in [0, 1] (or [0, 255] raw) after the normalisation, {low, high} per channel} */
    double[][] box() {
        Normalization norm = normalization();
        if (norm == null) {
            return new double[][]{{0}, {255}};
        }
        return new double[][]{norm.normalised(0), norm.normalised(1)};
    }
}
