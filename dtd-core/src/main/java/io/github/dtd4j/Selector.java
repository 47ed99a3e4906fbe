package io.github.dtd4j;

import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Layer;
import java.util.List;
import java.util.Set;

/**
 * Chooses the layers a rule applies to. When several selectors match a layer the most specific wins
 * ({@link Name} over {@link First} over {@link Type} over {@link All}); among equally specific ones, the one added
 * last.
 */
public sealed interface Selector {

    /** {@return how specific the selector is; higher wins} */
    int specificity();

    /** {@return every layer that takes a rule (Dense, Conv2d, and BatchNorm in affine mode)} */
    static Selector all() {
        return new All();
    }

    /** {@return every layer of one kind} @param kind e.g. {@code Conv2d.class} */
    static Selector type(Class<? extends Layer> kind) {
        return new Type(kind);
    }

    /** {@return every Dense layer} */
    static Selector dense() {
        return new Type(Dense.class);
    }

    /** {@return every Conv2d layer} */
    static Selector conv() {
        return new Type(Conv2d.class);
    }

    /** {@return the layers with these node names; unknown names are an error when the explainer is built} */
    static Selector name(String... names) {
        return new Name(Set.of(names));
    }

    /**
     * {@return the first linear layer(s) met from the input: those with no other linear layer between them and
     * the input}
     */
    static Selector first() {
        return new First();
    }

    /** Every rule-taking layer. */
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

    /** Layers of one kind. @param kind the layer record class */
    record Type(Class<? extends Layer> kind) implements Selector {
        /** Requires a kind. */
        public Type {
            if (kind != Dense.class && kind != Conv2d.class && kind != io.github.dtd4j.graph.BatchNorm.class) {
                throw new ConfigurationException("a type selector picks Dense, Conv2d or BatchNorm layers (the ones that "
                        + "take a rule), got " + (kind == null ? "null" : kind.getSimpleName()));
            }
        }

        @Override
        public int specificity() {
            return 1;
        }

        @Override
        public String toString() {
            return "type " + kind.getSimpleName();
        }
    }

    /** The first linear layers met from the input. */
    record First() implements Selector {
        @Override
        public int specificity() {
            return 2;
        }

        @Override
        public String toString() {
            return "first";
        }
    }

    /** Layers by node name. @param names the names */
    record Name(Set<String> names) implements Selector {
        /** Requires at least one name. */
        public Name {
            if (names == null || names.isEmpty()) {
                throw new ConfigurationException("a name selector needs at least one node name");
            }
            names = Set.copyOf(names);
        }

        @Override
        public int specificity() {
            return 3;
        }

        @Override
        public String toString() {
            return "name " + List.copyOf(new java.util.TreeSet<>(names));
        }
    }
}
