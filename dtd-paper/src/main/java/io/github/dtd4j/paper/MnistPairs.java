package io.github.dtd4j.paper;

import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.io.Npy;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The task of the paper's §6.1: a 28×56 image made of two MNIST digits side by side, positive when a digit 0–3 is
 * present. Pixels are coded from −0.5 (black) to +1.5 (white).
 *
 * <p>Digits come from the files written by {@code scripts/fetch-mnist.sh} ({@code mnist-images.npy}, uint8
 * {@code [N,784]}; {@code mnist-labels.npy}, uint8 {@code [N]}). Within each digit class, every fifth digit
 * (index mod 5 = 4) is held out for testing; the rest are for training.
 */
final class MnistPairs {
    /** Target of a positive pair. */
    static final double POSITIVE = 100;
    /** Output above which a pair is called positive (half the positive target). */
    static final double THRESHOLD = POSITIVE / 2;

    private final byte[][] train;
    private final int[] trainLabels;
    private final byte[][] test;
    private final int[] testLabels;

    private MnistPairs(byte[][] train, int[] trainLabels, byte[][] test, int[] testLabels) {
        this.train = train;
        this.trainLabels = trainLabels;
        this.test = test;
        this.testLabels = testLabels;
    }

    /** {@return the digits in DIR, split into training and test digits} @param dir where fetch-mnist.sh wrote */
    static MnistPairs load(Path dir) {
        Path imgs = dir.resolve("mnist-images.npy");
        Path labs = dir.resolve("mnist-labels.npy");
        if (!Files.isRegularFile(imgs) || !Files.isRegularFile(labs)) {
            throw new InvalidInputException(dir + ": no mnist-images.npy / mnist-labels.npy (run scripts/fetch-mnist.sh "
                    + dir + ")");
        }
        INDArray x = Npy.read(imgs);
        INDArray y = Npy.read(labs);
        if (x.rank() != 2 || x.size(1) != 784 || y.length() != x.size(0)) {
            throw new InvalidInputException(dir + ": expected images [N,784] and labels [N], got "
                    + java.util.Arrays.toString(x.shape()) + " and " + java.util.Arrays.toString(y.shape()));
        }
        int n = (int) x.size(0);
        int[] lab = y.castTo(DataType.INT).toIntVector();
        int[] pix = x.castTo(DataType.INT).reshape(new long[]{(long) n * 784}).toIntVector();
        int[] seen = new int[10];
        List<byte[]> tr = new ArrayList<>();
        List<byte[]> te = new ArrayList<>();
        List<Integer> trl = new ArrayList<>();
        List<Integer> tel = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] d = new byte[784];
            for (int k = 0; k < 784; k++) {
                d[k] = (byte) pix[i * 784 + k];
            }
            if (seen[lab[i]]++ % 5 == 4) {
                te.add(d);
                tel.add(lab[i]);
            } else {
                tr.add(d);
                trl.add(lab[i]);
            }
        }
        return new MnistPairs(tr.toArray(byte[][]::new), trl.stream().mapToInt(Integer::intValue).toArray(),
                te.toArray(byte[][]::new), tel.stream().mapToInt(Integer::intValue).toArray());
    }

    /** {@return the number of training digits} */
    int trainDigits() {
        return train.length;
    }

    /** {@return the number of test digits} */
    int testDigits() {
        return test.length;
    }

    /**
     * A batch of pairs.
     *
     * @param pixels {@code [B,1568]} uint8 pixel values 0–255 of the 28×56 image, row-major
     * @param digits {@code [B][2]} the two digit labels, left and right
     */
    record Batch(int[][] pixels, int[][] digits) {
        /** {@return the network input: pixels coded from −0.5 to +1.5, {@code [B,1568]}} @param dtype FLOAT or DOUBLE */
        INDArray input(DataType dtype) {
            return encode(pixels, dtype);
        }

        /** {@return the targets: 100 if a digit 0–3 is present, else 0} */
        INDArray targets(DataType dtype) {
            double[] t = new double[digits.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = positive(digits[i]) ? POSITIVE : 0;
            }
            return Nd4j.createFromArray(t).castTo(dtype);
        }

        /** {@return the number of pairs} */
        int size() {
            return pixels.length;
        }
    }

    /** {@return whether a pair is positive: one of its digits is 0, 1, 2 or 3} @param d the two labels */
    static boolean positive(int[] d) {
        return d[0] <= 3 || d[1] <= 3;
    }

    /** {@return pixels 0–255 coded as −0.5 + 2·v/255} @param pixels [B][1568] @param dtype dtype */
    static INDArray encode(int[][] pixels, DataType dtype) {
        double[][] x = new double[pixels.length][];
        for (int i = 0; i < x.length; i++) {
            x[i] = new double[pixels[i].length];
            for (int k = 0; k < x[i].length; k++) {
                x[i][k] = -0.5 + 2.0 * pixels[i][k] / 255.0;
            }
        }
        return Nd4j.create(x).castTo(dtype);
    }

    /**
     * {@return random pairs}
     *
     * @param rnd   the source of randomness
     * @param n     how many
     * @param fromTest draw digits from the test digits (else the training digits)
     * @param shift maximum translation of each digit, in pixels, in both directions (0 = none)
     */
    Batch pairs(Random rnd, int n, boolean fromTest, int shift) {
        byte[][] d = fromTest ? test : train;
        int[] l = fromTest ? testLabels : trainLabels;
        int[][] px = new int[n][];
        int[][] dg = new int[n][];
        for (int i = 0; i < n; i++) {
            int a = rnd.nextInt(d.length);
            int b = rnd.nextInt(d.length);
            int[] img = new int[28 * 56];
            place(img, d[a], 0, shift == 0 ? 0 : rnd.nextInt(2 * shift + 1) - shift,
                    shift == 0 ? 0 : rnd.nextInt(2 * shift + 1) - shift);
            place(img, d[b], 28, shift == 0 ? 0 : rnd.nextInt(2 * shift + 1) - shift,
                    shift == 0 ? 0 : rnd.nextInt(2 * shift + 1) - shift);
            px[i] = img;
            dg[i] = new int[]{l[a], l[b]};
        }
        return new Batch(px, dg);
    }

    private static void place(int[] img, byte[] digit, int col0, int dy, int dx) {
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int sr = r - dy;
                int sc = c - dx;
                if (sr >= 0 && sr < 28 && sc >= 0 && sc < 28) {
                    img[r * 56 + col0 + c] = digit[sr * 28 + sc] & 0xff;
                }
            }
        }
    }

    /**
     * Writes a batch as two {@code .npy} files: {@code PREFIX-pixels.npy} (uint8 {@code [B,1568]}) and
     * {@code PREFIX-digits.npy} ({@code [B,2]}).
     *
     * @param b      the batch
     * @param dir    directory
     * @param prefix file name prefix
     */
    static void save(Batch b, Path dir, String prefix) {
        try {
            Files.createDirectories(dir);
            try (OutputStream out = Files.newOutputStream(dir.resolve(prefix + "-pixels.npy"))) {
                writeU1(b.pixels(), out);
            }
            int[][] dg = b.digits();
            Npy.write(Nd4j.createFromArray(dg), dir.resolve(prefix + "-digits.npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the sample", e);
        }
    }

    /**
     * {@return a batch from the arrays {@link #save} writes}
     *
     * @param p the pixels {@code [B,1568]}, 0–255
     * @param d the digits {@code [B,2]}
     */
    static Batch batch(INDArray p, INDArray d) {
        int n = (int) p.size(0);
        int[][] px = new int[n][];
        int[][] dg = new int[n][];
        for (int i = 0; i < n; i++) {
            px[i] = p.getRow(i).castTo(DataType.INT).toIntVector();
            for (int k = 0; k < px[i].length; k++) {
                px[i][k] &= 0xff;
            }
            dg[i] = d.getRow(i).castTo(DataType.INT).toIntVector();
        }
        return new Batch(px, dg);
    }

    /** A uint8 {@code .npy} (the library's writer stores bytes as int32; this keeps the sample 4× smaller). */
    private static void writeU1(int[][] rows, OutputStream out) throws IOException {
        int cols = rows[0].length;
        StringBuilder header = new StringBuilder("{'descr': '|u1', 'fortran_order': False, 'shape': (" + rows.length
                + ", " + cols + "), }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        out.write(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length() & 0xff),
                (byte) (header.length() >> 8)});
        out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        byte[] buf = new byte[cols];
        for (int[] r : rows) {
            for (int k = 0; k < cols; k++) {
                buf[k] = (byte) r[k];
            }
            out.write(buf);
        }
    }
}
