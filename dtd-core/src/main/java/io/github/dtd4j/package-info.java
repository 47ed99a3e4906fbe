/**
 * dtd4j's entry point: {@link io.github.dtd4j.Explainer} turns a {@link io.github.dtd4j.graph.Graph} and rules
 * into {@link io.github.dtd4j.Explanation}s — input relevance, logits and a balancing {@link io.github.dtd4j.Ledger}.
 */
package io.github.dtd4j;
