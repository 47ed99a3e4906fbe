package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/** {@code LRN} of odd size over {@code [N,C,H,W]} → {@link LocalResponseNorm}. */
final class LrnConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.image(0);
        long size = ctx.attrs().required("size");
        if (size < 1 || size > Geometry.MAX) {
            throw ctx.invalid("size " + size + " is not a positive window");
        }
        if (size % 2 == 0) {
            throw new NotSupported("LRN with an even size " + size + " (ONNX and PyTorch centre even windows "
                    + "differently; odd sizes only)");
        }
        double alpha = ctx.attrs().f("alpha", 1e-4);
        double beta = ctx.attrs().f("beta", 0.75);
        double bias = ctx.attrs().f("bias", 1.0);
        ctx.emit(new LocalResponseNorm((int) size, alpha, beta, bias), x);
    }
}
