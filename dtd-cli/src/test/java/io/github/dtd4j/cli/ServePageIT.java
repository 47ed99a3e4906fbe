package io.github.dtd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dtd serve}'s page in a real browser: Debian's Chromium, headless, driven through its remote-debugging
 * protocol. A user uploads a picture and sees the heatmap (the very one the API computes), the overlay, the top
 * classes and the ledger chart; switches the method and the class; compares methods; picks an example; the page
 * throws no error. The screenshot is kept in {@code target/serve-page.png}.
 */
class ServePageIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void chromiumIsInstalled() {
        assertThat(Chromium.BINARY).as("Chromium is not installed at " + Chromium.BINARY
                + ": scripts/install-browser.sh installs it (mvn verify runs it before the end-to-end tests)")
                .isExecutable();
    }

    private static String js(String s) {
        return "(() => { const $ = id => document.getElementById(id); " + s + " })()";
    }

    @Test
    void aUserUploadsAPictureAndSeesItsExplanation() throws Exception {
        Path examples = dir.resolve("examples");
        DtdJar.png(examples, "first.png", 11);
        DtdJar.png(examples, "second.png", 12);
        Path picture = DtdJar.png(dir, "upload/cat.png", 13);
        try (Served server = new Served(dir, "--model", DtdCliIT.MODEL.toString(), "--preprocess", "unit",
                "--resize", "--examples", examples.toString());
             Chromium browser = new Chromium(Files.createDirectories(dir.resolve("profile")))) {
            browser.open(server.uri("/"));
            browser.waitFor(() -> browser.eval(js("return $('method').options.length")).asInt() > 10, 30,
                    "the page to read the model's description");
            assertThat(browser.eval(js("return $('model').textContent")).asText()).contains("resnet18.onnx")
                    .contains("10 classes");
            assertThat(browser.eval(js("return $('examples').querySelectorAll('img').length")).asInt()).isEqualTo(2);

            // upload: the heatmap appears, and it is the API's for the same picture and settings
            browser.setFiles("#file", picture);
            waitForExplanation(browser, "");
            assertThat(browser.eval(js("return $('error').style.display")).asText()).isNotEqualTo("block");
            assertThat(browser.eval(js("return $('heatmap').naturalWidth")).asInt()).isEqualTo(128);
            assertThat(browser.eval(js("return $('overlay-img').hidden")).asBoolean()).isFalse();
            assertThat(browser.eval(js("return $('top').querySelectorAll('li').length")).asInt()).isEqualTo(5);
            assertThat(browser.eval(js("return $('ledger').querySelectorAll('rect').length")).asInt())
                    .isGreaterThan(20);
            JsonNode api = ServeIT.post(server, "/api/explain?method=lrp&colormap=red-blue&scale=max&overlay=0.5&top=5",
                    Files.readAllBytes(picture)).json();
            assertThat(browser.eval(js("return $('heatmap').src")).asText()).isEqualTo(api.get("heatmap").asText());
            assertThat(browser.eval(js("return $('summary').textContent")).asText())
                    .contains("class " + api.get("class").asInt());

            // another method
            browser.eval(js("$('method').value = 'gradient'; $('method').dispatchEvent(new Event('change'));"));
            browser.waitFor(() -> browser.eval(js("return $('summary').textContent")).asText()
                    .contains("gradient") || browser.eval(js("return $('heatmap-caption').textContent")).asText()
                    .startsWith("gradient"), 60, "the gradient's heatmap");
            assertThat(browser.eval(js("return $('heatmap-caption').textContent")).asText()).startsWith("gradient");

            // another class: the second of the top list
            int second = browser.eval(js("return +$('top').querySelectorAll('li')[1].dataset.class")).asInt();
            browser.eval(js("$('top').querySelectorAll('li')[1].click();"));
            browser.waitFor(() -> browser.eval(js("return $('summary').textContent")).asText()
                    .startsWith("class " + second + " "), 60, "the explanation of class " + second);
            assertThat(browser.eval(js("return $('top').querySelector('li.target').dataset.class")).asInt())
                    .isEqualTo(second);

            // methods side by side
            browser.eval(js("$('compare-button').click();"));
            browser.waitFor(() -> browser.eval(js("const imgs = [...$('compare').querySelectorAll('img')];"
                    + " return imgs.length === 8 && imgs.every(i => i.complete && i.naturalWidth > 0)")).asBoolean(),
                    120, "eight methods side by side");

            // an example from the server's list
            String before = ready(browser);
            browser.eval(js("$('examples').querySelectorAll('img')[1].click();"));
            browser.waitFor(() -> browser.eval(js("return $('drop-text').textContent")).asText()
                    .startsWith("second.png"), 60, "the example to be chosen");
            waitForExplanation(browser, before);

            byte[] shot = browser.screenshot(Path.of("target", "serve-page.png"));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(shot));
            assertThat(img.getWidth()).isGreaterThanOrEqualTo(1000);
            assertThat(distinctColours(img)).as("a page with pictures on it").isGreaterThan(1000);
            assertThat(browser.pageErrors()).isEmpty();
        }
    }

    /** The shipped Fashion-MNIST ResNet (trained; 1 × 28 × 28 grey pictures), its samples and torch's logits. */
    private static final Path FASHION = Path.of("../models/fashion-mnist").toAbsolutePath().normalize();

    /**
     * The page on a trained model of grey pictures with class names: the example a user picks is classified as torch
     * classifies it (the shipped logits), under its label; LRP's ledger is drawn; the screenshot is the README's.
     */
    @Test
    void aTrainedModelOfGreyPicturesWithLabels() throws Exception {
        JsonNode sample = new com.fasterxml.jackson.databind.ObjectMapper().readTree(FASHION.resolve("sample.json")
                .toFile());
        java.util.List<String> classes = new java.util.ArrayList<>();
        sample.get("source").get("classes").forEach(c -> classes.add(c.asText()));
        Path labels = Files.write(dir.resolve("labels.txt"), classes);
        org.nd4j.linalg.api.ndarray.INDArray images = io.github.dtd4j.io.Npy.read(FASHION.resolve("sample-images.npy"));
        org.nd4j.linalg.api.ndarray.INDArray logits = io.github.dtd4j.io.Npy.read(FASHION.resolve(
                "resnet-sample-logits.npy"));
        Path examples = Files.createDirectories(dir.resolve("fashion"));
        int shown = 4;
        for (int i = 0; i < shown; i++) {
            BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int v = (int) Math.round(255 * images.getDouble(i, 0, y, x));
                    grey.getRaster().setSample(x, y, 0, v);
                }
            }
            ImageIO.write(grey, "png", examples.resolve("sample-" + i + ".png").toFile());
        }
        try (Served server = new Served(dir, "--model", FASHION.resolve("resnet.onnx").toString(), "--labels",
                labels.toString(), "--preprocess", "unit", "--grayscale", "--examples", examples.toString());
             Chromium browser = new Chromium(Files.createDirectories(dir.resolve("profile2")))) {
            browser.open(server.uri("/"));
            browser.waitFor(() -> browser.eval(js("return $('examples').querySelectorAll('img').length")).asInt()
                    == shown, 30, "the examples");
            int pick = 2;
            browser.eval(js("$('examples').querySelectorAll('img')[" + pick + "].click();"));
            waitForExplanation(browser, "");
            int torchTop = logits.getRow(pick).argMax().getInt(0);
            assertThat(browser.eval(js("return +$('top').querySelector('li').dataset.class")).asInt())
                    .isEqualTo(torchTop);
            assertThat(browser.eval(js("return $('summary').textContent")).asText())
                    .startsWith("class " + torchTop + " · " + classes.get(torchTop));
            assertThat(browser.eval(js("return $('ledger-card').hidden")).asBoolean()).isFalse();
            browser.eval(js("document.querySelectorAll('#compare-methods input').forEach(b => b.checked ="
                    + " ['lrp', 'gradient-input', 'integrated-gradients', 'smoothgrad', 'grad-cam', 'occlusion']"
                    + ".includes(b.value)); $('compare-button').click();"));
            browser.waitFor(() -> browser.eval(js("const imgs = [...$('compare').querySelectorAll('img')];"
                    + " return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0)")).asBoolean(),
                    120, "six methods side by side");
            browser.screenshot(Path.of("target", "serve-page-fashion.png"));
            assertThat(browser.pageErrors()).isEmpty();
        }
    }

    /** {@return the mark the page sets when it has drawn a heatmap, or ""} */
    private static String ready(Chromium browser) {
        return browser.eval(js("return $('heatmap').dataset.ready || ''")).asText();
    }

    /** Waits until a new heatmap (whose mark differs from {@code before}) is drawn and nothing is running. */
    private static void waitForExplanation(Chromium browser, String before) {
        browser.waitFor(() -> browser.eval(js("return state.busy === 0 && !$('heatmap').hidden"
                + " && $('heatmap').complete && $('heatmap').naturalWidth > 0")).asBoolean()
                && !ready(browser).isEmpty() && !ready(browser).equals(before), 60, "the heatmap");
    }

    private static int distinctColours(BufferedImage img) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                seen.add(img.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
