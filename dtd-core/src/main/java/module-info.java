/**
 * dtd4j's core: the layer graph, the forward pass, the rule SPI, the propagation engine, the ledger and the
 * {@link io.github.dtd4j.Explainer}. The package {@code io.github.dtd4j.internal} (numerical kernels) is not
 * exported.
 */
module io.github.dtd4j.core {
    requires transitive nd4j.api;
    requires transitive nd4j.common;
    requires org.bytedeco.javacpp;
    requires protobuf;

    exports io.github.dtd4j;
    exports io.github.dtd4j.errors;
    exports io.github.dtd4j.graph;
    exports io.github.dtd4j.io;
    exports io.github.dtd4j.spi;

    uses io.github.dtd4j.spi.CompiledRuntime;
}
