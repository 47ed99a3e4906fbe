package io.github.dtd4j.viz;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Shape;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads pictures into input tensors and back.
 *
 * <p>Preprocessing reproduces torchvision applied to a PIL image, the usual real-world pipeline
 * {@code Image.open(p).convert("RGB")}, {@code Resize}, {@code CenterCrop}, {@code ToTensor}, {@code Normalize}:
 * resizing is PIL's antialiased bilinear filter with its 8-bit rounding, not Java2D's bilinear (which samples
 * without averaging and so, when shrinking more than 2×, gives the model a different, aliased image). The test
 * compares against tensors made by torchvision 0.14 with Pillow 9.4 from real photos. Pixel values are read as the
 * file stores them, without colour management, as PIL does. The resize, crop and grey building blocks return
 * {@code TYPE_INT_RGB} pictures, a grey one with equal R, G and B.
 */
public final class Images {
    private Images() {
    }

    /** How a picture becomes a tensor. */
    public enum Preprocess {
        /**
         * torchvision's ImageNet transform: {@code Resize(256)}, {@code CenterCrop(224)}, {@code ToTensor()},
         * {@code Normalize} with {@link Normalization#IMAGENET}; RGB.
         */
        IMAGENET,
        /** Pixels / 255 in [0, 1], RGB, native size. */
        UNIT,
        /** Raw pixel values 0–255, RGB, native size. */
        NONE
    }

    /**
     * {@return the picture at a path, its pixel values as stored}
     *
     * <p>Like PIL's {@code Image.open}, this applies no colour management: a JPEG with an embedded ICC profile
     * (Adobe RGB, say) is not converted to sRGB, which Java's {@code ImageIO.read} would do and which would shift
     * every value from what torchvision sees. Nor is an EXIF orientation applied (PIL does not either).
     *
     * @param path PNG or JPEG
     */
    public static BufferedImage read(Path path) {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new InvalidInputException(path + ": cannot read image: no such readable file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            return decode(in, path.toString());
        } catch (IOException e) {
            throw new InvalidInputException(path + ": cannot read image: " + e.getMessage());
        }
    }

