package io.github.dtd4j.paper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's figures quoted in README.md and docs/mnist-demo.md are what {@code dtd demo} measures, at the precision
 * they are quoted: each is read from the documents and compared with the demo's table1.json (or, for the accuracies,
 * with the shipped provenance files and the shipped sample), the measured value rounded to the quoted decimals. A
 * document that quotes a figure the demo does not give, or rewords a sentence so its figure is no longer found, fails
 * here.
 */
class DocumentedFiguresTest {
    static final Path README = Path.of("../README.md");
    static final Path DEMO_DOC = Path.of("../docs/mnist-demo.md");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path out;
    static JsonNode table;

    @BeforeAll
    static void runTheDemo() throws IOException {
        PaperDemo.run(out);
        table = JSON.readTree(out.resolve("table1.json").toFile());
    }

    static JsonNode method(String id) {
        return table.get("methods").get(id);
    }

    /** A document as one line: sentences wrap anywhere. */
    static String prose(Path doc) throws IOException {
        return Files.readString(doc).replaceAll("\\s+", " ");
    }

    /** {@return the first group of the first match, failing if the document has no such sentence} */
    static String find(String text, String regex, Path doc) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s no longer has /%s/: update this test with the document", doc, regex).isTrue();
        return m.group(1);
    }

    /** {@return a quoted number as Java reads it}: {@code 3.9·10⁻⁶} and {@code 10⁻³} become {@code 3.9e-6}, {@code 1e-3} */
    static String decimal(String quoted) {
        Matcher m = Pattern.compile("(?:([0-9.]+)·)?10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)").matcher(quoted);
        if (!m.matches()) {
            return quoted.replace(",", "");
        }
        StringBuilder exp = new StringBuilder();
        for (char c : m.group(2).toCharArray()) {
            exp.append(c == '⁻' ? '-' : (char) ('0' + "⁰¹²³⁴⁵⁶⁷⁸⁹".indexOf(c)));
        }
        return (m.group(1) != null ? m.group(1) : "1") + "e" + exp;
    }

    /** Checks a quoted figure: the measured value, rounded to the quoted decimals, is the quoted number. */
    static void agrees(SoftAssertions soft, String what, String quoted, double measured) {
        BigDecimal q = new BigDecimal(decimal(quoted));
        BigDecimal m = new BigDecimal(measured).setScale(q.scale(), RoundingMode.HALF_UP);
        soft.assertThat(m).as("%s: the document says %s, the demo measures %s", what, quoted, measured)
                .isEqualByComparingTo(q);
    }

    @Test
    void readmeQuotesTheDemo() throws IOException {
        String t = prose(README);
        SoftAssertions soft = new SoftAssertions();
        agrees(soft, "README: max relative conservation error of training-free DTD", find(t,
                "training-free DTD is conservative \\(max \\|ΣR − f\\(x\\)\\|/f\\(x\\) = ([0-9.e-]+)\\) and positive", README),
                method("dtd").get("maxRelError").asDouble());
        soft.assertThat(method("dtd").get("conservative").asBoolean() && method("dtd").get("positive").asBoolean())
                .as("README: training-free DTD conservative and positive").isTrue();
        agrees(soft, "README: mean ΣR/f(x) of the min-max variant", find(t,
                "min-max variant is positive and conservative only up to its fitting error \\(mean ΣR/f\\(x\\) = ([0-9.]+)\\)",
                README), method("minmax").get("meanRatio").asDouble());
        soft.assertThat(method("minmax").get("positive").asBoolean()).as("README: min-max positive").isTrue();
        find(t, "(sensitivity is positive but not conservative)", README);
        soft.assertThat(method("sensitivity").get("positive").asBoolean() && !method("sensitivity").get("conservative").asBoolean())
                .as("README: sensitivity positive, not conservative").isTrue();
        agrees(soft, "README: mean ΣR/f(x) of nearest-root Taylor", find(t,
                "nearest-root Taylor dissipates relevance \\(mean ΣR/f\\(x\\) = ([0-9.]+)\\)", README),
                method("taylor").get("meanRatio").asDouble());
        agrees(soft, "README: share of Taylor's pixels with negative relevance", find(t,
                "gives ([0-9.]+) % of the pixels negative relevance", README),
                100 * method("taylor").get("negativePixels").asDouble());
        soft.assertAll();
    }

    /** The cells of a Markdown table row, {@code \|} inside a cell kept. */
    static List<String> cells(String row) {
        List<String> c = new ArrayList<>(Arrays.stream(row.strip().split("(?<!\\\\)\\|")).map(String::strip).toList());
        return c.subList(1, c.size());
    }

    @Test
    void theDemoDocsTable1IsTheDemosTable1() throws IOException {
        List<String> lines = Files.readAllLines(DEMO_DOC);
        String heading = find(String.join("\n", lines), "(## Table 1, as measured .*)", DEMO_DOC);
        SoftAssertions soft = new SoftAssertions();
        Matcher h = Pattern.compile("\\((\\d+) shipped pairs, (\\d+) with f\\(x\\) ≥ ([0-9.]+)\\)").matcher(heading);
        assertThat(h.find()).as(heading).isTrue();
        agrees(soft, "pairs", h.group(1), table.get("samples").asInt());
        agrees(soft, "minimum f(x) explained", h.group(3), table.get("minF").asDouble());
        int start = lines.indexOf(heading);
        List<String> header = cells(lines.get(start + 2));
        List<String> ids = new ArrayList<>();
        for (String title : header.subList(1, header.size())) {
            String id = null;
            for (var e : table.get("methods").properties()) {
                if (e.getValue().get("title").asText().equals(title)) {
                    id = e.getKey();
                }
            }
            assertThat(id).as("%s: column '%s' is no method of the demo", DEMO_DOC, title).isNotNull();
            ids.add(id);
            agrees(soft, id + ": pairs explained", h.group(2), method(id).get("explained").asInt());
        }
        assertThat(ids).hasSize(4);
        int rows = 0;
        for (String line : lines.subList(start + 4, lines.size())) {
            if (!line.startsWith("|")) {
                break;
            }
            rows++;
            List<String> row = cells(line);
            String name = row.get(0);
            for (int k = 0; k < ids.size(); k++) {
                String id = ids.get(k);
                String cell = row.get(k + 1);
                String where = name + " / " + header.get(k + 1) + " '" + cell + "'";
                JsonNode m = method(id);
                if (name.startsWith("Conservative")) {
                    agrees(soft, "conservative tolerance", find(name, "≤ (\\S+)\\)", DEMO_DOC),
                            table.get("conservativeTolerance").asDouble());
                    verdict(soft, where, cell, m.get("conservative").asBoolean());
                    Matcher c = Pattern.compile("\\((\\S+?)(?:; median (\\S+))?\\)").matcher(cell);
                    assertThat(c.find()).as(where).isTrue();
                    agrees(soft, where + " max relative error", c.group(1), m.get("maxRelError").asDouble());
                    if (c.group(2) != null) {
                        agrees(soft, where + " median relative error", c.group(2), m.get("medianRelError").asDouble());
                    }
                } else if (name.startsWith("Positive")) {
                    agrees(soft, "negative tolerance", find(name, "< −(\\S+)·max", DEMO_DOC),
                            table.get("negativeTolerance").asDouble());
                    verdict(soft, where, cell, m.get("positive").asBoolean());
                    Matcher p = Pattern.compile("\\(([0-9.]+) % of pixels, ([0-9.]+) % of the mass\\)").matcher(cell);
                    if (p.find()) {
                        agrees(soft, where + " negative pixels", p.group(1), 100 * m.get("negativePixels").asDouble());
                        agrees(soft, where + " negative mass", p.group(2), 100 * m.get("negativeFraction").asDouble());
                    } else {
                        soft.assertThat(cell).as(where).isEqualTo("yes");
                    }
                } else if (name.startsWith("Consistent")) {
                    verdict(soft, where, cell, m.get("consistent").asBoolean());
                } else if (name.startsWith("mean ΣR / f(x)")) {
                    agrees(soft, where, cell, m.get("meanRatio").asDouble());
                } else {
                    soft.fail("%s: row '%s' is not checked by this test", DEMO_DOC, name);
                }
            }
        }
        assertThat(rows).isEqualTo(4);
        soft.assertAll();
    }

    static void verdict(SoftAssertions soft, String where, String cell, boolean measured) {
        soft.assertThat(cell).as(where).startsWith(measured ? "yes" : "no");
    }

    @Test
    void theDemoDocsProseQuotesTheDemo() throws IOException {
        String t = prose(DEMO_DOC);
        SoftAssertions soft = new SoftAssertions();
        agrees(soft, "median fitting error of the min-max model",
                find(t, "here that error is a median ([0-9.]+) % per pair", DEMO_DOC),
                100 * method("minmax").get("medianRelError").asDouble());
        agrees(soft, "max relative error of training-free DTD",
                find(t, "The ([0-9.]+·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+) of training-free DTD is the library's default stabilizer", DEMO_DOC),
                method("dtd").get("maxRelError").asDouble());
        soft.assertAll();
    }

    /** The accuracies the demo's page quotes: of the shipped weights' provenance, and on the shipped sample. */
    @Test
    void theDemoDocsAccuraciesAreTheShippedOnes() throws IOException {
        String t = prose(DEMO_DOC);
        Matcher m = Pattern.compile("on ([0-9,]+) pairs: ([0-9.]+) % \\(training digits\\), ([0-9.]+) % \\(held-out digits\\);"
                + " ([0-9.]+) % on the (\\d+) shipped pairs").matcher(t);
        assertThat(m.find()).as("%s: the sentence with the accuracies", DEMO_DOC).isTrue();
        JsonNode weights;
        try (InputStream in = DocumentedFiguresTest.class.getResourceAsStream(PaperDemo.RES + "paper-mnist.json")) {
            weights = JSON.readTree(in);
        }
        MnistPairs.Batch sample = PaperDemo.shippedSample();
        SoftAssertions soft = new SoftAssertions();
        agrees(soft, "pairs the accuracy is measured on", m.group(1), weights.get("evalPairs").asInt());
        agrees(soft, "accuracy on pairs of training digits", m.group(2), 100 * weights.get("trainAccuracy").asDouble());
        agrees(soft, "accuracy on pairs of held-out digits", m.group(3), 100 * weights.get("testAccuracy").asDouble());
        agrees(soft, "accuracy on the shipped pairs", m.group(4), 100 * PairNetTrainer.accuracy(PaperDemo.shippedNet(), sample));
        agrees(soft, "shipped pairs", m.group(5), sample.size());
        soft.assertAll();
    }
}
