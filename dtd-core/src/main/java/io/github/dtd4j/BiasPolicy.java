package io.github.dtd4j;

/** How rules treat biases in their denominators. The forward pass always keeps the bias. */
public enum BiasPolicy {
    /** Each rule's own treatment (docs/conventions.md#bias-policy): ε full bias, z⁺ max(0,b), αβ split, z^B cancels, w²/flat none. */
    RULE_DEFAULT,
    /** Biases are left out of every denominator. */
    IGNORE
}
