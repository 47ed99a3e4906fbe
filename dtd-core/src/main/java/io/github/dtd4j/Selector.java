package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.spi.NodeInfo;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Chooses the nodes a rule applies to. A selector applies to a node only if it matches the node and the rule
 * accepts the node's kind ({@link io.github.dtd4j.spi.Rule#accepts}); so {@code rule(Rules.Z_PLUS)} reaches every
 * Dense and Conv2d node and no ReLU.
 *
 * <p>Precedence, when several assignments apply to a node: the most specific selector wins, in this order (highest
 * first): {@link Name} (4), {@link First} (3), {@link NamePattern}, {@link Range} and {@link Where} (2),
 * {@link Kind} (1), {@link All} (0); among equally specific ones, the one added last. Below them all come the
 * defaults of the nodes without weights ({@link Propagations}). See docs/conventions.md#selectors.
 */
public sealed interface Selector {

    /** {@return how specific the selector is; higher wins} */
    int specificity();

    /** {@return every node whose kind the rule accepts} */
    static Selector all() {
        return new All();
    }

    /** {@return every node of these kinds} @param kinds layer record classes, e.g. {@code Conv2d.class} */
    @SafeVarargs
    static Selector kind(Class<? extends Layer>... kinds) {
        return new Kind(kinds == null ? null : new java.util.HashSet<>(java.util.Arrays.asList(kinds)));
    }

    /** {@return every Dense node} */
    static Selector dense() {
        return kind(Dense.class);
    }

    /** {@return every Conv2d node} */
    static Selector conv() {
        return kind(Conv2d.class);
    }

    /** {@return the nodes with these names; unknown names are an error when the explainer is compiled} */
    static Selector name(String... names) {
        return new Name(names == null ? null : new java.util.HashSet<>(java.util.Arrays.asList(names)));
    }

    /** {@return the nodes whose name matches a regular expression (whole name)} @param regex e.g. "layer4\\..*" */
    static Selector namePattern(String regex) {
        if (regex == null) {
            throw new ConfigurationException("a name pattern selector needs a regular expression");
        }
        try {
            return new NamePattern(Pattern.compile(regex));
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new ConfigurationException("name pattern selector: " + e.getDescription() + " in '" + regex + "'", e);
        }
    }

    /**
     * {@return the first linear nodes met from the input: Dense/Conv2d nodes (and affine BatchNorms) that some path
     * from the input reaches without passing another linear node}
     */
    static Selector first() {
        return new First();
    }

    /**
     * {@return the nodes from {@code from} to {@code to}, both included: every node that depends on {@code from}
     * and that {@code to} depends on}
     *
     * @param from a node name (or the graph's input name)
     * @param to   a node name downstream of it
     */
    static Selector range(String from, String to) {
        return new Range(from, to);
    }

    /**
     * {@return the nodes for which a predicate holds}: by kind, name, position, input or output shape, anything
     * {@link NodeInfo} tells
     *
     * @param description what it selects, for the coverage report, e.g. "convolutions on 56×56 maps"
     * @param predicate   the test
     */
    static Selector where(String description, Predicate<NodeInfo> predicate) {
        return new Where(description, predicate);
    }

    /** Every node whose kind the rule accepts. */
    record All() implements Selector {
        @Override
        public int specificity() {
            return 0;
        }

        @Override
        public String toString() {
            return "all";
        }
    }

    /** Nodes of some kinds. @param kinds the layer classes (a node matches if its layer is an instance of one) */
    record Kind(Set<Class<? extends Layer>> kinds) implements Selector {
        /** Requires at least one kind. */
        public Kind {
            if (kinds == null || kinds.isEmpty() || kinds.stream().anyMatch(Objects::isNull)) {
                throw new ConfigurationException("a kind selector needs at least one layer kind");
            }
            kinds = Set.copyOf(kinds);
        }

        /** {@return whether a layer is of one of the kinds} @param layer a layer */
        public boolean matches(Layer layer) {
            return kinds.stream().anyMatch(k -> k.isInstance(layer));
        }

        @Override
        public int specificity() {
            return 1;
        }

        @Override
        public String toString() {
            TreeSet<String> names = new TreeSet<>();
            kinds.forEach(k -> names.add(k.getSimpleName()));
            return "kind " + String.join("|", names);
        }
    }

    /** The first linear nodes met from the input. */
    record First() implements Selector {
        @Override
        public int specificity() {
            return 3;
        }

        @Override
        public String toString() {
            return "first";
        }
    }

    /** Nodes by name. @param names the names */
    record Name(Set<String> names) implements Selector {
        /** Requires at least one name. */
        public Name {
            if (names == null || names.isEmpty() || names.stream().anyMatch(Objects::isNull)) {
                throw new ConfigurationException("a name selector needs at least one node name, and no null");
            }
            names = Set.copyOf(names);
        }

        @Override
        public int specificity() {
            return 4;
        }

        @Override
        public String toString() {
            return "name " + List.copyOf(new TreeSet<>(names));
        }
    }

    /** Nodes whose whole name matches a pattern. @param pattern the pattern */
    record NamePattern(Pattern pattern) implements Selector {
        /** Requires a pattern. */
        public NamePattern {
            if (pattern == null) {
                throw new ConfigurationException("a name pattern selector needs a pattern");
            }
        }

        @Override
        public int specificity() {
            return 2;
        }

        @Override
        public String toString() {
            return "name pattern /" + pattern.pattern() + "/";
        }
    }

    /** Nodes between two nodes, both included. @param from first node @param to last node */
    record Range(String from, String to) implements Selector {
        /** Requires both ends. */
        public Range {
            if (from == null || to == null) {
                throw new ConfigurationException("a range selector needs two node names, got " + from + ", " + to);
            }
        }

        @Override
        public int specificity() {
            return 2;
        }

        @Override
        public String toString() {
            return "range " + from + ".." + to;
        }
    }

    /** Nodes for which a predicate holds. @param description for reports @param predicate the test */
    record Where(String description, Predicate<NodeInfo> predicate) implements Selector {
        /** Requires both parts. */
        public Where {
            if (description == null || predicate == null) {
                throw new ConfigurationException("a predicate selector needs a description and a predicate");
            }
        }

        @Override
        public int specificity() {
            return 2;
        }

        @Override
        public String toString() {
            return "where " + description;
        }
    }
}
