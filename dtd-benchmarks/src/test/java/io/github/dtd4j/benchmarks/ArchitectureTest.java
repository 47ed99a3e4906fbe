package io.github.dtd4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module walls and the package layering, read from the compiled classes of every module (the last module of the
 * build, so all of them are compiled): no class outside a module refers to that module's {@code internal}
 * packages (the library modules' module-info enforces this for modules; this also covers the applications, which
 * run on the class path), and no two packages of dtd4j depend on each other in a cycle.
 */
class ArchitectureTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final List<String> MODULES = List.of("dtd-core", "dtd-rules", "dtd-onnx", "dtd-dl4j", "dtd-models",
            "dtd-viz", "dtd-paper", "dtd-methods", "dtd-eval", "dtd-cli", "dtd-examples", "dtd-benchmarks");
    private static final Pattern REF = Pattern.compile("io/github/dtd4j/([A-Za-z0-9_/$]+)/[A-Za-z0-9_$]+");

    /** One package's references: module → package → packages it refers to. */
    private static Map<String, Map<String, Set<String>>> references(String classesDir) throws IOException {
        Map<String, Map<String, Set<String>>> out = new TreeMap<>();
        for (String module : MODULES) {
            Path dir = ROOT.resolve(module).resolve(classesDir);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            Map<String, Set<String>> pkgs = out.computeIfAbsent(module, k -> new TreeMap<>());
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".class")
                        && !p.getFileName().toString().equals("module-info.class")).toList()) {
                    String rel = dir.relativize(f).toString().replace('\\', '/');
                    String pkg = rel.substring(0, rel.lastIndexOf('/')).replace('/', '.');
                    Set<String> refs = pkgs.computeIfAbsent(pkg, k -> new TreeSet<>());
                    for (String u : utf8(f)) {
                        Matcher m = REF.matcher(u);
                        while (m.find()) {
                            refs.add("io.github.dtd4j." + m.group(1).replace('/', '.'));
                        }
                    }
                    refs.remove(pkg);
                }
            }
        }
        return out;
    }

    /** {@return the UTF-8 constants of a class file: class names, descriptors, signatures} */
    private static List<String> utf8(Path classFile) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(classFile); DataInputStream d = new DataInputStream(in)) {
            d.readInt();
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1 -> out.add(d.readUTF());
                    case 3, 4 -> d.readInt();
                    case 5, 6 -> {
                        d.readLong();
                        i++;
                    }
                    case 7, 8, 16, 19, 20 -> d.readUnsignedShort();
                    case 9, 10, 11, 12, 17, 18 -> d.readInt();
                    case 15 -> {
                        d.readUnsignedByte();
                        d.readUnsignedShort();
                    }
                    default -> throw new IOException(classFile + ": constant pool tag " + tag);
                }
            }
        }
        return out;
    }

    private static boolean internal(String pkg) {
        return pkg.endsWith(".internal") || pkg.contains(".internal.");
    }

    @Test
    void noModuleReadsAnotherModulesInternals() throws IOException {
        for (String dir : List.of("target/classes", "target/test-classes")) {
            Map<String, Map<String, Set<String>>> refs = references(dir);
            Map<String, String> owner = new TreeMap<>();
            references("target/classes").forEach((module, pkgs) -> pkgs.keySet().forEach(p -> owner.put(p, module)));
            List<String> violations = new ArrayList<>();
            refs.forEach((module, pkgs) -> pkgs.forEach((pkg, targets) -> targets.stream()
                    .filter(ArchitectureTest::internal)
                    .filter(t -> !module.equals(owner.get(t)))
                    .forEach(t -> violations.add(module + "/" + dir + ": " + pkg + " -> " + t))));
            assertThat(owner).as("the modules' classes were found").containsKey("io.github.dtd4j.internal");
            assertThat(violations).as("references to another module's internal packages").isEmpty();
        }
    }

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        references("target/classes").values().forEach(pkgs -> pkgs.forEach((p, t) ->
                graph.computeIfAbsent(p, k -> new TreeSet<>()).addAll(t)));
        List<String> cycles = new ArrayList<>();
        for (String a : graph.keySet()) {
            for (String b : graph.get(a)) {
                if (a.compareTo(b) < 0 && reaches(graph, b, a)) {
                    cycles.add(a + " <-> " + b);
                }
            }
        }
        assertThat(graph).as("packages found").hasSizeGreaterThan(10);
        assertThat(cycles).as("pairs of packages that depend on each other").isEmpty();
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String to) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            String p = todo.remove(todo.size() - 1);
            if (p.equals(to)) {
                return true;
            }
            if (seen.add(p)) {
                todo.addAll(graph.getOrDefault(p, Set.of()));
            }
        }
        return false;
    }
}
