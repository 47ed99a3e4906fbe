package io.github.dtd4j.onnx;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.internal.OnnxImport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * Reads ONNX models ({@code .onnx} files) into dtd4j's layer {@link Graph}.
 *
 * <pre>{@code
 * Graph net = OnnxModels.load(Path.of("resnet18.onnx"));
 * Explanation e = Explainer.of(net).preset(Presets.dtd(0, 1)).explain(x);
 * }</pre>
 *
 * <h2>What is imported</h2>
 * Default-domain operator sets {@value #MIN_OPSET} to {@value #MAX_OPSET}; FLOAT or DOUBLE models with one input
 * {@code [N, ...]} whose dimensions other than the batch are fixed, and one output.
 * <ul>
 * <li>{@code Conv} (2-D; pads, also asymmetric; strides; dilations; groups, also depthwise; every {@code auto_pad})
 *     → {@link io.github.dtd4j.graph.Conv2d}. A {@code Pad} with zeros on rows and columns right before a Conv or
 *     an AveragePool is merged into its padding.</li>
 * <li>{@code Gemm} (transB, alpha, beta; not transA) and {@code MatMul} of an activation {@code [N,K]} (or
 *     {@code [N,...,K]}, mapped along the last axis) by a constant {@code [K,M]} → {@link io.github.dtd4j.graph.Dense}
 *     with weight {@code [in,out]}. An {@code Add}/{@code Sub} of a constant right after a Conv, Gemm or MatMul (read
 *     by nothing else) becomes that layer's bias.</li>
 * <li>Activations: {@code Clip} with constant bounds (ReLU6), {@code LeakyRelu}, {@code Elu}, {@code Sigmoid},
 *     {@code HardSigmoid}, {@code HardSwish}, {@code Tanh}, and the exact GELU written as
 *     {@code x·0.5·(1 + Erf(x/√2))} → {@link io.github.dtd4j.graph.Activation}.</li>
 * <li>{@code Mul}/{@code Div} of two activations (a squeeze-and-excitation gate, SiLU as {@code x·σ(x)}) →
 *     {@link io.github.dtd4j.graph.Mul}, the gate recognised; of an activation and a constant (a layer scale) →
 *     {@link io.github.dtd4j.graph.ConstantMul}.</li>
 * <li>{@code LayerNormalization} over the last axis, and the same written out before opset 17 (ReduceMean, Sub,
 *     Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) → {@link io.github.dtd4j.graph.LayerNorm}.</li>
 * <li>{@code Transpose} keeping the batch first → {@link io.github.dtd4j.graph.Permute}; {@code Slice} (constant
 *     starts, ends, axes, positive steps) and each output of {@code Split} → {@link io.github.dtd4j.graph.Slice};
 *     {@code Squeeze}/{@code Unsqueeze} → {@link io.github.dtd4j.graph.Reshape}; {@code ReduceMean} over the two
 *     spatial axes → {@link io.github.dtd4j.graph.GlobalAvgPool}, over other per-sample axes (and {@code ReduceSum}
 *     likewise) → Permute, Reshape, {@link io.github.dtd4j.graph.SumPool} and for a mean a ConstantMul.</li>
 * <li>{@code ConvTranspose} (2-D) → a {@link io.github.dtd4j.graph.Resize} that spreads the input by the stride and
 *     a {@link io.github.dtd4j.graph.Conv2d} with the kernel flipped: the same linear map, explained by the
 *     convolution's rule.</li>
 * <li>{@code Resize} in nearest or linear mode (the coordinate transformations PyTorch and the specification
 *     write) → {@link io.github.dtd4j.graph.Resize}, one sampling matrix per resampled axis.</li>
 * <li>{@code Pad} with zeros that no Conv or AveragePool takes → {@link io.github.dtd4j.graph.ConstantConcat}s of
 *     zeros; in reflect or edge mode → a {@link io.github.dtd4j.graph.Resize} that copies.</li>
 * <li>A batch that an exporter moves ({@code Transpose}) or merges with windows or heads ({@code Reshape} to
 *     {@code [N·k, ...]}, a Swin transformer's windows) is followed through Reshape, Transpose, Gather, MatMul,
 *     constant Add and Mul, Softmax, Identity and Dropout; the layers keep it on axis 0
 *     (docs/architectures.md, "Where the batch goes"). {@code Einsum} of two activations that is a batched matrix
 *     product (MaxViT) → Permutes and a {@link io.github.dtd4j.graph.MatMul}.</li>
 * <li>{@code Relu}, {@code MaxPool} (no dilation; {@code ceil_mode=1} as extra padding at the bottom and right),
 *     {@code AveragePool} ({@code count_include_pad}; {@code ceil_mode=1} likewise, the extra padding not counted),
 *     {@code GlobalAveragePool}, {@code BatchNormalization}
 *     (inference), {@code LRN} (odd sizes), {@code Concat} (not along the batch), {@code Flatten} (axis 1),
 *     {@code Add} of two activations, {@code Identity}, {@code Dropout}.</li>
 * <li>{@code Reshape} to a constant shape ({@code 0} and {@code -1} resolved; the first dimension must stay the
 *     batch), and {@code ReduceSum} over the last axis, which is how PyTorch exports the sum-pooling
 *     {@code x.view(N, D/k, k).sum(2)}: both become a {@link io.github.dtd4j.graph.SumPool}.</li>
 * <li>Shape arithmetic and tensors computed from shapes alone are evaluated at import time: {@code Constant},
 *     {@code Shape}, {@code Gather}, {@code Unsqueeze}, {@code Concat}, {@code Cast}, {@code Slice},
 *     {@code Add}/{@code Sub}/{@code Mul}/{@code Div}/{@code Mod}/{@code Pow} (what PyTorch writes for
 *     {@code x.view(x.size(0), -1)}, a channel shuffle or a Swin transformer's window arithmetic),
 *     {@code ConstantOfShape}, {@code Range}, {@code ScatterND}, {@code Equal}, {@code Not}, {@code Where} and
 *     {@code Expand} (PyTorch's {@code t.expand(n, -1, -1)}, a shifted windows' mask), on constants of any rank with
 *     ONNX's broadcasting, with the batch size kept symbolic, and a {@code Transpose} of a constant (a MatMul weight
 *     exported without constant folding).</li>
 * <li>Attention: {@code MatMul} of two activations {@code [N,...,m,k]·[N,...,k,n]} →
 *     {@link io.github.dtd4j.graph.MatMul}; {@code Softmax} inside the network over the last axis →
 *     {@link io.github.dtd4j.graph.Softmax}; PyTorch's exported {@code nn.MultiheadAttention} (the batch moved off
 *     axis 0 and merged with the heads) → the same function as batch-first layers (docs/conventions.md, "Attention
 *     as exported by PyTorch"). A class token ({@code Concat} with a constant block, after {@code Expand} to the
 *     batch size) → {@link io.github.dtd4j.graph.ConstantConcat}; an {@code Add} of a constant that no layer before
 *     it takes as a bias (a position embedding) → {@link io.github.dtd4j.graph.ConstantAdd}; {@code Gather} from an
 *     activation with constant indices in a run → {@link io.github.dtd4j.graph.Slice}.</li>
 * <li>A final {@code Softmax} is removed (DTD explains the logits) and the removal is recorded in the graph's
 *     {@link Graph#provenance() provenance}, with the source, the producer, the opset and every rewrite.</li>
 * </ul>
 * Initializers may be raw little-endian bytes or typed fields ({@code float_data}, {@code double_data},
 * {@code int64_data}, {@code int32_data}), or live in an external data file next to the model (only when loading
 * from a {@link Path}). Any other operator, attribute or use makes the import fail with one
 * {@link UnsupportedModelException} that lists every offending node; a malformed file (truncated, not ONNX, a
 * cycle, a dangling edge, a missing initializer, sizes that would need absurd memory) raises an
 * {@link ModelFormatException} naming the file and the node. Nothing runs before the whole model is checked.
 *
 * <h2>Node names</h2>
 * A layer that has a weight takes the name of its weight initializer without the {@code .weight} suffix: PyTorch's
 * module path, such as {@code layer1.0.conv1} or {@code fc}, so that rules can be assigned by the names a PyTorch
 * user knows. When that initializer has a generated name (PyTorch's {@code onnx::Conv_123}, written when it fused a
 * BatchNorm into the convolution) or the name is already taken, and for every layer without weights, the node takes
 * the ONNX node's name ({@code /layer1/layer1.0/relu/Relu}), or its first output's name if the node has none. Names
 * are made unique with a {@code _2}, {@code _3}, ... suffix. The graph's input keeps the ONNX input's name.
 */
public final class OnnxModels {
    /** The lowest default-domain opset the importer accepts. */
    public static final long MIN_OPSET = OnnxImport.MIN_OPSET;
    /** The highest default-domain opset the importer accepts. */
    public static final long MAX_OPSET = OnnxImport.MAX_OPSET;
    /** The largest model file read into memory; larger models must keep their weights in external data. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;

    private OnnxModels() {
    }

    /** {@return the ONNX operators the importer knows, sorted} */
    public static Set<String> supportedOperators() {
        return OnnxImport.supportedOperators();
    }

    /**
     * Imports an ONNX model file. External data files are looked for in the file's directory.
     *
     * @param file the {@code .onnx} file
     * @return the layer graph
     * @throws ModelFormatException     if the file cannot be read or is not a well-formed ONNX model
     * @throws UnsupportedModelException listing every node dtd4j cannot represent
     */
    public static Graph load(Path file) {
        Objects.requireNonNull(file, "file");
        String source = file.toString();
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new ModelFormatException(source + ": " + size + " bytes is more than an ONNX file without "
                        + "external data can hold (" + MAX_FILE_BYTES + ")");
            }
            bytes = readAll(file, (int) size);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": cannot read the file: " + e, e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return load(bytes, source, dir);
    }

    /**
     * {@return a file's bytes, read 1 MB at a time}: {@code Files.readAllBytes} reads through a temporary direct
     * buffer as large as the file, which the JDK then keeps for the thread (528 MB of native memory for VGG16, for the
     * life of the process)
     */
    private static byte[] readAll(Path file, int size) throws IOException {
        byte[] bytes = new byte[size];
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            int off = 0;
            while (off < size) {
                int n = in.read(bytes, off, Math.min(1 << 20, size - off));
                if (n < 0) {
                    throw new IOException("the file shrank to " + off + " bytes while it was read");
                }
                off += n;
            }
            if (in.read() >= 0) {
                throw new IOException("the file grew while it was read");
            }
        }
        return bytes;
    }

    /**
     * Imports an ONNX model from a stream, read to its end and not closed. A model whose weights live in external
     * data files cannot be read this way: use {@link #load(Path)}.
     *
     * @param in the model's bytes
     * @return the layer graph
     * @throws ModelFormatException     if the stream cannot be read or is not a well-formed ONNX model
     * @throws UnsupportedModelException listing every node dtd4j cannot represent
     */
    public static Graph load(InputStream in) {
        Objects.requireNonNull(in, "in");
        byte[] bytes;
        try {
            bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new ModelFormatException("(stream): cannot read the model: " + e, e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ModelFormatException("(stream): more than " + MAX_FILE_BYTES + " bytes");
        }
        return load(bytes, "(stream)", null);
    }

    /**
     * Imports an ONNX model held in memory; see {@link #load(InputStream)}.
     *
     * @param bytes the serialised {@code ModelProto}; not modified
     * @return the layer graph
     * @throws ModelFormatException     if the bytes are not a well-formed ONNX model
     * @throws UnsupportedModelException listing every node dtd4j cannot represent
     */
    public static Graph load(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return load(bytes, "(bytes)", null);
    }

    private static Graph load(byte[] bytes, String source, Path baseDir) {
        return OnnxImport.load(bytes, source, baseDir);
    }
}
