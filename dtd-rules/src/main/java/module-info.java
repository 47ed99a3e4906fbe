/** The propagation rules (z⁺, z^B, w², ε, αβ, flat, γ) and presets, built only on dtd-core's public SPI. */
module io.github.dtd4j.rules {
    requires transitive io.github.dtd4j.core;

    exports io.github.dtd4j.rules;
}
