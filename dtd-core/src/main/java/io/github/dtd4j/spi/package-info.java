/**
 * The service-provider interface for propagation rules: {@link io.github.dtd4j.spi.Rule}, the view of a linear
 * layer a rule works on ({@link io.github.dtd4j.spi.LinearLayer}) and the per-call context
 * ({@link io.github.dtd4j.spi.RuleContext}). The library's own rules (module {@code dtd-rules}) use nothing else,
 * so a user's rule can do anything they do.
 */
package io.github.dtd4j.spi;
