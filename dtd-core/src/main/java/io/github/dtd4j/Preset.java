package io.github.dtd4j;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.spi.Rule;
import java.util.List;

/**
 * A named, ordered list of rule assignments: which rule goes to which layers. Presets are data, so a user can
 * print, compare and extend them.
 *
 * @param name        e.g. "dtd"
 * @param assignments in order; see {@link Selector} for precedence
 */
public record Preset(String name, List<Assignment> assignments) {
    /** Copies the list. */
    public Preset {
        if (name == null || name.isBlank()) {
            throw new ConfigurationException("a preset needs a name");
        }
        if (assignments == null || assignments.stream().anyMatch(java.util.Objects::isNull)) {
            throw new ConfigurationException("preset " + name + ": the assignments are null or hold a null");
        }
        assignments = List.copyOf(assignments);
    }

    /** {@return a preset} @param name name @param assignments assignments */
    public static Preset of(String name, Assignment... assignments) {
        return new Preset(name, assignments == null ? null : java.util.Arrays.asList(assignments));
    }

    /**
     * One assignment of a rule to the layers a selector picks.
     *
     * @param selector which layers
     * @param rule     which rule
     */
    public record Assignment(Selector selector, Rule rule) {
        /** Requires both parts. */
        public Assignment {
            if (selector == null || rule == null) {
                throw new ConfigurationException("an assignment needs a selector and a rule, got " + selector + ", "
                        + rule);
            }
        }

        /** {@return an assignment} @param selector which layers @param rule which rule */
        public static Assignment of(Selector selector, Rule rule) {
            return new Assignment(selector, rule);
        }

        @Override
        public String toString() {
            return selector + " -> " + rule.name();
        }
    }
}
