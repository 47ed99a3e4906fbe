/** Measures of explanation quality for any {@link io.github.dtd4j.methods.Attribution}. */
module io.github.dtd4j.eval {
    requires transitive io.github.dtd4j.methods;

    exports io.github.dtd4j.eval;
}
