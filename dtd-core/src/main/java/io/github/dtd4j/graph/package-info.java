/**
 * The layer graph: an immutable DAG of named {@link io.github.dtd4j.graph.Node}s whose layers are records
 * ({@link io.github.dtd4j.graph.Dense}, {@link io.github.dtd4j.graph.Conv2d}, ...), built by hand with
 * {@link io.github.dtd4j.graph.Graph#sequential(long...)} or {@link io.github.dtd4j.graph.Graph#builder}, or by an
 * importer; and {@link io.github.dtd4j.graph.Rewrites}, pure functions from graph to graph.
 */
package io.github.dtd4j.graph;
