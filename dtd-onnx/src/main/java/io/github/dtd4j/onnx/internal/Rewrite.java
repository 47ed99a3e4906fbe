package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.List;

/**
 * A fusion over the {@link IrGraph}: it sees every node a converter emits before the node enters the graph, and may
 * replace it, fold it into a node already there, or fold a pending input into it. Converters know nothing of
 * fusions; they emit what their ONNX node means ({@code Conv} reading a {@code Pad}, {@code Add} of a constant).
 *
 * <p>The rewrites run as an incremental pass, node by node in the model's order, rather than after the whole model
 * is converted: a fusion that cannot be made is reported for the ONNX node that needed it, and the nodes that read
 * its output are skipped, exactly like any other unsupported node. A rewrite that does not apply returns null and
 * the next one is asked; the importer's list is {@link OnnxImport#REWRITES}.
 */
interface Rewrite {
    /**
     * Offers a layer node about to be added.
     *
     * @param ctx    the conversion of the ONNX node that emits it
     * @param name   the name taken for it
     * @param layer  the layer
     * @param inputs the nodes it reads
     * @return the node that now stands for its output, or null if this rewrite does not apply
     */
    default Act rewriteLayer(ConversionContext ctx, String name, Layer layer, List<IrNode> inputs) {
        return null;
    }

    /**
     * Offers a pending operation.
     *
     * @param ctx   the conversion of the ONNX node that emits it
     * @param op    the operation
     * @param input the node it reads
     * @return the node that now stands for its result, or null if this rewrite does not apply
     */
    default Act rewritePending(ConversionContext ctx, PendingOp op, IrNode input) {
        return null;
    }
}
