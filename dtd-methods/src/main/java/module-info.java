/** Every explanation method of dtd4j on one interface, {@link io.github.dtd4j.methods.Attribution}. */
module io.github.dtd4j.methods {
    requires transitive io.github.dtd4j.core;
    requires transitive io.github.dtd4j.rules;

    exports io.github.dtd4j.methods;
}
