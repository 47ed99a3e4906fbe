package io.github.dtd4j.spark;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.Serializable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How the executors turn a picture's bytes into the model's input, as {@code dtd explain} does: {@code imagenet}
 * (torchvision's Resize(256), CenterCrop(224), ToTensor, Normalize), {@code unit} (pixels / 255) or {@code none}
 * (raw 0–255); {@code resize} resizes to the model's input size first (PIL's antialiased bilinear), {@code grayscale}
 * takes one grey channel (PIL's convert("L")). The z^B box of LRP follows from it.
 *
 * @param mode      the preprocessing
 * @param resize    whether to resize every picture to the model's input size (then imagenet only normalises)
 * @param grayscale one grey channel instead of RGB (not with imagenet)
 */
public record ImageSpec(Images.Preprocess mode, boolean resize, boolean grayscale) implements Serializable {
    /** Checks the combination. */
    public ImageSpec {
        if (mode == null) {
            throw new ConfigurationException("dtd-spark: the preprocessing is null");
        }
        if (grayscale && mode == Images.Preprocess.IMAGENET) {
            throw new ConfigurationException("dtd-spark: ImageNet normalisation is for RGB pictures; grey pictures"
                    + " take unit or none");
        }
    }

    /** {@return torchvision's ImageNet preprocessing} */
    public static ImageSpec imagenet() {
        return new ImageSpec(Images.Preprocess.IMAGENET, false, false);
    }

    /** {@return pixels / 255 at the model's input size, grey if asked} @param grayscale one channel */
    public static ImageSpec unit(boolean grayscale) {
        return new ImageSpec(Images.Preprocess.UNIT, true, grayscale);
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
     * {@return a decoded picture as the model's input {@code [1,C,H,W]}}
     *
     * @param img   the picture
     * @param model the model's per-sample input shape
     */
    INDArray tensor(BufferedImage img, Shape model) {
        if (resize) {
            if (model.rank() != 3) {
                throw new ConfigurationException("dtd-spark: resizing needs a model of images [N,C,H,W]; this one"
                        + " takes " + model.toBatchString());
            }
            img = Images.resize(img, (int) model.dim(2), (int) model.dim(1));
        }
        if (grayscale) {
            INDArray grey = Images.toTensor(img, Normalization.unit(1));
            return mode == Images.Preprocess.NONE ? grey.muli(255) : grey;
        }
        if (resize && mode == Images.Preprocess.IMAGENET) {
            return Images.toTensor(img, Normalization.IMAGENET);
        }
        return Images.toTensor(img, mode);
    }

    /** {@return the z^B box of pixels in [0, 1] (or [0, 255] raw) after the normalisation, {low, high} per channel} */
    double[][] box() {
        return switch (mode) {
            case IMAGENET -> new double[][]{Normalization.IMAGENET.normalised(0), Normalization.IMAGENET.normalised(1)};
            case UNIT -> new double[][]{{0}, {1}};
            case NONE -> new double[][]{{0}, {255}};
        };
    }
}
