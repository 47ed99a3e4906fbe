package io.github.dtd4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java example in the README, the docs, the user-facing module READMEs and the javadoc of the library
 * modules appears in {@link Snippets}, which compiles: so no published example uses an API that does not exist.
 */
class SnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final List<String> LIBRARIES = List.of("dtd-core", "dtd-spark", "dtd-rules", "dtd-onnx", "dtd-dl4j",
            "dtd-models", "dtd-viz", "dtd-paper", "dtd-methods", "dtd-eval", "dtd-ort");

    /** White space folded, so that indentation and line breaks do not matter. */
    private static String fold(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }

    private static List<String> markdownExamples(Path md) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(md));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<String> javadocExamples(Path java) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<pre>\\{@code\\n(.*?)}</pre>", Pattern.DOTALL).matcher(Files.readString(java));
        while (m.find()) {
            StringBuilder sb = new StringBuilder();
            for (String line : m.group(1).split("\n")) {
                sb.append(line.replaceFirst("^\\s*\\* ?", "")).append('\n');
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void everyPublishedJavaExampleCompilesAsPartOfSnippets() throws IOException {
        String compiled = fold(Files.readString(ROOT.resolve(
                "dtd-examples/src/test/java/io/github/dtd4j/examples/Snippets.java")));
        List<Path> docs = new ArrayList<>();
        docs.add(ROOT.resolve("README.md"));
        docs.addAll(files(ROOT.resolve("docs"), ".md"));
        docs.add(ROOT.resolve("dtd-dl4j/README.md"));
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Path md : docs) {
            for (String ex : markdownExamples(md)) {
                checked++;
                if (!compiled.contains(fold(ex))) {
                    missing.add(ROOT.relativize(md) + ":\n" + ex);
                }
            }
        }
        for (String module : LIBRARIES) {
            for (Path java : files(ROOT.resolve(module).resolve("src/main/java"), ".java")) {
                for (String ex : javadocExamples(java)) {
                    checked++;
                    if (!compiled.contains(fold(ex))) {
                        missing.add(ROOT.relativize(java) + ":\n" + ex);
                    }
                }
            }
        }
        assertThat(checked).as("examples found").isGreaterThan(20);
        assertThat(missing).as("examples that are not in Snippets.java, so nothing shows they compile").isEmpty();
    }
}
