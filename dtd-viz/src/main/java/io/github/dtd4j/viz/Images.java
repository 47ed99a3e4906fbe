package io.github.dtd4j.viz;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Shape;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reads pictures into input tensors and back. */
public final class Images {
    /** ImageNet per-channel mean (RGB). */
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    /** ImageNet per-channel standard deviation (RGB). */
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    private Images() {
    }

    /** How a picture becomes a tensor. */
    public enum Preprocess {
        /** torchvision's ImageNet transform: resize the short side to 256, centre-crop 224, /255, normalise. */
        IMAGENET,
        /** Pixels / 255 in [0, 1], RGB, native size. */
        UNIT,
        /** Raw pixel values 0–255, RGB, native size. */
        NONE
    }

    /** {@return the picture at a path} @param path PNG or JPEG */
    public static BufferedImage read(Path path) {
        try {
            BufferedImage img = ImageIO.read(path.toFile());
            if (img == null) {
                throw new InvalidInputException(path + ": not a readable PNG/JPEG image");
            }
            return img;
        } catch (IOException e) {
            throw new InvalidInputException(path + ": cannot read image: " + e.getMessage());
        }
    }

    /**
     * {@return the picture as a {@code [1,3,H,W]} float tensor}
     *
     * @param img        the picture
     * @param preprocess how
     */
    public static INDArray toTensor(BufferedImage img, Preprocess preprocess) {
        BufferedImage src = preprocess == Preprocess.IMAGENET ? centreCrop(resizeShortSide(img, 256), 224) : img;
        int h = src.getHeight();
        int w = src.getWidth();
        float[] data = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = src.getRGB(x, y);
                int[] rgb = {p >> 16 & 255, p >> 8 & 255, p & 255};
                for (int c = 0; c < 3; c++) {
                    double v = rgb[c];
                    if (preprocess != Preprocess.NONE) {
                        v /= 255.0;
                    }
                    if (preprocess == Preprocess.IMAGENET) {
                        v = (v - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
                    }
                    data[(c * h + y) * w + x] = (float) v;
                }
            }
        }
        return Nd4j.create(data, new long[]{1, 3, h, w}, DataType.FLOAT);
    }

    /** {@return the picture the model saw after preprocessing, for overlays} @param img image @param p preprocessing */
    public static BufferedImage seen(BufferedImage img, Preprocess p) {
        return p == Preprocess.IMAGENET ? centreCrop(resizeShortSide(img, 256), 224) : img;
    }

    /** {@return a short side resized to {@code side}, bilinear} @param img image @param side pixels */
    public static BufferedImage resizeShortSide(BufferedImage img, int side) {
        double f = side / (double) Math.min(img.getWidth(), img.getHeight());
        int w = Math.max(side, (int) Math.round(img.getWidth() * f));
        int h = Math.max(side, (int) Math.round(img.getHeight() * f));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** {@return the centred {@code side}×{@code side} crop} @param img image @param side pixels */
    public static BufferedImage centreCrop(BufferedImage img, int side) {
        int x = (img.getWidth() - side) / 2;
        int y = (img.getHeight() - side) / 2;
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(img.getSubimage(x, y, side, side), 0, 0, null);
        g.dispose();
        return out;
    }

    /**
     * {@return a grey or RGB picture of a tensor sample, values mapped linearly from [lo, hi] to 0–255}
     *
     * @param x  {@code [1,C,H,W]} or {@code [C,H,W]} (C = 1 or 3) or {@code [H,W]}
     * @param lo value shown black
     * @param hi value shown white
     */
    public static BufferedImage toImage(INDArray x, double lo, double hi) {
        INDArray a = x.castTo(DataType.DOUBLE);
        if (a.rank() == 4) {
            a = a.reshape(a.size(1), a.size(2), a.size(3));
        }
        if (a.rank() == 2) {
            a = a.reshape(1, a.size(0), a.size(1));
        }
        if (a.rank() != 3 || (a.size(0) != 1 && a.size(0) != 3)) {
            throw new InvalidInputException("image: expected 1 or 3 channels, got " + Shape.format(x.shape()));
        }
        int c = (int) a.size(0);
        int h = (int) a.size(1);
        int w = (int) a.size(2);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                int[] v = new int[3];
                for (int k = 0; k < 3; k++) {
                    double d = a.getDouble(c == 1 ? 0 : k, y, xx);
                    v[k] = (int) Math.round(255 * Math.max(0, Math.min(1, (d - lo) / (hi - lo))));
                }
                out.setRGB(xx, y, v[0] << 16 | v[1] << 8 | v[2]);
            }
        }
        return out;
    }
}
