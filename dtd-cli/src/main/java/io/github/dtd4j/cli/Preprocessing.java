package io.github.dtd4j.cli;

import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Option;

/**
 * How {@code dtd explain} and {@code dtd inspect} turn inputs into tensors, and the z^B box that follows from it: the
 * {@code --preprocess} mode's defaults (imagenet: resize the short side to 256, centre-crop 224, ImageNet mean/std;
 * unit: pixels / 255; none: raw 0–255) with torchvision's semantics (PIL's antialiased bilinear resize, centre crop
 * rounding, {@code ToTensor}, {@code Normalize}), each step replaceable: {@code --resize} (to the model's input size),
 * {@code --size}, {@code --crop}, {@code --mean}/{@code --std}, {@code --grayscale}; {@code --layout} for {@code .npy}.
 * The box is the normalised image of pixels in [0, 1] (or [0, 255] raw), for {@code .npy} too when
 * {@code --mean}/{@code --std} are given. Both commands compute it here, so they agree.
 */
final class Preprocessing {
    /** The memory layout of a {@code .npy} input. */
    enum Layout {
        NCHW, NHWC;

        @Override
        public String toString() {
            return Dtd.spelling(this);
        }
    }

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "imagenet",
            description = "for images: ${COMPLETION-CANDIDATES} (case-insensitive; default imagenet: resize 256, crop 224,"
                    + " ImageNet mean/std; unit: /255; none: raw 0-255); the options below replace its steps")
    Images.Preprocess preprocess;

    @Option(names = "--resize", description = "resize images to the model's input size (no crop)")
    boolean resize;

    @Option(names = "--size", paramLabel = "H[,W]",
            description = "resize images: H alone sets the shorter side (torchvision's Resize(H)), H,W both")
    String size;

    @Option(names = "--crop", paramLabel = "H[,W]", description = "centre-crop images after resizing")
    String crop;

    @Option(names = "--mean", paramLabel = "M[,M,M]", split = ",", description = "per-channel mean of Normalize")
    double[] mean;

    @Option(names = "--std", paramLabel = "S[,S,S]", split = ",", description = "per-channel std of Normalize")
    double[] std;

    @Option(names = "--grayscale", description = "one grey channel (PIL's convert(\"L\")) instead of RGB")
    boolean grayscale;

    @Option(names = "--layout", paramLabel = "LAYOUT", defaultValue = "nchw",
            description = ".npy inputs: ${COMPLETION-CANDIDATES} (default nchw)")
    Layout layout;

    private int[] sizeHw;
    private int[] cropHw;
    private Normalization norm;

    /**
     * Checks the options together, before any file is read.
     *
     * @throws CliException for a malformed or contradictory option
     */
    void validate() {
        if (resize && size != null) {
            throw new CliException("--resize and --size both resize: give one");
        }
        sizeHw = size == null ? null : pair("--size", size);
        cropHw = crop == null ? null : pair("--crop", crop);
        if ((mean == null) != (std == null)) {
            throw new CliException("--mean and --std go together");
        }
        int channels = grayscale ? 1 : 3;
        if (mean != null) {
            if (mean.length != std.length || (mean.length != channels && mean.length != 1)) {
                throw new CliException("--mean and --std need " + channels + " value" + (channels > 1 ? "s" : "")
                        + " (or one for every channel), got " + mean.length + " and " + std.length);
            }
            double[] m = mean.length == channels ? mean : fill(mean[0], channels);
            double[] s = std.length == channels ? std : fill(std[0], channels);
            try {
                norm = Normalization.of(m, s);
            } catch (RuntimeException e) {
                throw new CliException("--mean/--std: " + e.getMessage());
            }
        } else if (preprocess == Images.Preprocess.IMAGENET && !grayscale) {
            norm = Normalization.IMAGENET;
        } else if (preprocess == Images.Preprocess.NONE) {
            norm = null;
        } else {
            norm = Normalization.unit(channels);
        }
    }

    /**
     * {@return the z^B box the preprocessing implies, {low, high} per channel, or null for a {@code .npy} input
     * without --mean/--std (the box is then the user's to give)}
     *
     * @param npyInput whether the input is a tensor file
     */
    double[][] bounds(boolean npyInput) {
        if (npyInput && mean == null) {
            return null;
        }
        if (norm == null) {
            return new double[][]{{0}, {255}};
        }
        double[] lo = norm.normalised(0);
        double[] hi = norm.normalised(1);
        // one value when every channel has the same box (unit: [0,1]), as the rule then reads
        boolean same = java.util.Arrays.stream(lo).allMatch(v -> v == lo[0])
                && java.util.Arrays.stream(hi).allMatch(v -> v == hi[0]);
        return same ? new double[][]{{lo[0]}, {hi[0]}} : new double[][]{lo, hi};
    }

    /** {@return a description of the steps for messages} */
    String describe() {
        return (resize ? "resize to the model's input" : sizeHw != null ? "resize " + size
                : preprocess == Images.Preprocess.IMAGENET ? "resize 256" : "no resize")
                + ", " + (cropHw != null ? "crop " + crop : preprocess == Images.Preprocess.IMAGENET && !resize
                && sizeHw == null ? "crop 224" : "no crop") + (grayscale ? ", grey" : "") + ", " + (norm == null ? "raw 0-255" : norm.equals(Normalization.unit(norm
                .mean().size())) ? "pixels / 255" : norm.equals(Normalization.IMAGENET) ? "ImageNet mean/std"
                : "(pixels / 255 - mean) / std, mean " + norm.mean() + ", std " + norm.std());
    }

    /**
     * {@return the picture after resizing and cropping: what the model sees, for overlays}
     *
     * @param img   the picture
     * @param model the model's per-sample input shape (for --resize)
     */
    BufferedImage seen(BufferedImage img, Shape model) {
        BufferedImage p = img;
        boolean imagenetSteps = preprocess == Images.Preprocess.IMAGENET && !resize && sizeHw == null
                && cropHw == null;
        if (resize) {
            if (model.rank() != 3) {
                throw new CliException("--resize needs a model that takes images [N,C,H,W]; this one takes "
                        + model.toBatchString());
            }
            p = Images.resize(p, (int) model.dim(2), (int) model.dim(1));
        } else if (sizeHw != null) {
            p = sizeHw.length == 1 ? Images.resizeShortSide(p, sizeHw[0]) : Images.resize(p, sizeHw[1], sizeHw[0]);
        } else if (imagenetSteps) {
            p = Images.resizeShortSide(p, 256);
        }
        if (cropHw != null) {
            p = Images.centreCrop(p, cropHw.length == 1 ? cropHw[0] : cropHw[1], cropHw[0]);
        } else if (imagenetSteps || (preprocess == Images.Preprocess.IMAGENET && sizeHw != null)) {
            p = Images.centreCrop(p, 224);
        }
        return grayscale ? Images.grayscale(p) : p;
    }

    /**
     * {@return the picture as a {@code [1,C,H,W]} tensor}
     *
     * @param seen  the picture after {@link #seen}
     */
    INDArray tensor(BufferedImage seen) {
        if (norm != null) {
            return Images.toTensor(seen, norm);
        }
        // raw 0-255 values, exactly: the RGB tensor, or its first channel for a grey picture (R = G = B)
        INDArray raw = Images.toTensor(seen, Images.Preprocess.NONE);
        return grayscale ? raw.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup() : raw;
    }

    /**
     * {@return a {@code .npy} input in NCHW}: transposed from NHWC when --layout says so
     *
     * @param p the file
     */
    INDArray npy(Path p) {
        return npy(Npy.read(p), p.toString());
    }

    /**
     * {@return a tensor in NCHW}: transposed from NHWC when --layout says so
     *
     * @param x    the tensor as read
     * @param name what messages call it
     */
    INDArray npy(INDArray x, String name) {
        if (layout == Layout.NHWC) {
            if (x.rank() != 4) {
                throw new CliException(name + ": --layout nhwc needs a [N,H,W,C] tensor, got "
                        + Shape.format(x.shape()));
            }
            return x.permute(0, 3, 1, 2).dup('c');
        }
        return x;
    }

    private static int[] pair(String option, String v) {
        long[] sizes = ModelFiles.positiveSizes(option, v, "H or H,W");
        if (sizes.length > 2) {
            throw new CliException(option + ": expected H or H,W, got '" + v + "'");
        }
        return java.util.Arrays.stream(sizes).mapToInt(d -> (int) d).toArray();
    }

    private static double[] fill(double v, int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Override
    public String toString() {
        return describe().toLowerCase(Locale.ROOT);
    }
}
