package io.github.dtd4j.dl4j;

import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Turns a DL4J network, described as a list of {@link Source}s in topological order, into a {@link Graph}.
 *
 * <p>One pass over the sources. A layer whose configuration is unsupported is recorded and skipped; the layers
 * that read it are still checked for configuration problems, so that one {@link UnsupportedModelException} lists
 * every unsupported part. Problems that depend on shapes (global max pooling over more than one pixel, zero
 * padding that cannot be folded) are found for the layers whose inputs could be converted.
 *
 * <p>Our graph is always channels-first. A DL4J network in NHWC layout is converted to the equivalent NCHW graph;
 * the only places where the layout shows are flattening (DL4J flattens NHWC activations in H,W,C order, so the
 * following dense layer's weight rows are reordered to C,H,W) and axes of merges and global pooling.
 */
final class Converter {
    /** How DL4J lays out the activations that one of our nodes holds (ours are always C,H,W). */
    enum Layout { FLAT, NCHW, NHWC }

    /**
     * One DL4J layer or vertex.
     *
     * @param dl4jName the name other sources use to read it
     * @param nodeName the name of our node that computes it
     * @param inputs   the DL4J names it reads
     * @param conf     a DL4J layer configuration or graph vertex configuration
     * @param pre      the input preprocessor DL4J applies before it, or null
     * @param params   its parameters (DL4J views: copied, never modified)
     */
    record Source(String dl4jName, String nodeName, List<String> inputs, Object conf, InputPreProcessor pre,
                  Map<String, INDArray> params) {
    }

    /** Zero padding that a ZeroPaddingLayer asked for and that the next convolution or pooling will absorb. */
    private record Pad(String dl4jName, int top, int bottom, int left, int right) {
        Pad plus(Pad o) {
            return new Pad(o.dl4jName + "+" + dl4jName, top + o.top, bottom + o.bottom, left + o.left, right + o.right);
        }
    }

    /**
     * What a DL4J source's output became.
     *
     * @param node   our node holding it (for a pending pad: the node the padding applies to)
     * @param layout DL4J's layout of those activations
     * @param pad    zero padding still to apply, or null
     * @param hwc    for a vector that DL4J flattened in H,W,C order: {h,w,c}; else null
     */
    private record Out(String node, Layout layout, Pad pad, long[] hwc) {
        Out(String node, Layout layout) {
            this(node, layout, null, null);
        }
    }

    /** A shape-dependent reason why a source cannot be converted; never leaves this class. */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    private final String source;
    private final String inputName;
    private final Layout inputLayout;
    private final List<Source> sources;
    private final String outputName;
    private final GraphBuilder builder;
    private final Map<String, Out> outs = new HashMap<>();
    private final Map<String, Layer> layers = new HashMap<>();
    private final Map<String, Integer> consumers = new HashMap<>();
    private final Set<String> dl4jNames = new HashSet<>();
    private final List<UnsupportedModelException.Part> problems = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final List<String> rewritten = new ArrayList<>();

    /**
     * @param source      what is converted, for messages and provenance
     * @param inputName   the DL4J input's name
     * @param inputShape  the per-sample input shape, channels first
     * @param sources     the layers and vertices in topological order
     * @param outputName  the DL4J name of the network's output
     */
    Converter(String source, String inputName, Shape inputShape, List<Source> sources, String outputName) {
        this.source = source;
        this.inputName = inputName;
        this.sources = sources;
        this.outputName = outputName;
        this.inputLayout = inputShape.rank() == 1 ? Layout.FLAT : imageLayout(sources);
        this.builder = Graph.builder(inputName, inputShape);
        dl4jNames.add(inputName);
        for (Source s : sources) {
            dl4jNames.add(s.nodeName());
            for (String i : s.inputs()) {
                consumers.merge(i, 1, Integer::sum);
            }
        }
    }

    /** {@return the layout of the first layer or preprocessor that declares one, NCHW if none does} */
    private static Layout imageLayout(List<Source> sources) {
        for (Source s : sources) {
            CNN2DFormat f = null;
            Object c = unwrap(s.conf());
            if (s.pre() instanceof CnnToFeedForwardPreProcessor cf) {
                f = cf.getFormat();
            } else if (c instanceof ConvolutionLayer cl) {
                f = cl.getCnn2dDataFormat();
            } else if (c instanceof SubsamplingLayer sl) {
                f = sl.getCnn2dDataFormat();
            } else if (c instanceof ZeroPaddingLayer zp) {
                f = zp.getDataFormat();
            }
            if (f != null) {
                return f == CNN2DFormat.NHWC ? Layout.NHWC : Layout.NCHW;
            }
        }
        return Layout.NCHW;
    }

    /** {@return the layer a FrozenLayer wraps; any other configuration as it is} */
    static Object unwrap(Object conf) {
        if (conf instanceof FrozenLayer f) {
            return unwrap(f.getLayer());
        } else if (conf instanceof FrozenLayerWithBackprop f) {
            return unwrap(f.getUnderlying());
        }
        return conf;
    }

    /** {@return the graph} @throws UnsupportedModelException listing every part that cannot be converted */
    Graph convert() {
        outs.put(inputName, new Out(inputName, inputLayout));
        for (Source s : sources) {
            List<String> reasons = configurationProblems(s);
            if (!reasons.isEmpty()) {
                reasons.forEach(r -> problem(s, r));
                continue;
            }
            List<Out> ins = new ArrayList<>();
            for (String i : s.inputs()) {
                Out o = outs.get(i);
                if (o == null) {
                    break;
                }
                ins.add(o);
            }
            if (ins.size() < s.inputs().size()) {
                continue; // reads an unsupported part: already reported
            }
            try {
                outs.put(s.dl4jName(), build(s, ins));
            } catch (Unsupported u) {
                problem(s, u.getMessage());
            }
        }
        Out out = outs.get(outputName);
        if (problems.isEmpty() && out != null && out.pad() != null) {
            problems.add(new UnsupportedModelException.Part(outputName, "ZeroPaddingLayer",
                    "zero padding as the network's output cannot be folded into a following layer"));
        }
        if (problems.isEmpty() && out != null && out.node().equals(inputName)) {
            problems.add(new UnsupportedModelException.Part(outputName, "output",
                    "the network's output is its input: there is no layer to explain"));
        }
        if (!problems.isEmpty()) {
            throw new UnsupportedModelException(source, problems);
        }
        builder.output(out.node());
        builder.provenance("source", source);
        if (inputLayout == Layout.NHWC) {
            builder.provenance("input layout", "the DL4J network reads NHWC [N,H,W,C]; this graph reads NCHW "
                    + "[N,C,H,W]: pass x.permute(0,3,1,2)");
        }
        removed.forEach(r -> builder.provenance("removed", r));
        rewritten.forEach(r -> builder.provenance("rewritten", r));
        return builder.build();
    }

    private void problem(Source s, String detail) {
        problems.add(new UnsupportedModelException.Part(s.dl4jName(), typeName(s.conf()), detail));
    }

    private static String typeName(Object conf) {
        Object c = unwrap(conf);
        return c == null ? "null" : c.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checks that need only the configuration

    private List<String> configurationProblems(Source s) {
        List<String> out = new ArrayList<>();
        Object c = unwrap(s.conf());
        boolean isOutput = s.dl4jName().equals(outputName);
        String pre = preprocessorProblem(s.pre());
        if (pre != null) {
            out.add(pre);
        }
        if (c instanceof GraphVertex v) {
            if (v instanceof ElementWiseVertex e) {
                if (e.getOp() != ElementWiseVertex.Op.Add) {
                    out.add("element-wise " + e.getOp() + " is not supported (only Add)");
                }
            } else if (v instanceof PreprocessorVertex p) {
                String p2 = preprocessorProblem(p.getPreProcessor());
                if (p2 != null) {
                    out.add(p2);
                }
            } else if (!(v instanceof MergeVertex)) {
                out.add("vertex type not supported (supported: layers, ElementWiseVertex Add, MergeVertex, "
                        + "PreprocessorVertex)");
            }
            return out;
        }
        if (s.inputs().size() != 1) {
            out.add("a layer reading " + s.inputs().size() + " inputs " + s.inputs() + " is not supported");
        }
        if (c.getClass() == DenseLayer.class) {
            if (((DenseLayer) c).hasLayerNorm()) {
                out.add("layer normalisation is not supported");
            }
            addActivationProblem(out, ((DenseLayer) c).getActivationFn(), isOutput);
        } else if (c.getClass() == OutputLayer.class) {
            addActivationProblem(out, ((OutputLayer) c).getActivationFn(), isOutput);
        } else if (c.getClass() == LossLayer.class) {
            addActivationProblem(out, ((LossLayer) c).getActivationFn(), isOutput);
        } else if (c.getClass() == ActivationLayer.class) {
            addActivationProblem(out, ((ActivationLayer) c).getActivationFn(), isOutput);
        } else if (c.getClass() == ConvolutionLayer.class) {
            ConvolutionLayer cl = (ConvolutionLayer) c;
            addActivationProblem(out, cl.getActivationFn(), isOutput);
            if (cl.getConvolutionMode() == ConvolutionMode.Causal) {
                out.add("ConvolutionMode.Causal is not supported");
            }
        } else if (c.getClass() == SubsamplingLayer.class) {
            SubsamplingLayer sl = (SubsamplingLayer) c;
            if (sl.getPoolingType() != PoolingType.MAX && sl.getPoolingType() != PoolingType.AVG) {
                out.add(sl.getPoolingType() + " pooling is not supported (only MAX and AVG)");
            }
            if (sl.getDilation() != null && (sl.getDilation()[0] != 1 || sl.getDilation()[1] != 1)) {
                out.add("dilated pooling " + Arrays.toString(sl.getDilation()) + " is not supported");
            }
            if (sl.getConvolutionMode() == ConvolutionMode.Causal) {
                out.add("ConvolutionMode.Causal is not supported");
            }
        } else if (c instanceof GlobalPoolingLayer gp) {
            if (gp.getPoolingType() != PoolingType.AVG && gp.getPoolingType() != PoolingType.MAX) {
                out.add("global " + gp.getPoolingType() + " pooling is not supported (only AVG, and MAX over 1x1)");
            }
        } else if (!(c instanceof BatchNormalization || c instanceof ZeroPaddingLayer || c instanceof DropoutLayer)) {
            String act = c instanceof BaseLayer bl && bl.getActivationFn() != null
                    ? " (activation " + bl.getActivationFn() + ")" : "";
            out.add("layer type not supported" + act);
        }
        return out;
    }

    private static String preprocessorProblem(InputPreProcessor p) {
        if (p == null || p instanceof CnnToFeedForwardPreProcessor || p instanceof FeedForwardToCnnPreProcessor) {
            return null;
        }
        return "input preprocessor " + p.getClass().getSimpleName() + " is not supported";
    }

    private static void addActivationProblem(List<String> out, IActivation a, boolean isOutput) {
        if (a == null || a instanceof ActivationIdentity || isPlainRelu(a)) {
            return;
        }
        if (a instanceof ActivationSoftmax) {
            if (!isOutput) {
                out.add("activation softmax is supported only at the network's output (where it is removed)");
            }
            return;
        }
        out.add("activation " + a + " is not supported (only identity, ReLU, and softmax at the output)");
    }

    private static boolean isPlainRelu(IActivation a) {
        if (!(a instanceof ActivationReLU r)) {
            return false;
        }
        return r.getMax() == null && (r.getThreshold() == null || r.getThreshold() == 0.0)
                && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Building

    private Out build(Source s, List<Out> ins) {
        Object c = unwrap(s.conf());
        if (c instanceof GraphVertex v) {
            return vertex(s, v, ins);
        }
        Out in = preprocess(s.nodeName(), s.pre(), ins.get(0), false);
        if (in.pad() != null && !(c instanceof ConvolutionLayer || c instanceof SubsamplingLayer
                || c instanceof ZeroPaddingLayer)) {
            throw new Unsupported("reads zero padding '" + in.pad().dl4jName() + "', which can be folded only into a "
                    + "following ConvolutionLayer or SubsamplingLayer");
        }
        if (in.hwc() != null && !(c instanceof DenseLayer || c instanceof OutputLayer)) {
            throw new Unsupported("reads NHWC activations flattened in H,W,C order; only a DenseLayer or OutputLayer "
                    + "there can be converted (its weight rows are reordered)");
        }
        boolean isOutput = s.dl4jName().equals(outputName);
        if (c instanceof DenseLayer d) {
            return dense(s, in, d.getActivationFn(), isOutput);
        } else if (c instanceof OutputLayer o) {
            return dense(s, in, o.getActivationFn(), isOutput);
        } else if (c instanceof LossLayer l) {
            return activationOnly(s, in, l.getActivationFn());
        } else if (c instanceof ActivationLayer a) {
            return activationOnly(s, in, a.getActivationFn());
        } else if (c instanceof ConvolutionLayer cl) {
            return conv(s, in, cl);
        } else if (c instanceof SubsamplingLayer sl) {
            return pool(s, in, sl);
        } else if (c instanceof GlobalPoolingLayer gp) {
            return globalPool(s, in, gp);
        } else if (c instanceof BatchNormalization bn) {
            return batchNorm(s, in, bn);
        } else if (c instanceof ZeroPaddingLayer zp) {
            return zeroPadding(s, in, zp);
        } else if (c instanceof DropoutLayer d) {
            return add(s.nodeName(), new Dropout(dropRate(d.getIDropout())), in.node(), in.layout());
        }
        throw new IllegalStateException("unchecked layer type " + c.getClass());
    }

    /** {@return {@code base}, or {@code base_2}, {@code base_3}, ... if a DL4J layer already has that name} */
    private String auxName(String base) {
        String name = base;
        for (int i = 2; builder.has(name) || dl4jNames.contains(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    private Out add(String name, Layer layer, String input, Layout layout) {
        builder.add(name, layer, input);
        layers.put(name, layer);
        return new Out(name, layout);
    }

    private Shape shape(String node) {
        return builder.shapeOf(node);
    }

    private INDArray param(Source s, String key) {
        INDArray a = s.params().get(key);
        if (a == null) {
            throw new Dtd4jException("layer '" + s.dl4jName() + "' (" + typeName(s.conf()) + ") has no parameter '"
                    + key + "' (parameters: " + s.params().keySet() + "); was the network initialised with init()?");
        }
        return a;
    }

    /** {@return a copy of a DL4J bias (stored as a row vector [1,n]) as a vector [n], or null if there is none} */
    private static INDArray vector(INDArray a) {
        return a == null ? null : a.dup('c').reshape(a.length());
    }

    private Out dense(Source s, Out in, IActivation act, boolean isOutput) {
        INDArray w = param(s, "W").dup('c');
        if (in.hwc() != null) {
            long h = in.hwc()[0];
            long wd = in.hwc()[1];
            long c = in.hwc()[2];
            // DL4J flattened NHWC activations as (h*W + w)*C + c; our Flatten gives (c*H + h)*W + w.
            w = w.reshape('c', new long[]{h, wd, c, w.size(1)}).permute(2, 0, 1, 3).dup('c')
                    .reshape('c', new long[]{c * h * wd, w.size(1)});
            rewritten.add("'" + s.nodeName() + "': weight rows reordered from DL4J's H,W,C flatten order to C,H,W");
        }
        INDArray b = vector(s.params().get("b"));
        Out out = add(s.nodeName(), Dense.of(w, b), in.node(), Layout.FLAT);
        return activation(s, out, act, isOutput);
    }

    /** Appends the activation after a node: nothing for identity, a Relu node, or a removed final softmax. */
    private Out activation(Source s, Out out, IActivation act, boolean isOutput) {
        if (act == null || act instanceof ActivationIdentity) {
            return out;
        } else if (isPlainRelu(act)) {
            return add(auxName(s.nodeName() + "/relu"), new Relu(), out.node(), out.layout());
        } else if (act instanceof ActivationSoftmax && isOutput) {
            removed.add("softmax of '" + s.dl4jName() + "' (the graph outputs the logits)");
            return out;
        }
        throw new IllegalStateException("unchecked activation " + act);
    }

    private Out activationOnly(Source s, Out in, IActivation act) {
        if (act == null || act instanceof ActivationIdentity) {
            return add(s.nodeName(), new Identity(), in.node(), in.layout());
        } else if (isPlainRelu(act)) {
            return add(s.nodeName(), new Relu(), in.node(), in.layout());
        } else if (act instanceof ActivationSoftmax) {
            removed.add("softmax of '" + s.dl4jName() + "' (the graph outputs the logits)");
            return in;
        }
        throw new IllegalStateException("unchecked activation " + act);
    }

    private void checkImage(Out in, CNN2DFormat format) {
        Shape sh = shape(in.node());
        if (sh.rank() != 3) {
            throw new Unsupported("expects image activations [N,C,H,W], but reads " + sh.toBatchString());
        }
        Layout want = format == CNN2DFormat.NHWC ? Layout.NHWC : Layout.NCHW;
        if (in.layout() != want) {
            throw new Unsupported("uses data format " + format + ", but its input is laid out " + in.layout());
        }
    }

    /** {@return {top, left, bottom, right}} of a DL4J convolution or pooling on an input of height h, width w */
    private static int[] padding(String name, ConvolutionMode mode, long h, long w, int[] k, int[] st, int[] p,
                                 int[] d) {
        int[] dil = d == null ? new int[]{1, 1} : d;
        long ekh = (long) (k[0] - 1) * dil[0] + 1;
        long ekw = (long) (k[1] - 1) * dil[1] + 1;
        if (mode == ConvolutionMode.Same) {
            // As DL4J's ConvolutionUtils.getSameModeTopLeftPadding: output ceil(in/stride), the odd row/column of
            // padding goes to the bottom/right.
            long oh = (h + st[0] - 1) / st[0];
            long ow = (w + st[1] - 1) / st[1];
            long th = (oh - 1) * st[0] + ekh - h;
            long tw = (ow - 1) * st[1] + ekw - w;
            if (th < 0 || tw < 0) {
                throw new InvalidGraphException("layer '" + name + "': ConvolutionMode.Same with kernel "
                        + Arrays.toString(k) + " and stride " + Arrays.toString(st) + " on a " + h + "x" + w
                        + " input gives negative padding (DL4J rejects this configuration too)");
            }
            return new int[]{(int) (th / 2), (int) (tw / 2), (int) (th - th / 2), (int) (tw - tw / 2)};
        }
        int[] pad = p == null ? new int[]{0, 0} : p;
        if (mode == ConvolutionMode.Strict) {
            if ((h + 2L * pad[0] - ekh) % st[0] != 0 || (w + 2L * pad[1] - ekw) % st[1] != 0) {
                throw new InvalidGraphException("layer '" + name + "': ConvolutionMode.Strict, but kernel "
                        + Arrays.toString(k) + ", stride " + Arrays.toString(st) + " and padding " + Arrays.toString(pad)
                        + " do not tile the " + h + "x" + w + " input exactly (DL4J rejects this input too)");
            }
        }
        return new int[]{pad[0], pad[1], pad[0], pad[1]};
    }

    private Out conv(Source s, Out in, ConvolutionLayer cl) {
        checkImage(in, cl.getCnn2dDataFormat());
        Shape sh = shape(in.node());
        Pad zp = in.pad();
        long h = sh.dim(1) + (zp == null ? 0 : zp.top() + zp.bottom());
        long w = sh.dim(2) + (zp == null ? 0 : zp.left() + zp.right());
        int[] p = padding(s.dl4jName(), cl.getConvolutionMode(), h, w, cl.getKernelSize(), cl.getStride(),
                cl.getPadding(), cl.getDilation());
        if (zp != null) {
            p = new int[]{p[0] + zp.top(), p[1] + zp.left(), p[2] + zp.bottom(), p[3] + zp.right()};
            rewritten.add("zero padding '" + zp.dl4jName() + "' folded into the padding of '" + s.nodeName() + "'");
        }
        int[] dil = cl.getDilation() == null ? new int[]{1, 1} : cl.getDilation();
        INDArray weight = param(s, "W").dup('c');
        INDArray bias = vector(s.params().get("b"));
        Conv2d conv = new Conv2d(weight, bias, cl.getStride()[0], cl.getStride()[1], p[0], p[1], p[2], p[3], dil[0],
                dil[1], 1);
        Out out = add(s.nodeName(), conv, in.node(), in.layout());
        return activation(s, out, cl.getActivationFn(), s.dl4jName().equals(outputName));
    }

    private Out pool(Source s, Out in, SubsamplingLayer sl) {
        checkImage(in, sl.getCnn2dDataFormat());
        Shape sh = shape(in.node());
        Pad zp = in.pad();
        long h = sh.dim(1) + (zp == null ? 0 : zp.top() + zp.bottom());
        long w = sh.dim(2) + (zp == null ? 0 : zp.left() + zp.right());
        int[] k = sl.getKernelSize();
        int[] st = sl.getStride();
        int[] p = padding(s.dl4jName(), sl.getConvolutionMode(), h, w, k, st, sl.getPadding(), null);
        boolean max = sl.getPoolingType() == PoolingType.MAX;
        // avgPoolIncludePadInDivisor means what it says (measured against DL4J's output; the comments in DL4J's
        // SubsamplingLayer say the opposite). Zeros a ZeroPaddingLayer added are inside DL4J's input and always count.
        boolean countPad = sl.isAvgPoolIncludePadInDivisor();
        boolean ownPadding = p[0] + p[1] + p[2] + p[3] > 0;
        if (zp != null) {
            if (max && !(layers.get(in.node()) instanceof Relu)) {
                throw new Unsupported("max pooling reads zero padding '" + zp.dl4jName() + "' of an input that may be "
                        + "negative (a padded zero could win); dtd4j folds it only after a ReLU");
            }
            if (!max && ownPadding && !countPad) {
                throw new Unsupported("average pooling with its own padding excluded from the divisor reads zero "
                        + "padding '" + zp.dl4jName() + "', whose zeros count: the two cannot be folded together");
            }
            p = new int[]{p[0] + zp.top(), p[1] + zp.left(), p[2] + zp.bottom(), p[3] + zp.right()};
            if (!max) {
                countPad = true;
            }
            rewritten.add("zero padding '" + zp.dl4jName() + "' folded into the padding of '" + s.nodeName() + "'");
        }
        if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1]) {
            throw new Unsupported("padding " + Arrays.toString(p) + " (top,left,bottom,right) is not smaller than the "
                    + "kernel " + Arrays.toString(k));
        }
        Layer layer = max
                ? new MaxPool2d(k[0], k[1], st[0], st[1], p[0], p[1], p[2], p[3])
                : new AvgPool2d(k[0], k[1], st[0], st[1], p[0], p[1], p[2], p[3], countPad);
        return add(s.nodeName(), layer, in.node(), in.layout());
    }

    private Out globalPool(Source s, Out in, GlobalPoolingLayer gp) {
        Shape sh = shape(in.node());
        if (sh.rank() != 3) {
            throw new Unsupported("global pooling of " + sh.toBatchString() + " activations is not supported (only "
                    + "images)");
        }
        int[] want = in.layout() == Layout.NHWC ? new int[]{1, 2} : new int[]{2, 3};
        int[] dims = gp.getPoolingDimensions();
        if (dims != null) {
            int[] sorted = dims.clone();
            Arrays.sort(sorted);
            if (!Arrays.equals(sorted, want)) {
                throw new Unsupported("pooling dimensions " + Arrays.toString(dims) + " on " + in.layout()
                        + " activations are not the spatial ones " + Arrays.toString(want));
            }
        }
        Layer pooled;
        if (gp.getPoolingType() == PoolingType.AVG) {
            pooled = new GlobalAvgPool();
        } else if (sh.dim(1) == 1 && sh.dim(2) == 1) {
            pooled = new Identity();
        } else {
            throw new Unsupported("global max pooling over " + sh.dim(1) + "x" + sh.dim(2)
                    + " pixels is not supported (only over 1x1)");
        }
        if (!gp.isCollapseDimensions()) {
            return add(s.nodeName(), pooled, in.node(), in.layout());
        }
        if (pooled instanceof Identity) {
            return add(s.nodeName(), new Flatten(), in.node(), Layout.FLAT);
        }
        add(s.nodeName(), pooled, in.node(), in.layout());
        return add(auxName(s.nodeName() + "/flatten"), new Flatten(), s.nodeName(), Layout.FLAT);
    }

    private Out batchNorm(Source s, Out in, BatchNormalization bn) {
        if (shape(in.node()).rank() == 3) {
            checkImage(in, bn.getCnn2DFormat());
        }
        INDArray mean = vector(param(s, "mean"));
        long n = mean.length();
        DataType dt = mean.dataType();
        INDArray gamma;
        INDArray beta;
        if (bn.isLockGammaBeta()) {
            // DL4J (1.0.0-M2.1) applies locked gamma/beta only when gamma != 1 AND beta != 0; otherwise it outputs
            // the normalised input unchanged. Reproduce what it computes, not what the settings suggest.
            boolean applied = bn.getGamma() != 1.0 && bn.getBeta() != 0.0;
            gamma = Nd4j.valueArrayOf(new long[]{n}, applied ? bn.getGamma() : 1.0, dt);
            beta = Nd4j.valueArrayOf(new long[]{n}, applied ? bn.getBeta() : 0.0, dt);
        } else {
            gamma = vector(param(s, "gamma"));
            beta = vector(param(s, "beta"));
        }
        INDArray var;
        if (bn.isUseLogStd()) {
            // DL4J stores log10 of the running standard deviation and, at inference, divides by
            // sqrt((10^log10stdev)^2 + eps): the variance is (10^log10stdev)^2 and eps is still added.
            INDArray log10s = param(s, "log10stdev").castTo(DataType.DOUBLE).reshape(n);
            var = Transforms.exp(log10s.mul(2 * Math.log(10)), false).castTo(dt);
        } else {
            var = vector(param(s, "var"));
        }
        return add(s.nodeName(), new BatchNorm(gamma, beta, mean, var, bn.getEps()), in.node(), in.layout());
    }

    private Out zeroPadding(Source s, Out in, ZeroPaddingLayer zp) {
        checkImage(in, zp.getDataFormat());
        int readers = consumers.getOrDefault(s.dl4jName(), 0);
        if (readers != 1) {
            throw new Unsupported("zero padding read by " + readers + " layers; it can be folded only into a single "
                    + "following ConvolutionLayer or SubsamplingLayer");
        }
        int[] p = zp.getPadding(); // top, bottom, left, right
        Pad pad = new Pad(s.dl4jName(), p[0], p[1], p[2], p[3]);
        return new Out(in.node(), in.layout(), in.pad() == null ? pad : pad.plus(in.pad()), null);
    }

    private static double dropRate(IDropout d) {
        // Inference ignores every kind of dropout; the rate is recorded for information only.
        if (d instanceof org.deeplearning4j.nn.conf.dropout.Dropout plain && plain.getP() > 0 && plain.getP() <= 1) {
            return 1 - plain.getP();
        }
        return 0;
    }

    private Out preprocess(String owner, InputPreProcessor p, Out in, boolean ownName) {
        if (p == null) {
            return in;
        }
        if (in.pad() != null) {
            throw new Unsupported("an input preprocessor reads zero padding '" + in.pad().dl4jName() + "'");
        }
        Shape sh = shape(in.node());
        if (p instanceof CnnToFeedForwardPreProcessor cf) {
            if (sh.rank() == 1) {
                return in;
            }
            long c = cf.getNumChannels();
            long h = cf.getInputHeight();
            long w = cf.getInputWidth();
            if ((c | h | w) != 0 && !sh.equals(Shape.of(c, h, w))) {
                throw new InvalidGraphException("layer '" + owner + "': the DL4J network was configured for [N," + c
                        + "," + h + "," + w + "] activations here (channels first), but the input shape gives "
                        + sh.toBatchString() + ": check the input shape");
            }
            Layout want = cf.getFormat() == CNN2DFormat.NHWC ? Layout.NHWC : Layout.NCHW;
            if (in.layout() != want) {
                throw new Unsupported("CnnToFeedForwardPreProcessor in format " + cf.getFormat()
                        + " reads activations laid out " + in.layout());
            }
            String name = ownName ? owner : auxName(owner + "/flatten");
            builder.add(name, new Flatten(), in.node());
            layers.put(name, new Flatten());
            boolean reorder = want == Layout.NHWC && sh.dim(0) > 1 && sh.dim(1) * sh.dim(2) > 1;
            return new Out(name, Layout.FLAT, null, reorder ? new long[]{sh.dim(1), sh.dim(2), sh.dim(0)} : null);
        }
        if (p instanceof FeedForwardToCnnPreProcessor fc) {
            if (sh.rank() == 3) {
                return in;
            }
            Shape target = Shape.of(fc.getNumChannels(), fc.getInputHeight(), fc.getInputWidth());
            return add(ownName ? owner : auxName(owner + "/reshape"), new Reshape(target), in.node(), Layout.NCHW);
        }
        throw new IllegalStateException("unchecked preprocessor " + p);
    }

    private Out vertex(Source s, GraphVertex v, List<Out> ins) {
        for (Out o : ins) {
            if (o.pad() != null) {
                throw new Unsupported("reads zero padding '" + o.pad().dl4jName() + "', which can be folded only into "
                        + "a following ConvolutionLayer or SubsamplingLayer");
            }
            if (o.hwc() != null) {
                throw new Unsupported("reads NHWC activations flattened in H,W,C order; only a DenseLayer or "
                        + "OutputLayer there can be converted");
            }
        }
        if (v instanceof PreprocessorVertex p) {
            return preprocess(s.nodeName(), p.getPreProcessor(), ins.get(0), true);
        }
        Layout layout = ins.get(0).layout();
        for (Out o : ins) {
            if (o.layout() != layout) {
                throw new Unsupported("inputs laid out differently: " + ins.stream().map(Out::layout).toList());
            }
        }
        List<String> names = ins.stream().map(Out::node).toList();
        if (ins.size() == 1) {
            return add(s.nodeName(), new Identity(), names.get(0), layout);
        }
        Layer layer;
        if (v instanceof ElementWiseVertex) {
            layer = new Add();
        } else {
            int axis = ((MergeVertex) v).getMergeAxis();
            int ours = switch (layout) {
                case FLAT -> axis == 1 ? 0 : -1;
                case NCHW -> axis >= 1 && axis <= 3 ? axis - 1 : -1;
                case NHWC -> axis == 3 ? 0 : axis == 1 || axis == 2 ? axis : -1;
            };
            if (ours < 0) {
                throw new Unsupported("merge axis " + axis + " on " + layout + " activations is not supported");
            }
            layer = new Concat(ours);
        }
        builder.add(s.nodeName(), layer, names);
        layers.put(s.nodeName(), layer);
        return new Out(s.nodeName(), layout);
    }
}
