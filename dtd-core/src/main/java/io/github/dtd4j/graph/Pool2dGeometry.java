package io.github.dtd4j.graph;

/** Output-size arithmetic shared by the 2-D pooling layers. */
final class Pool2dGeometry {
    private Pool2dGeometry() {
    }

    static Shape output(String node, Layer layer, Shape in, int kh, int kw, int sh, int sw, int pt, int pl, int pb,
                        int pr) {
        if (in.rank() != 3) {
            throw Layer.mismatch(node, layer, "[N,C,H,W]", in);
        }
        if (pt >= kh || pb >= kh || pl >= kw || pr >= kw) {
            throw Layer.invalid(node, layer, "padding must be smaller than the kernel " + kh + "x" + kw);
        }
        long oh = Math.floorDiv(in.dim(1) + pt + pb - kh, sh) + 1;
        long ow = Math.floorDiv(in.dim(2) + pl + pr - kw, sw) + 1;
        if (oh <= 0 || ow <= 0) {
            throw Layer.invalid(node, layer, "kernel " + kh + "x" + kw + " does not fit input " + in.toBatchString());
        }
        return Shape.of(in.dim(0), oh, ow);
    }
}
