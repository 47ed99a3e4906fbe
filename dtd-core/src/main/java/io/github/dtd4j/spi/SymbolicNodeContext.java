package io.github.dtd4j.spi;

import java.util.List;

/**
 * What a {@link Rule} sees when it is compiled into an ONNX graph: {@link NodeContext} on symbols (the node's
 * inputs, output and the relevance at its output are tensors of the graph).
 */
public interface SymbolicNodeContext {
    /** {@return the node: its layer, inputs' and output's shapes} */
    NodeInfo node();

    /** {@return the operators} */
    OnnxOps ops();

    /** {@return the node's inputs, batch first} */
    List<Symbol> inputs();

    /** {@return the node's output} */
    Symbol output();

    /** {@return the relevance at the node's output} */
    Symbol relevance();
}