    /**
     * {@return the picture in a file's bytes, its pixel values as stored}, as {@link #read(Path)} reads a file
     *
     * @param bytes the file's content: PNG or JPEG
     * @param name  what messages call it
     * @throws InvalidInputException if the bytes are no image, or a truncated or corrupt one
     */
    public static BufferedImage read(byte[] bytes, String name) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return decode(in, name);
        } catch (IOException e) {
            throw new InvalidInputException(name + ": cannot read image: " + e.getMessage());
        }
    }

    /**
     * {@return the width and height a picture's header declares, read without decoding the pixels, or null if the
     * bytes are no image a reader of this JVM knows}: so that a server can refuse a 20,000 × 20,000 picture before
     * it takes 1.6 GB
     *
     * @param bytes the file's content
     * @throws InvalidInputException if the bytes start as an image but the header cannot be read
     */
    public static int[] dimensions(byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[]{reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("cannot read the image's header: " + e.getMessage());
        }
    }

    private static BufferedImage decode(ImageInputStream in, String name) throws IOException {
        Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new InvalidInputException(name + ": not a readable PNG/JPEG image");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            ImageReadParam param = reader.getDefaultReadParam();
            ImageTypeSpecifier asStored = embeddedColourSpaceType(reader);
            if (asStored != null) {
                param.setDestinationType(asStored);
            }
            // a truncated JPEG decodes to grey rows with a warning: refused, not explained
            java.util.List<String> warnings = new java.util.ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage img = reader.read(0, param);
            if (!warnings.isEmpty()) {
                throw new InvalidInputException(name + ": cannot read image: " + warnings.get(0)
                        + " (a truncated or corrupt file)");
            }
            return img;
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(name + ": cannot read image: " + e.getMessage());
        } catch (IOException e) {
            throw new InvalidInputException(name + ": cannot read image: " + e.getMessage()
                    + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
        } finally {
            reader.dispose();
        }
    }

    /**
     * {@return the reader's offer of the file's own colour space, or null}: a reader that converts an embedded
     * profile lists the standard space first and the embedded one after it, with the same layout; decoding into
     * the latter skips the conversion.
     */
    private static ImageTypeSpecifier embeddedColourSpaceType(ImageReader reader) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types == null || !types.hasNext()) {
            return null;
        }
        ImageTypeSpecifier first = types.next();
        ColorSpace standard = first.getColorModel().getColorSpace();
        while (types.hasNext()) {
            ImageTypeSpecifier t = types.next();
            ColorSpace cs = t.getColorModel().getColorSpace();
            if (cs.getType() == standard.getType() && cs.getNumComponents() == standard.getNumComponents()
                    && !cs.isCS_sRGB() && !cs.equals(standard)
                    && t.getBufferedImageType() == first.getBufferedImageType()) {
                return t;
            }
        }
        return null;
    }

    /**
     * {@return the picture as a {@code [1,3,H,W]} float tensor}
     *
     * @param img        the picture
     * @param preprocess how
     */
    public static INDArray toTensor(BufferedImage img, Preprocess preprocess) {
        return switch (preprocess) {
            case IMAGENET -> tensor(imagenetCrop(Pixels.of(img).rgb()), Normalization.IMAGENET);
            case UNIT -> tensor(Pixels.of(img).rgb(), Normalization.unit(3));
            case NONE -> {
                Pixels p = Pixels.of(img).rgb();
                float[] data = new float[p.v.length];
                for (int i = 0; i < data.length; i++) {
                    data[i] = p.get(i);
                }
                yield Nd4j.create(data, new long[]{1, 3, p.height, p.width}, DataType.FLOAT);
            }
        };
    }

    /**
     * {@return the picture as a {@code [1,C,H,W]} float tensor, as torchvision's {@code ToTensor()} then
     * {@code Normalize(mean, std)}} C is the normalisation's channel count: 1 takes the grey of a colour picture
     * (PIL's {@code convert("L")}, see {@link #grayscale}), 3 repeats the grey of a grey one. The arithmetic is
     * float32 in torchvision's order, {@code (v / 255 − mean) / std}. Resize and crop first if the model needs it.
     *
     * @param img           the picture
     * @param normalization per-channel mean and std, 1 or 3 channels ({@link Normalization#unit} for none)
     */
    public static INDArray toTensor(BufferedImage img, Normalization normalization) {
        int c = normalization.channels();
        if (c != 1 && c != 3) {
            throw new InvalidInputException("image: a normalisation of 1 or 3 channels is needed, got " + c);
        }
        Pixels p = Pixels.of(img);
        return tensor(c == 1 ? p.grey() : p.rgb(), normalization);
    }

    /** {@return the picture the model saw after preprocessing, for overlays} @param img image @param p preprocessing */
    public static BufferedImage seen(BufferedImage img, Preprocess p) {
        return p == Preprocess.IMAGENET ? imagenetCrop(Pixels.of(img).rgb()).toImage() : img;
    }

    /**
     * {@return the picture resampled to {@code width × height} with PIL's antialiased bilinear filter}
     *
     * <p>This is what torchvision's {@code Resize} does to a PIL image ({@code Image.resize(size, BILINEAR)}): the
     * triangle filter {@code max(0, 1 − |t|)}, stretched by the downscale factor when shrinking (a shrink by 4
     * averages about 8 input pixels per output pixel along that axis), plain linear interpolation when enlarging.
     * Pixel centres are at half-integers; the horizontal pass runs first, rounded to 8 bits, then the vertical one.
     * Alpha is dropped. Note the order of the arguments: torchvision's {@code Resize((h, w))} is
     * {@code resize(img, w, h)}.
     *
     * @param img    the picture
     * @param width  output width, at least 1
     * @param height output height, at least 1
     */
    public static BufferedImage resize(BufferedImage img, int width, int height) {
        checkSize("resize", width, height);
        return Pixels.of(img).resize(width, height).toImage();
    }

    /**
     * {@return the picture resized so its shorter side is {@code side}, as torchvision's {@code Resize(side)}} The
     * longer side becomes {@code (int) (side · long / short)}, truncated as torchvision does; the filter is that of
     * {@link #resize}.
     *
     * @param img  the picture
     * @param side the shorter side's new length, at least 1
     */
    public static BufferedImage resizeShortSide(BufferedImage img, int side) {
        checkSize("resize", side, side);
        return resizeShortSide(Pixels.of(img), side).toImage();
    }

    /**
     * {@return the centred {@code side × side} crop, as torchvision's {@code CenterCrop(side)}} @param img image
     * @param side pixels
     */
    public static BufferedImage centreCrop(BufferedImage img, int side) {
        return centreCrop(img, side, side);
    }

    /**
     * {@return the centred {@code width × height} crop, as torchvision's {@code CenterCrop((height, width))}}
     *
     * <p>The crop starts at {@code round((size − crop) / 2)} on each axis with Python's rounding (halves to even). An
     * axis shorter than the crop is padded with black, {@code ⌊(crop − size) / 2⌋} before and the rest after.
     *
     * @param img    the picture
     * @param width  crop width, at least 1
     * @param height crop height, at least 1
     */
    public static BufferedImage centreCrop(BufferedImage img, int width, int height) {
        checkSize("centre crop", width, height);
        return Pixels.of(img).centreCrop(width, height).toImage();
    }

    /**
     * {@return the grey of the picture, as PIL's {@code convert("L")} and torchvision's {@code Grayscale(1)}}
     * {@code L = (19595 R + 38470 G + 7471 B + 32768) >> 16} (ITU-R 601-2 luma, rounded); returned with
     * {@code R = G = B = L}, so {@link #toTensor(BufferedImage, Normalization)} with one channel reads back L.
     *
     * @param img the picture
     */
    public static BufferedImage grayscale(BufferedImage img) {
        return Pixels.of(img).grey().toImage();
    }

    private static Pixels imagenetCrop(Pixels p) {
        return resizeShortSide(p, 256).centreCrop(224, 224);
    }

    private static Pixels resizeShortSide(Pixels p, int side) {
        int shorter = Math.min(p.width, p.height);
        int longer = Math.max(p.width, p.height);
        // torchvision: int(side * long / short), a true division then truncation
        int newLong = (int) ((double) ((long) side * longer) / shorter);
        return p.width <= p.height ? p.resize(side, newLong) : p.resize(newLong, side);
    }

    private static INDArray tensor(Pixels p, Normalization n) {
        int plane = p.width * p.height;
        float[] data = new float[p.v.length];
        for (int c = 0; c < p.channels; c++) {
            // float32 as torch: ToTensor divides by 255, Normalize subtracts then divides
            float mean = n.mean().get(c).floatValue();
            float std = n.std().get(c).floatValue();
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                data[i] = (p.get(i) / 255f - mean) / std;
            }
        }
        return Nd4j.create(data, new long[]{1, p.channels, p.height, p.width}, DataType.FLOAT);
    }

    private static void checkSize(String what, int width, int height) {
        if (width < 1 || height < 1) {
            throw new InvalidInputException(what + ": size must be at least 1×1, got " + width + "×" + height);
        }
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
