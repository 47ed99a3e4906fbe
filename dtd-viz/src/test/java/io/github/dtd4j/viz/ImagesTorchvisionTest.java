package io.github.dtd4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.io.Npy;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Our preprocessing of real photos against torchvision's, from the tensors written by
 * {@code src/test/fixtures/make_preprocess_fixtures.py} (torchvision 0.14 on PIL images, Pillow 9.4). Each case
 * repeats that script's transform with {@link Images}' building blocks.
 *
 * <p>The two JPEG cases are held to the same bound as the PNGs: the JDK's decoder and the libjpeg-turbo behind
 * Pillow give the same pixels for them (4:4:4 and 4:2:0 chroma). rocket.jpg also carries an Adobe RGB profile,
 * which {@code ImageIO.read} would convert to sRGB (27 levels off); {@link Images#read} keeps the stored values.
 */
class ImagesTorchvisionTest {
    /** The bound the task sets: 2 grey levels, in [0, 1] units, after undoing the normalisation. */
    private static final double BOUND = 2 / 255.0;

    /** The script's other normalisations: three channels at 0.5 ± 0.5, and two one-channel ones. */
    private static final Normalization HALF = Normalization.of(new double[]{0.5, 0.5, 0.5}, new double[]{0.5, 0.5, 0.5});
    private static final Normalization CHELSEA_GREY = Normalization.of(new double[]{0.5}, new double[]{0.25});
    private static final Normalization CAMERA_GREY = Normalization.of(new double[]{0.45}, new double[]{0.2});

    /** One fixture: the photo, our pipeline and its normalisation. */
    record Case(String name, String photo, Function<BufferedImage, INDArray> ours, Normalization norm) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        Function<BufferedImage, INDArray> imagenet = img -> Images.toTensor(img, Images.Preprocess.IMAGENET);
        return Stream.of(
                new Case("chelsea_imagenet", "chelsea.png", imagenet, Normalization.IMAGENET),
                new Case("camera_imagenet", "camera.png", imagenet, Normalization.IMAGENET),
                new Case("rocket_imagenet", "rocket.jpg", imagenet, Normalization.IMAGENET),
                new Case("retina_imagenet", "retina.jpg", imagenet, Normalization.IMAGENET),
                new Case("chelsea_56x84", "chelsea.png",
                        img -> Images.toTensor(Images.resize(img, 84, 56), Normalization.unit(3)), Normalization.unit(3)),
                new Case("chelsea_upscale", "chelsea.png",
                        img -> Images.toTensor(Images.centreCrop(Images.resizeShortSide(img, 384), 86, 119), HALF), HALF),
                new Case("chelsea_gray", "chelsea.png",
                        img -> Images.toTensor(Images.centreCrop(Images.resizeShortSide(Images.grayscale(img), 64), 56),
                                CHELSEA_GREY), CHELSEA_GREY),
                new Case("camera_pad", "camera.png",
                        img -> Images.toTensor(Images.centreCrop(Images.resizeShortSide(img, 200), 180, 211), CAMERA_GREY),
                        CAMERA_GREY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchvisionOnARealPhoto(Case c) throws Exception {
        BufferedImage img = Images.read(photo(c.photo()));
        INDArray expected = Npy.read(resource(c.name() + ".npy"));
        INDArray ours = c.ours().apply(img);
        assertThat(ours.shape()).containsExactly(concat(1, expected.shape()));
        Diff d = diff(ours.reshape(expected.shape()), expected, c.norm());
        double raw = ours.reshape(expected.shape()).sub(expected).amaxNumber().doubleValue();
        System.out.printf(Locale.ROOT, "%-17s %-11s max |ours - torchvision| = %.2f/255 in [0,1] (%d of %d values differ"
                        + " by over 0.5/255); normalised tensors: max %.3g%n",
                c.name(), c.photo(), d.max() * 255, d.differing(), d.count(), raw);
        assertThat(d.max()).as("%s: worst value at %s", c.name(), d.where()).isLessThanOrEqualTo(BOUND);
    }

    /** The fixtures were made from the committed photos, not from others of the same name. */
    @Test
    void fixturesNameThePhotosTheyWereMadeFrom() throws Exception {
        for (Case c : cases().toList()) {
            String json = Files.readString(resource(c.name() + ".json"));
            Matcher m = Pattern.compile("\"photo_sha256\"\\s*:\\s*\"([0-9a-f]{64})\"").matcher(json);
            assertThat(m.find()).as(c.name()).isTrue();
            assertThat(sha256(photo(c.photo()))).as(c.name()).isEqualTo(m.group(1));
        }
    }

    /**
     * The comparison can fail: the former Java2D bilinear resize, which does not average when shrinking, misses the
     * bound on the photos shrunk more than 2×.
     */
    @Test
    void java2dBilinearFailsTheBoundWhenShrinkingMoreThanTwice() throws Exception {
        BufferedImage chelsea = Images.read(photo("chelsea.png"));
        INDArray small = Images.toTensor(java2dResize(chelsea, 84, 56), Normalization.unit(3));
        Diff d1 = diff(small.reshape(3, 56, 84), Npy.read(resource("chelsea_56x84.npy")), Normalization.unit(3));
        BufferedImage retina = Images.read(photo("retina.jpg"));
        BufferedImage r = java2dResize(retina, 256, 256);
        INDArray x = Images.toTensor(r.getSubimage(16, 16, 224, 224), Normalization.IMAGENET);
        Diff d2 = diff(x.reshape(3, 224, 224), Npy.read(resource("retina_imagenet.npy")), Normalization.IMAGENET);
        System.out.printf(Locale.ROOT, "Java2D bilinear: chelsea_56x84 max %.2f/255, retina_imagenet max %.2f/255%n",
                d1.max() * 255, d2.max() * 255);
        assertThat(d1.max()).isGreaterThan(BOUND);
        assertThat(d2.max()).isGreaterThan(BOUND);
    }

    /** The resize dtd4j used before: Java2D bilinear interpolation, no antialiasing. */
    private static BufferedImage java2dResize(BufferedImage img, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    record Diff(double max, String where, long differing, long count) {
    }

    /** Compares in [0, 1] pixel units: both tensors are un-normalised with the case's mean and std. */
    private static Diff diff(INDArray ours, INDArray theirs, Normalization n) {
        long[] s = theirs.shape();
        double max = -1;
        String where = "";
        long differing = 0;
        for (int c = 0; c < s[0]; c++) {
            double mean = n.mean().get(c);
            double std = n.std().get(c);
            for (int y = 0; y < s[1]; y++) {
                for (int x = 0; x < s[2]; x++) {
                    double a = ours.getDouble(c, y, x) * std + mean;
                    double b = theirs.getDouble(c, y, x) * std + mean;
                    double d = Math.abs(a - b);
                    if (d > 0.5 / 255) {
                        differing++;
                    }
                    if (d > max) {
                        max = d;
                        where = String.format(Locale.ROOT, "(c=%d, y=%d, x=%d): ours %.4f, torchvision %.4f", c, y, x, a, b);
                    }
                }
            }
        }
        return new Diff(max, where, differing, s[0] * s[1] * s[2]);
    }

    private static long[] concat(long first, long[] rest) {
        long[] out = new long[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    private static Path photo(String name) throws URISyntaxException {
        return resource("photos/" + name);
    }

    private static Path resource(String name) throws URISyntaxException {
        var url = ImagesTorchvisionTest.class.getResource("/preprocess/" + name);
        assertThat(url).as("test resource /preprocess/" + name).isNotNull();
        return Path.of(url.toURI());
    }

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
