package io.github.dtd4j.cli;

import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reads the --input argument: a .npy tensor, an image, or a directory of images. */
final class Inputs {
    /** One input: a name for output files, the tensor, and the picture the model saw (null for .npy). */
    record Input(String name, INDArray tensor, BufferedImage picture) {
    }

    private Inputs() {
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** {@return the z^B box the preprocessing implies: pixels in [0,1] before it} */
    static double[][] bounds(Images.Preprocess p) {
        return switch (p) {
            case IMAGENET -> new double[][]{Normalization.IMAGENET.normalised(0), Normalization.IMAGENET.normalised(1)};
            case UNIT -> new double[][]{{0}, {1}};
            case NONE -> new double[][]{{0}, {255}};
        };
    }

    /**
     * {@return the images of a directory (and, with {@code recursive}, of its subdirectories), in name order}, saying
     * on {@code err} what it skips: other files, and subdirectories when not recursive
     *
     * @param dir       the directory
     * @param recursive whether to descend
     * @param err       where the skipped entries are named
     * @throws CliException if there is no image
     */
    static List<Path> images(Path dir, boolean recursive, java.io.PrintWriter err) {
        List<Path> found = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (p.equals(dir)) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    if (!recursive) {
                        skipped.add(dir.relativize(p) + "/ (a directory; --recursive explains its images)");
                    }
                } else if (isImage(p) && Files.isRegularFile(p)) {
                    found.add(p);
                } else {
                    skipped.add(dir.relativize(p) + " (not a .png/.jpg image)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list", e);
        }
        for (String s : skipped) {
            err.println("skipped: " + s);
        }
        err.flush();
        if (found.isEmpty()) {
            throw new CliException(dir + ": no .png/.jpg images in this directory" + (recursive ? " or below it" : ""));
        }
        return found;
    }

    /**
     * A batch of images for {@code dtd evaluate}.
     *
     * @param x     {@code [N,C,H,W]}
     * @param files    the file each element came from, in order
     * @param pictures whether any came from a picture (.png/.jpg)
     */
    record Batch(INDArray x, List<String> files, boolean pictures) {
    }

    /**
     * {@return the images of a {@code .npy} ({@code [N,C,H,W]}, or {@code [C,H,W]} for one), a picture, or a directory
     * of both (in name order), as one batch}; pictures become {@code channels} channels (1: their grey, as PIL's
     * {@code convert("L")})
     *
     * @param p        the file or directory
     * @param pre      how a picture becomes a tensor
     * @param channels the model's input channels
     * @throws CliException if a file is missing or not images, or if the images differ in size (naming two)
     */
    static Batch batch(Path p, Images.Preprocess pre, int channels) {
        if (!Files.exists(p)) {
            throw new CliException(p + ": no such input file or directory");
        }
        List<Path> files;
        if (Files.isDirectory(p)) {
            try (Stream<Path> s = Files.list(p)) {
                files = s.filter(Files::isRegularFile).filter(f -> isImage(f) || isNpy(f)).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(p + ": cannot list", e);
            }
            if (files.isEmpty()) {
                throw new CliException(p + ": no .npy or .png/.jpg images in this directory");
            }
        } else {
            files = List.of(p);
        }
        List<INDArray> parts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Path first = null;
        long[] size = null;
        for (Path f : files) {
            INDArray t = images(f, pre, channels);
            long[] s = {t.size(1), t.size(2), t.size(3)};
            if (size == null) {
                first = f;
                size = s;
            } else if (!Arrays.equals(size, s)) {
                throw new CliException(p + ": the images differ in size: " + first.getFileName() + " is " + format(size)
                        + ", " + f.getFileName() + " is " + format(s) + " (channels x height x width); every image must"
                        + " have the model's size");
            }
            parts.add(t);
            for (int i = 0; i < t.size(0); i++) {
                names.add(t.size(0) == 1 ? f.getFileName().toString() : f.getFileName() + "[" + i + "]");
            }
        }
        INDArray x = parts.size() == 1 ? parts.get(0)
                : Nd4j.concat(0, parts.stream().map(t -> t.castTo(parts.get(0).dataType()))
                .toArray(INDArray[]::new));
        return new Batch(x, names, files.stream().anyMatch(Inputs::isImage));
    }

    private static String format(long[] chw) {
        return chw[0] + "x" + chw[1] + "x" + chw[2];
    }

    static boolean isNpy(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
    }

    /** {@return one file's images as {@code [n,C,H,W]}} */
    private static INDArray images(Path f, Images.Preprocess pre, int channels) {
        if (isNpy(f)) {
            INDArray t = Npy.read(f);
            if (t.rank() == 3) {
                return t.reshape('c', 1, t.size(0), t.size(1), t.size(2));
            }
            if (t.rank() != 4) {
                throw new CliException(f + ": expected images [N,C,H,W] (or one image [C,H,W]), got the shape "
                        + Shape.format(t.shape()));
            }
            return t;
        }
        if (!isImage(f)) {
            throw new CliException(f + ": unknown input format; expected .npy, .png, .jpg or a directory of them");
        }
        BufferedImage img = Images.read(f);
        if (channels == 1 && pre != Images.Preprocess.IMAGENET) {
            INDArray grey = Images.toTensor(img, Normalization.unit(1));
            return pre == Images.Preprocess.NONE ? grey.muli(255) : grey;
        }
        return Images.toTensor(img, pre);
    }

    /**
     * {@return an input file as a tensor: a {@code .npy} (in the layout the options give) or a picture preprocessed
     * by the options}
     *
     * @param p     the file
     * @param pre   the preprocessing options, validated
     * @param model the model's per-sample input shape
     */
    static Input read(Path p, Preprocessing pre, io.github.dtd4j.graph.Shape model) {
        if (!Files.exists(p)) {
            throw new CliException(p + ": no such input file");
        }
        if (p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            return new Input(stem(p), pre.npy(p), null);
        }
        if (isImage(p)) {
            BufferedImage seen = pre.seen(Images.read(p), model);
            return new Input(stem(p), pre.tensor(seen), seen);
        }
        throw new CliException(p + ": unknown input format; expected .npy, .png, .jpg or a directory of images");
    }

    static Input read(Path p, Images.Preprocess pre) {
        if (!Files.exists(p)) {
            throw new CliException(p + ": no such input file");
        }
        if (p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            return new Input(stem(p), Npy.read(p), null);
        }
        if (isImage(p)) {
            BufferedImage img = Images.read(p);
            return new Input(stem(p), Images.toTensor(img, pre), Images.seen(img, pre));
        }
        throw new CliException(p + ": unknown input format; expected .npy, .png, .jpg or a directory of images");
    }
}
