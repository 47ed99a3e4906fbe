package io.github.dtd4j.viz;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * An 8-bit picture of 1 (grey) or 3 (RGB) planar channels: the working form of {@link Images}' preprocessing.
 *
 * <p>Every operation follows what PIL does to an 8-bit {@code L} or {@code RGB} image, because torchvision's
 * transforms on a PIL image call PIL; each method names the PIL or torchvision behaviour it reproduces. The code is
 * written from those definitions, not taken from either project.
 */
final class Pixels {
    /** PIL resamples with 32-bit fixed-point weights: 8 bits of pixel, 2 spare, 22 of fraction. */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    final int width;
    final int height;
    final int channels;
    /** Sample {@code (c, y, x)} at {@code (c * height + y) * width + x}, unsigned: bytes keep a large photo small. */
    final byte[] v;

    Pixels(int width, int height, int channels) {
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.v = new byte[channels * height * width];
    }

    /** {@return sample {@code i} of {@link #v}, 0–255} @param i index */
    int get(int i) {
        return v[i] & 255;
    }

    /**
     * {@return the samples of a picture as stored: one channel for grey, three for colour, alpha dropped}
     *
     * <p>PIL applies no colour management when it opens a file, so the stored samples are what torchvision sees.
     * Java's {@link BufferedImage#getRGB} would instead convert grey through a linear-grey colour space (a stored 128
     * reads as 188), so grey and RGB rasters are read directly. Samples wider than 8 bits keep their high byte;
     * narrower ones are scaled to 0–255 (as PIL expands 2- and 4-bit grey). Palette, premultiplied and other colour
     * models go through {@code getRGB}, which for them is the plain palette or un-premultiplied colour.
     */
    static Pixels of(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        int n = cm.getNumColorComponents();
        int type = cm.getColorSpace().getType();
        boolean direct = !(cm instanceof IndexColorModel) && !cm.isAlphaPremultiplied()
                && (n == 1 && type == ColorSpace.TYPE_GRAY || n == 3 && type == ColorSpace.TYPE_RGB);
        int w = img.getWidth();
        int h = img.getHeight();
        if (!direct) {
            Pixels p = new Pixels(w, h, 3);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = img.getRGB(x, y);
                    p.v[y * w + x] = (byte) (rgb >> 16);
                    p.v[(h + y) * w + x] = (byte) (rgb >> 8);
                    p.v[(2 * h + y) * w + x] = (byte) rgb;
                }
            }
            return p;
        }
        Raster r = img.getRaster();
        Pixels p = new Pixels(w, h, n);
        int[] row = new int[w];
        for (int c = 0; c < n; c++) {
            int bits = r.getSampleModel().getSampleSize(c);
            int max = (1 << bits) - 1;
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, c, row);
                int base = (c * h + y) * w;
                for (int x = 0; x < w; x++) {
                    int s = row[x];
                    p.v[base + x] = (byte) (bits == 8 ? s : bits > 8 ? s >>> (bits - 8) : s * 255 / max);
                }
            }
        }
        return p;
    }

    /** {@return three channels: grey repeated, as PIL's {@code convert("RGB")} of an {@code L} image} */
    Pixels rgb() {
        if (channels == 3) {
            return this;
        }
        Pixels p = new Pixels(width, height, 3);
        for (int c = 0; c < 3; c++) {
            System.arraycopy(v, 0, p.v, c * width * height, width * height);
        }
        return p;
    }

    /**
     * {@return one channel, as PIL's {@code convert("L")} of an RGB image}: ITU-R 601-2 luma
     * {@code L = (19595 R + 38470 G + 7471 B + 32768) >> 16}, PIL's 16-bit fixed-point form of
     * {@code 0.299 R + 0.587 G + 0.114 B} rounded to nearest.
     */
    Pixels grey() {
        if (channels == 1) {
            return this;
        }
        Pixels p = new Pixels(width, height, 1);
        int n = width * height;
        for (int i = 0; i < n; i++) {
            p.v[i] = (byte) ((get(i) * 19595 + get(n + i) * 38470 + get(2 * n + i) * 7471 + 0x8000) >> 16);
        }
        return p;
    }

    /**
     * {@return the picture resampled to {@code w × h} as PIL's {@code Image.resize(size, BILINEAR)}}
     *
     * <p>PIL's bilinear filter is a triangle {@code max(0, 1 − |t|)} stretched by the downscale factor
     * {@code s = max(1, in / out)}, so when shrinking it averages over {@code 2s} input pixels (antialiasing) and when
     * enlarging it is plain linear interpolation. Output pixel {@code i} is centred at input coordinate
     * {@code (i + 0.5)·in/out}; its weights are normalised to sum 1 and rounded to 22-bit fixed point. The
     * horizontal pass runs first and is rounded and clipped to 8 bits before the vertical pass; an axis whose size
     * does not change is not resampled.
     */
    Pixels resize(int w, int h) {
        Pixels p = this;
        if (w != width) {
            p = p.resampleRows(Weights.of(width, w));
        }
        if (h != height) {
            p = p.resampleColumns(Weights.of(height, h));
        }
        return p;
    }

    private Pixels resampleRows(Weights k) {
        Pixels p = new Pixels(k.outSize, height, channels);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int in = (c * height + y) * width;
                int out = (c * height + y) * k.outSize;
                for (int x = 0; x < k.outSize; x++) {
                    int first = k.first[x];
                    int base = x * k.size;
                    int acc = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count[x]; i++) {
                        acc += get(in + first + i) * k.w[base + i];
                    }
                    p.v[out + x] = clip8(acc);
                }
            }
        }
        return p;
    }

    private Pixels resampleColumns(Weights k) {
        Pixels p = new Pixels(width, k.outSize, channels);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < k.outSize; y++) {
                int first = k.first[y];
                int base = y * k.size;
                int out = (c * k.outSize + y) * width;
                for (int x = 0; x < width; x++) {
                    int acc = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count[y]; i++) {
                        acc += get((c * height + first + i) * width + x) * k.w[base + i];
                    }
                    p.v[out + x] = clip8(acc);
                }
            }
        }
        return p;
    }

    /** The accumulator carries half a unit already, so the shift rounds to nearest. */
    private static byte clip8(int acc) {
        return (byte) Math.max(0, Math.min(255, acc >> PRECISION_BITS));
    }

    /**
     * {@return the centred {@code w × h} crop, as torchvision's {@code CenterCrop} on a PIL image}
     *
     * <p>An axis shorter than the crop is first padded with zeros, {@code (crop − size) / 2} (rounded down) before and
     * the rest after. The crop then starts at {@code round((size − crop) / 2)} with Python's {@code round}, which
     * takes halves to the even neighbour ({@link Math#rint}).
     */
    Pixels centreCrop(int w, int h) {
        int padLeft = w > width ? (w - width) / 2 : 0;
        int padTop = h > height ? (h - height) / 2 : 0;
        int left = (int) Math.rint((Math.max(width, w) - w) / 2.0) - padLeft;
        int top = (int) Math.rint((Math.max(height, h) - h) / 2.0) - padTop;
        Pixels p = new Pixels(w, h, channels);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                int sy = top + y;
                if (sy < 0 || sy >= height) {
                    continue;
                }
                for (int x = 0; x < w; x++) {
                    int sx = left + x;
                    if (sx >= 0 && sx < width) {
                        p.v[(c * h + y) * w + x] = v[(c * height + sy) * width + sx];
                    }
                }
            }
        }
        return p;
    }

    /**
     * {@return an RGB picture of these samples} Grey becomes equal R, G and B rather than a {@code TYPE_BYTE_GRAY}
     * image, whose {@code getRGB} and drawing would pass it through Java's linear-grey colour conversion; reading
     * it back with {@link #of} and {@link #grey} gives the same samples (the luma weights sum to 65536).
     */
    BufferedImage toImage() {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int n = width * height;
        int[] argb = new int[n];
        int g = channels == 3 ? n : 0;
        int b = channels == 3 ? 2 * n : 0;
        for (int i = 0; i < n; i++) {
            argb[i] = get(i) << 16 | get(g + i) << 8 | get(b + i);
        }
        out.setRGB(0, 0, width, height, argb, 0, width);
        return out;
    }

    /** PIL's resampling weights along one axis, in fixed point. */
    private static final class Weights {
        final int outSize;
        /** Room per output pixel in {@link #w}: the widest any output's window can be. */
        final int size;
        final int[] first;
        final int[] count;
        final int[] w;

        private Weights(int outSize, int size) {
            this.outSize = outSize;
            this.size = size;
            this.first = new int[outSize];
            this.count = new int[outSize];
            this.w = new int[outSize * size];
        }

        static Weights of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(1.0, scale);
            // the triangle reaches 1 input pixel each side; shrinking by s widens it to s
            double support = filterScale;
            double inverse = 1.0 / filterScale;
            Weights k = new Weights(outSize, (int) Math.ceil(support) * 2 + 1);
            double[] d = new double[k.size];
            for (int o = 0; o < outSize; o++) {
                double centre = (o + 0.5) * scale;
                // PIL truncates centre ± support + 0.5 (rounding for the positive values that survive the clamp)
                int lo = Math.max(0, (int) (centre - support + 0.5));
                int hi = Math.min(inSize, (int) (centre + support + 0.5));
                int n = hi - lo;
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    // the same expression order as PIL, so the doubles, and after rounding the weights, agree
                    d[i] = triangle((i + lo - centre + 0.5) * inverse);
                    sum += d[i];
                }
                for (int i = 0; i < n; i++) {
                    double x = sum != 0.0 ? d[i] / sum : d[i];
                    k.w[o * k.size + i] = (int) (0.5 + x * (1 << PRECISION_BITS));
                }
                k.first[o] = lo;
                k.count[o] = n;
            }
            return k;
        }

        private static double triangle(double t) {
            double a = Math.abs(t);
            return a < 1.0 ? 1.0 - a : 0.0;
        }
    }
}
