/**
 * The propagation rules of Deep Taylor Decomposition and LRP (z⁺, z^B, w², ε, αβ, flat, γ) and the presets that
 * compose them, built only on {@code io.github.dtd4j.spi}. Each rule's class javadoc gives its formula and when to
 * use it.
 */
package io.github.dtd4j.rules;
