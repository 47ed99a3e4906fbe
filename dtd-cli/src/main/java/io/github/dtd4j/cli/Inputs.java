package io.github.dtd4j.cli;

import io.github.dtd4j.io.Npy;
import io.github.dtd4j.viz.Images;
import io.github.dtd4j.viz.Normalization;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

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

    static List<Path> images(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = new ArrayList<>(s.filter(Files::isRegularFile).filter(Inputs::isImage).sorted().toList());
            if (l.isEmpty()) {
                throw new CliException(dir + ": no .png/.jpg images in this directory");
            }
            return l;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list", e);
        }
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
