package io.github.dtd4j.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The ONNX fixtures that make_fixtures.py wrote under src/test/resources/onnx. */
final class Fixtures {
    private Fixtures() {
    }

    static Path dir() {
        URL url = Fixtures.class.getResource("/onnx/mlp_op13.onnx");
        if (url == null) {
            throw new IllegalStateException("fixtures missing: run dtd-onnx/src/test/fixtures/make_fixtures.py");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path path(String name) {
        return dir().resolve(name + ".onnx");
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return every fixture's name (file name without .onnx), sorted} */
    static List<String> names() {
        try (Stream<Path> s = Files.list(dir())) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".onnx"))
                    .map(f -> f.substring(0, f.length() - 5)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
