/**
 * The service-provider interface for propagation rules. A {@link io.github.dtd4j.spi.Rule} says how relevance
 * passes through one node, given its {@link io.github.dtd4j.spi.NodeContext}; a
 * {@link io.github.dtd4j.spi.LinearRule} is the special case for layers with weights, written against the layer's
 * {@link io.github.dtd4j.spi.LinearLayer} view and its {@link io.github.dtd4j.spi.RuleContext}. The library's own
 * rules (module {@code dtd-rules}, and the default propagations of {@code io.github.dtd4j.Propagations}) use
 * nothing else, so a user's rule can do anything they do.
 */
package io.github.dtd4j.spi;
