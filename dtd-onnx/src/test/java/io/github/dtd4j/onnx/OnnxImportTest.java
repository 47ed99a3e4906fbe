package io.github.dtd4j.onnx;

import static io.github.dtd4j.onnx.OnnxBuilder.FLOAT;
import static io.github.dtd4j.onnx.OnnxBuilder.attr;
import static io.github.dtd4j.onnx.OnnxBuilder.attrs;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.NodeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What the importer builds: names, rewrites, provenance, and operator details checked against ONNX Runtime. */
class OnnxImportTest {
    @TempDir
    Path tmp;

    private static List<String> kinds(Graph g) {
        return g.nodes().stream().map(Node::kind).toList();
    }

    @Test
    void torchvisionNamesAreThePyTorchModulePaths() {
        Graph g = OnnxModels.load(Fixtures.path("resnet_op13"));
        assertThat(g.inputName()).isEqualTo("input");
        assertThat(g.node("conv1").orElseThrow().layer()).isInstanceOf(Conv2d.class);
        assertThat(g.node("bn1").orElseThrow().layer()).isInstanceOf(BatchNorm.class);
        assertThat(g.node("layer1.0.conv1").orElseThrow().layer()).isInstanceOf(Conv2d.class);
        assertThat(g.node("layer2.0.downsample.0").orElseThrow().layer()).isInstanceOf(Conv2d.class);
        assertThat(g.node("layer2.0.downsample.1").orElseThrow().layer()).isInstanceOf(BatchNorm.class);
        assertThat(g.node("fc").orElseThrow().layer()).isInstanceOf(Dense.class);
        assertThat(g.node("/layer1/layer1.0/Add").orElseThrow().inputs()).containsExactly("layer1.0.bn2", "/maxpool/MaxPool");
        assertThat(g.node("/maxpool/MaxPool").orElseThrow().layer()).isEqualTo(new MaxPool2d(3, 3, 2, 2, 1, 1, 1, 1));
        // torch fused BatchNorm into the convolutions and named their weights onnx::Conv_NNN: the node names remain
        Graph fused = OnnxModels.load(Fixtures.path("resnet_fused_op13"));
        assertThat(fused.node("/layer1/layer1.0/conv1/Conv").orElseThrow().layer()).isInstanceOf(Conv2d.class);
        assertThat(fused.nodes()).noneMatch(n -> n.name().startsWith("onnx::"));
    }

    @Test
    void bytesStreamAndPathGiveTheSameGraph() throws IOException {
        Graph fromPath = OnnxModels.load(Fixtures.path("cnn_op13"));
        Graph fromBytes = OnnxModels.load(Fixtures.bytes("cnn_op13"));
        Graph fromStream = OnnxModels.load(new ByteArrayInputStream(Fixtures.bytes("cnn_op13")));
        assertThat(fromBytes.toString()).isEqualTo(fromPath.toString()).isEqualTo(fromStream.toString());
        assertThat(fromBytes.provenance().get("source")).isEqualTo("(bytes)");
        assertThat(fromStream.provenance().get("source")).isEqualTo("(stream)");
        INDArray x = OnnxRuntimeParityTest.input(fromPath, 9);
        assertThat(io.github.dtd4j.rules.Forwards.output(fromBytes, x)).isEqualTo(io.github.dtd4j.rules.Forwards.output(fromPath, x));
    }

    @Test
    void torchSumPoolingBecomesSumPool() {
        Graph g = OnnxModels.load(Fixtures.path("sumpool_op13"));
        assertThat(kinds(g)).containsExactly("Dense", "Relu", "SumPool", "Dense", "Relu", "SumPool");
        assertThat(g.provenance().get("rewritten")).contains("SumPool(4)").contains("'/ReduceSum'");
        assertThat(g.provenance().get("fused")).contains("Add '/Add' into the bias of Dense 'w1'");
        assertThat(g.provenance().get("evaluated at import")).contains("shape-computation");
        Graph op11 = OnnxModels.load(Fixtures.path("sumpool_op11"));
        assertThat(kinds(op11)).isEqualTo(kinds(g));
    }

    @Test
    void deduplicatedInitializersAndPaddedPoolsFromTorch() {
        Graph g = OnnxModels.load(Fixtures.path("cnn_op11"));
        // conv4's bias is an Identity of conv3's (torch de-duplicated them)
        Conv2d c3 = (Conv2d) g.node("conv3").orElseThrow().layer();
        Conv2d c4 = (Conv2d) g.node("conv4").orElseThrow().layer();
        assertThat(c4.bias()).isEqualTo(c3.bias());
        assertThat(c4.groups()).isEqualTo(8);
        assertThat(c3.dilationH()).isEqualTo(2);
        // torch writes AvgPool2d(padding=1, count_include_pad=True) as Pad + AveragePool: merged back
        assertThat(g.node("/pool4/AveragePool").orElseThrow().layer()).isEqualTo(new AvgPool2d(2, 2, 1, 1, 1, 1, 1, 1,
                true));
        assertThat(g.node("/pool2/AveragePool").orElseThrow().layer()).isEqualTo(new AvgPool2d(3, 3, 1, 1, 1, 1, 1, 1,
                false));
        assertThat(g.provenance().get("merged")).contains("Pad '/pool4/Pad'");
    }

    private Graph checkAgainstOnnxRuntime(String name, OnnxBuilder model, int batch) throws Exception {
        Path file = tmp.resolve(name + ".onnx");
        Files.write(file, model.bytes());
        Graph g = OnnxModels.load(file);
        long[] shape = g.inputShape().withBatch(batch);
        INDArray x = Nd4j.rand(DataType.FLOAT, shape);
        OrtReference.Result ref = OrtReference.run(file, x);
        INDArray ours = io.github.dtd4j.rules.Forwards.output(g, x);
        assertThat(ours.shape()).isEqualTo(ref.logits().shape());
        assertThat(OnnxRuntimeParityTest.relativeError(ours, ref.logits())).as(name).isLessThanOrEqualTo(1e-5);
        // the heatmap, not only the ledger (which balances for any rule): the loop reference's
        OnnxRuntimeParityTest.assertDtdMatchesTheReference(name, g, x);
        return g;
    }

    @Test
    void attentionOperatorsWrittenBatchFirstAgainstOnnxRuntime() throws Exception {
        // tokens [N,3,6]: scores q·qᵀ with q = x·W (MatMul of activations), Softmax over the last axis, A·q; a class token
        // expanded to the batch size (Shape arithmetic, Expand) and put first; a position embedding added; the first
        // mixed token picked (Gather; the class token itself is a constant here, which no attention reads)
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 3L, 6L).output("y")
                .weight("wq", 0.4, 6, 6)
                .node("MatMul", "q", List.of("x", "wq"))
                .node("Transpose", "kt", List.of("q"), attrs("perm", 0, 2, 1))
                .node("MatMul", "scores", List.of("q", "kt"))
                .node("Softmax", "attn", List.of("scores"), attr("axis", -1L))
                .node("MatMul", "mixed", List.of("attn", "q"))
                .node("Shape", "shape", List.of("x"))
                .ints("zero", 0).ints("one", 1).ints("rest", 1, 6)
                .node("Slice", "n", List.of("shape", "zero", "one"))
                .node("Concat", "target", List.of("n", "rest"), attr("axis", 0L))
                .weight("cls", 0.7, 1, 1, 6)
                .node("Expand", "tokens0", List.of("cls", "target"))
                .node("Concat", "tokens", List.of("tokens0", "mixed"), attr("axis", 1L))
                .weight("pos", 0.3, 1, 4, 6)
                .node("Add", "embedded", List.of("tokens", "pos"))
                .node("Gather", "first", List.of("embedded", "one"), attr("axis", 1L))
                .node("Flatten", "features", List.of("first"))
                .weight("head", 0.5, 3, 6)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("attention_ops", b, 3);
        assertThat(g.node("scores").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.MatMul.class);
        assertThat(g.node("attn").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.Softmax.class);
        assertThat(g.nodes()).extracting(Node::kind).contains("ConstantConcat", "ConstantAdd", "Slice");
    }

    @Test
    void windowedAttentionWithTheBatchMergedIntoWindowsAgainstOnnxRuntime() throws Exception {
        // a Swin transformer's block as exported, small: channels-last tokens [N,4,4,6] padded to whole windows
        // [N,4,6,6], partitioned into 6 windows of 2x2 tokens with the batch merged in ([6N,4,6], the factor from
        // Shape arithmetic: Mul), q and k of 2 heads ([6N,4,2,2,3] with 0s copying 6N, Transpose moving the batch to
        // axis 1, Gather of the scalar index taking it back to 0), scaled scores plus a relative position bias, the
        // batch taken out ([N,6,2,4,4], Div of 6N by 6) for a per-window mask and merged again (-1), Softmax, the
        // mixing, heads merged, windows reversed and the padding cut off
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 4L, 4L, 6L).output("y")
                .ints("pads", 0, 0, 0, 0, 0, 0, 2, 0)
                .node("Pad", "xp", List.of("x", "pads"))
                .node("Shape", "shape", List.of("xp"))
                .ints("zero", 0).ints("one", 1).ints("six", 6)
                .node("Slice", "n", List.of("shape", "zero", "one"))
                .node("Mul", "n6", List.of("n", "six"))
                .ints("grid", 2, 2, 3, 2, 6).node("Concat", "t_grid", List.of("n", "grid"), attr("axis", 0L))
                .node("Reshape", "grid_x", List.of("xp", "t_grid"))
                .node("Transpose", "windows_x", List.of("grid_x"), attrs("perm", 0, 1, 3, 2, 4, 5))
                .ints("tokens", 4, 6).node("Concat", "t_tokens", List.of("n6", "tokens"), attr("axis", 0L))
                .node("Reshape", "w", List.of("windows_x", "t_tokens"))
                .weight("wqk", 0.4, 6, 12).weight("bqk", 0.1, 12)
                .node("MatMul", "qk0", List.of("w", "wqk"))
                .node("Add", "qk1", List.of("qk0", "bqk"))
                .ints("heads", 0, 0, 2, 2, 3)
                .node("Reshape", "qk2", List.of("qk1", "heads"))
                .node("Transpose", "qk", List.of("qk2"), attrs("perm", 2, 0, 3, 1, 4))
                .initializer(OnnxBuilder.tensor("i0", OnnxBuilder.INT64).addInt64Data(0).build())
                .initializer(OnnxBuilder.tensor("i1", OnnxBuilder.INT64).addInt64Data(1).build())
                .node("Gather", "q0", List.of("qk", "i0"), attr("axis", 0L))
                .node("Gather", "k", List.of("qk", "i1"), attr("axis", 0L))
                .floats("half", new long[0], new float[]{0.5f})
                .node("Mul", "q", List.of("q0", "half"))
                .node("Transpose", "kt", List.of("k"), attrs("perm", 0, 1, 3, 2))
                .node("MatMul", "s0", List.of("q", "kt"))
                .weight("relbias", 0.3, 2, 4, 4)
                .node("Add", "s1", List.of("s0", "relbias"))
                .node("Shape", "s_shape", List.of("s1"))
                .node("Slice", "n6_again", List.of("s_shape", "zero", "one"))
                .node("Div", "n_again", List.of("n6_again", "six"))
                .ints("per_window", 6, 2, 4, 4)
                .node("Concat", "t_split", List.of("n_again", "per_window"), attr("axis", 0L))
                .node("Reshape", "s2", List.of("s1", "t_split"))
                .weight("mask", -2.0, 1, 6, 1, 4, 4)
                .node("Add", "s3", List.of("s2", "mask"))
                .ints("merged", -1, 2, 4, 4)
                .node("Reshape", "s4", List.of("s3", "merged"))
                .node("Softmax", "attn", List.of("s4"), attr("axis", -1L))
                .node("MatMul", "mixed", List.of("attn", "k"))
                .node("Transpose", "mixed_t", List.of("mixed"), attrs("perm", 0, 2, 1, 3))
                .node("Reshape", "heads_merged", List.of("mixed_t", "t_tokens"))
                .ints("grid_back", 2, 3, 2, 2, 6)
                .node("Concat", "t_back", List.of("n", "grid_back"), attr("axis", 0L))
                .node("Reshape", "back0", List.of("heads_merged", "t_back"))
                .node("Transpose", "back1", List.of("back0"), attrs("perm", 0, 1, 3, 2, 4, 5))
                .ints("image", 4, 6, 6).node("Concat", "t_image", List.of("n", "image"), attr("axis", 0L))
                .node("Reshape", "back", List.of("back1", "t_image"))
                .ints("w0", 0).ints("w4", 4).ints("ax2", 2)
                .node("Slice", "cropped", List.of("back", "w0", "w4", "ax2"))
                .node("Flatten", "features", List.of("cropped"))
                .weight("head", 0.2, 3, 96)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("windowed_attention", b, 3);
        assertThat(g.node("s0").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.MatMul.class);
        assertThat(g.nodes()).extracting(Node::kind).contains("ConstantConcat", "ConstantAdd", "Softmax");
    }

    @Test
    void constantTensorArithmeticAgainstOnnxRuntime() throws Exception {
        // how exporters compute a mask from shapes alone (Swin's shifted windows), folded at import and compared with
        // ONNX Runtime's evaluation of the same nodes: Range from a negative start, Reshape, Mod with fmod 0 (the
        // divisor's sign) and 1 (the dividend's), Cast, ScatterND, Gather with 2-D indices, Slice running backwards
        // (ends = INT64_MIN + 1, as torch writes), Equal, Not, Where, Pow, Concat along axis 1; added after a dense layer
        // (a ConstantAdd: the constant is no bias)
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 10L).output("y")
                .initializer(OnnxBuilder.tensor("start", OnnxBuilder.INT64).addInt64Data(-3).build())
                .initializer(OnnxBuilder.tensor("limit", OnnxBuilder.INT64).addInt64Data(3).build())
                .initializer(OnnxBuilder.tensor("delta", OnnxBuilder.INT64).addInt64Data(1).build())
                .node("Range", "r", List.of("start", "limit", "delta"))
                .ints("s23", 2, 3).node("Reshape", "r2", List.of("r", "s23"))
                .ints("two", 2).node("Mod", "m", List.of("r2", "two"))
                .node("Cast", "rf", List.of("r2"), attr("to", 1L))
                .floats("twof", new long[]{1}, new float[]{2f})
                .node("Mod", "mf", List.of("rf", "twof"), attr("fmod", 1L))
                .initializer(OnnxBuilder.tensor("where", OnnxBuilder.INT64, 2, 2).addInt64Data(1).addInt64Data(2)
                        .addInt64Data(0).addInt64Data(0).build())
                .floats("updates", new long[]{2}, new float[]{5f, 7f})
                .node("ScatterND", "sc", List.of("rf", "where", "updates"))
                .initializer(OnnxBuilder.tensor("pick", OnnxBuilder.INT64, 2, 2).addInt64Data(2).addInt64Data(0)
                        .addInt64Data(1).addInt64Data(-2).build())
                .node("Gather", "g", List.of("sc", "pick"), attr("axis", 1L))
                .ints("from", -1).ints("to", Long.MIN_VALUE + 1).ints("ax2", 2).ints("back", -1)
                .node("Slice", "sl", List.of("g", "from", "to", "ax2", "back"))
                .ints("s24", 2, 4).node("Reshape", "sl2", List.of("sl", "s24"))
                .initializer(OnnxBuilder.tensor("one", OnnxBuilder.INT64, 1, 1).addInt64Data(1).build())
                .node("Equal", "eq", List.of("m", "one"))
                .node("Not", "ne", List.of("eq"))
                .node("Cast", "mff", List.of("m"), attr("to", 1L))
                .node("Where", "w", List.of("ne", "mf", "mff"))
                .floats("three", new long[0], new float[]{3f})
                .node("Pow", "p", List.of("w", "three"))
                .node("Concat", "c", List.of("p", "mf", "sl2"), attr("axis", 1L))
                .weight("wx", 0.3, 10, 10)
                .node("MatMul", "dense", List.of("x", "wx"))
                .node("Add", "shifted", List.of("dense", "c"))
                .node("Flatten", "features", List.of("shifted"))
                .weight("head", 0.2, 3, 20)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        checkAgainstOnnxRuntime("constant_arithmetic", b, 2);
    }

    @Test
    void einsumProductsAgainstOnnxRuntime() throws Exception {
        // MaxViT's two equations (scores with k's axes swapped, mixing as it stands), spaces and capitals as torch
        // writes them, and one whose operands and output need permuting: tokens k [N,2,3,4] (B G I D) from a dense
        // layer, the first layer (z^B), so that everything above it is z⁺ in the engine and in the reference
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 3L, 4L).output("y")
                .weight("wk", 0.5, 4, 4).node("MatMul", "k", List.of("x", "wk"))
                .node("Einsum", "scores", List.of("k", "k"), attr("equation", "B G I D, B G J D -> B G I J"))
                .node("Softmax", "attn", List.of("scores"), attr("axis", -1L))
                .node("Einsum", "mixed", List.of("attn", "k"), attr("equation", "B G I J, B G J D -> B G I D"))
                .node("Einsum", "odd", List.of("mixed", "k"), attr("equation", "bgid,bgjd->bjgi"))
                .node("Flatten", "features", List.of("odd"))
                .weight("head", 0.2, 3, 18)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("einsum", b, 2);
        assertThat(g.node("scores").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.MatMul.class);
        assertThat(g.node("odd").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.Permute.class);
    }

    @Test
    void reductionsOverAnyAxesAgainstOnnxRuntime() throws Exception {
        // means and sums over per-sample axes other than an image's H and W: the channel mean kept as an axis, a sum
        // over C and W dropped, a mean over the last axis of the result, each then read by a dense layer
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 3L, 4L, 5L).output("y")
                .weight("w", 0.3, 5, 5).node("MatMul", "h", List.of("x", "w"))
                .node("ReduceMean", "channel_mean", List.of("h"), attrs("axes", 1), attr("keepdims", 1L))
                .ints("cw", 1, -1)
                .node("ReduceSum", "sum_cw", List.of("h", "cw"), attr("keepdims", 0L))
                .node("ReduceMean", "last_mean", List.of("channel_mean"), attrs("axes", -1), attr("keepdims", 0L))
                .node("Flatten", "f1", List.of("sum_cw")).node("Flatten", "f2", List.of("last_mean"))
                .node("Concat", "features", List.of("f1", "f2"), attr("axis", 1L))
                .weight("head", 0.2, 3, 8)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("reductions", b, 2);
        assertThat(g.nodes()).extracting(Node::kind).contains("SumPool", "Permute", "ConstantMul");
    }

    @Test
    void resizeInEveryModeTorchWritesAgainstOnnxRuntime() throws Exception {
        // bilinear as F.interpolate(align_corners=False) exports it (pytorch_half_pixel) to a size that is no
        // multiple (border coordinates below 0, clamped), nearest upsampling as scale_factor=2 exports it
        // (asymmetric, floor), bilinear downsampling with align_corners, and nearest with the operator's defaults
        // (half_pixel, round_prefer_floor) by 1.5
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, 2L, 2L, 5L, 5L).output("y")
                .weight("w1", 0.4, 3, 2, 3, 3).node("Conv", "c1", List.of("x", "w1"), attrs("pads", 1, 1, 1, 1))
                .node("Relu", "r1", List.of("c1"))
                .ints("to8", 2, 3, 8, 8)
                .node("Resize", "bilinear8", List.of("r1", "", "", "to8"), attr("mode", "linear"),
                        attr("coordinate_transformation_mode", "pytorch_half_pixel"))
                .floats("up2", new long[]{4}, new float[]{1, 1, 2, 2})
                .node("Resize", "nearest16", List.of("bilinear8", "", "up2"), attr("mode", "nearest"),
                        attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"))
                .weight("w2", 0.3, 2, 3, 3, 3).node("Conv", "c2", List.of("nearest16", "w2"))
                .node("Relu", "r2", List.of("c2"))
                .ints("to4", 2, 2, 4, 4)
                .node("Resize", "corners4", List.of("r2", "", "", "to4"), attr("mode", "linear"),
                        attr("coordinate_transformation_mode", "align_corners"))
                .floats("up15", new long[]{4}, new float[]{1, 1, 1.5f, 1.5f})
                .node("Resize", "nearest6", List.of("corners4", "", "up15"))
                .node("Flatten", "features", List.of("nearest6"))
                .weight("head", 0.2, 3, 72)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("resize", b, 2);
        assertThat(g.nodes()).extracting(Node::kind).containsSubsequence("Resize", "Resize", "Resize", "Resize");
    }

    @Test
    void averagePoolingWithCeilModeAgainstOnnxRuntime() throws Exception {
        // ceil_mode=1 where it adds a last window that runs past the input: 3x3 windows, stride 2, on 8x8 (4 outputs
        // where floor gives 3), counting the padding (none here), and on 4x4 with padding 1, not counting it (3 where
        // floor gives 2; the last window starts inside the input, where PyTorch's and ONNX's output sizes agree)
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 8L, 8L).output("y")
                .weight("w1", 0.4, 3, 2, 3, 3).node("Conv", "c1", List.of("x", "w1"), attrs("pads", 1, 1, 1, 1))
                .node("Relu", "r1", List.of("c1"))
                .node("AveragePool", "p1", List.of("r1"), attrs("kernel_shape", 3, 3), attrs("strides", 2, 2),
                        attr("ceil_mode", 1L), attr("count_include_pad", 1L))
                .weight("w2", 0.3, 3, 3, 1, 1).node("Conv", "c2", List.of("p1", "w2"))
                .node("Relu", "r2", List.of("c2"))
                .node("AveragePool", "p2", List.of("r2"), attrs("kernel_shape", 3, 3), attrs("strides", 2, 2),
                        attrs("pads", 1, 1, 1, 1), attr("ceil_mode", 1L))
                .node("Flatten", "features", List.of("p2"))
                .weight("head", 0.2, 3, 27)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        checkAgainstOnnxRuntime("avgpool_ceil", b, 2);
    }

    @Test
    void reflectAndEdgePaddingAgainstOnnxRuntime() throws Exception {
        // reflect padding (2 rows above, 1 below, 1 column left, 3 right) before a convolution, edge padding of the
        // channels (1 before) and columns (2 after) before another
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 5L, 5L).output("y")
                .ints("p1", 0, 0, 2, 1, 0, 0, 1, 3)
                .node("Pad", "reflected", List.of("x", "p1"), attr("mode", "reflect"))
                .weight("w1", 0.4, 3, 2, 3, 3).node("Conv", "c1", List.of("reflected", "w1"))
                .node("Relu", "r1", List.of("c1"))
                .ints("p2", 0, 1, 0, 0, 0, 0, 0, 2)
                .node("Pad", "edged", List.of("r1", "p2"), attr("mode", "edge"))
                .weight("w2", 0.3, 2, 4, 3, 3).node("Conv", "c2", List.of("edged", "w2"))
                .node("Flatten", "features", List.of("c2"))
                .weight("head", 0.2, 3, 56)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("pad_modes", b, 2);
        assertThat(g.nodes()).extracting(Node::kind).containsSubsequence("Resize", "Conv2d", "Resize");
    }

    @Test
    void transposedConvolutionsAgainstOnnxRuntime() throws Exception {
        // an upsampling ConvTranspose (stride 2, 3x3, pads 1, output_padding 1, bias) and a grouped one (stride 1,
        // 2x2, 2 groups, no bias), each imported as its input spread by the stride and a convolution
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 4L, 4L).output("y")
                .weight("w1", 0.4, 3, 2, 3, 3).node("Conv", "c1", List.of("x", "w1"), attrs("pads", 1, 1, 1, 1))
                .node("Relu", "r1", List.of("c1"))
                .weight("wt1", 0.3, 3, 4, 3, 3).weight("bt1", 0.1, 4)
                .node("ConvTranspose", "up", List.of("r1", "wt1", "bt1"), attrs("strides", 2, 2),
                        attrs("pads", 1, 1, 1, 1), attrs("output_padding", 1, 1))
                .node("Relu", "r2", List.of("up"))
                .weight("wt2", 0.5, 4, 1, 2, 2)
                .node("ConvTranspose", "grouped", List.of("r2", "wt2"), attr("group", 2L))
                .node("Flatten", "features", List.of("grouped"))
                .weight("head", 0.2, 3, 162)
                .node("Gemm", "y", List.of("features", "head"), attr("transB", 1L));
        Graph g = checkAgainstOnnxRuntime("conv_transpose", b, 2);
        assertThat(g.nodes()).extracting(Node::kind).containsSubsequence("Resize", "Conv2d", "Conv2d");
    }

    @Test
    void padConvBiasChainGemmScalarBiasAgainstOnnxRuntime() throws Exception {
        OnnxBuilder b = new OnnxBuilder(13).input("x", FLOAT, "N", 2L, 7L, 6L).output("y")
                .ints("pads", 0, 0, 2, 0, 0, 0, 1, 3)
                .node("Pad", "pad", List.of("x", "pads"))
                .weight("conv.weight", 0.4, 4, 2, 3, 3)
                .node("Conv", "conv", List.of("pad", "conv.weight"), attrs("strides", 2, 1))
                .weight("b1", 0.3, 1, 4, 1, 1).weight("b2", 0.2, 4, 1, 1)
                .node("Add", "add1", List.of("conv", "b1")).node("Sub", "sub2", List.of("add1", "b2"))
                .node("Relu", "relu", List.of("sub2"))
                .node("MaxPool", "pool", List.of("relu"), attrs("kernel_shape", 2, 2), attrs("strides", 2, 2),
                        attr("auto_pad", "SAME_LOWER"))
                .node("Flatten", "flat", List.of("pool"))
                .weight("fc.weight", 0.3, 3, 32).floats("fc.bias", new long[]{}, new float[]{0.25f})
                .node("Gemm", "y", List.of("flat", "fc.weight", "fc.bias"), attr("transB", 1L), attr("alpha", 0.5),
                        attr("beta", 3.0));
        Graph g = checkAgainstOnnxRuntime("padconv", b, 3);
        Conv2d conv = (Conv2d) g.node("conv").orElseThrow().layer();
        assertThat(new int[]{conv.padTop(), conv.padLeft(), conv.padBottom(), conv.padRight()})
                .containsExactly(2, 0, 1, 3);
        assertThat(conv.bias()).isNotNull();
        assertThat(g.provenance().get("fused")).contains("'add1'").contains("'sub2'");
        assertThat(kinds(g)).containsExactly("Conv2d", "Relu", "MaxPool2d", "Flatten", "Dense");
    }

    @Test
    void staticBatchReshapeDropoutOpset11AndBatchNormOnVectors() throws Exception {
        OnnxBuilder b = new OnnxBuilder(11).input("x", FLOAT, 1L, 2L, 3L, 4L).output("y")
                .node(NodeProto.newBuilder().setOpType("Constant").setName("shape").addOutput("shape")
                        .addAttribute(AttributeProto.newBuilder().setName("value_ints")
                                .setType(AttributeProto.AttributeType.INTS).addAllInts(List.of(1L, -1L))).build())
                .node("Reshape", "flat", List.of("x", "shape"))
                .node("Dropout", "drop", List.of("flat"), attr("ratio", 0.2))
                .weight("fc.weight", 0.3, 24, 5).weight("fc.bias", 0.1, 5)
                .node("Gemm", "fc", List.of("drop", "fc.weight", "fc.bias"))
                .weight("bn.weight", 0.5, 5).weight("bn.bias", 0.2, 5).weight("bn.running_mean", 0.1, 5)
                .floats("bn.running_var", new long[]{5}, new float[]{1, 2, 0.5f, 1.5f, 3})
                .node("BatchNormalization", "bn", List.of("fc", "bn.weight", "bn.bias", "bn.running_mean",
                        "bn.running_var"), attr("epsilon", 1e-3))
                .node("Relu", "r", List.of("bn")).node("Identity", "id", List.of("r"))
                .node("Softmax", "y", List.of("id"));
        Graph g = checkAgainstOnnxRuntime("staticbatch", b, 1);
        assertThat(kinds(g)).containsExactly("Reshape", "Dropout", "Dense", "BatchNorm", "Relu", "Identity");
        assertThat(((BatchNorm) g.node("bn").orElseThrow().layer()).eps()).isEqualTo(1e-3, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(g.provenance().get("removed")).contains("final Softmax 'y'");
    }

    @Test
    void poolingAutoPadAndCountIncludePadAgainstOnnxRuntime() throws Exception {
        OnnxBuilder b = new OnnxBuilder(17).input("x", FLOAT, "N", 3L, 9L, 8L).output("y")
                .node("AveragePool", "ap_same", List.of("x"), attrs("kernel_shape", 3, 2), attrs("strides", 2, 3),
                        attr("auto_pad", "SAME_UPPER"))
                .node("AveragePool", "ap_incl", List.of("ap_same"), attrs("kernel_shape", 2, 2),
                        attrs("pads", 1, 0, 0, 1), attr("count_include_pad", 1L))
                .node("MaxPool", "mp", List.of("ap_incl"), attrs("kernel_shape", 2, 2), attrs("pads", 0, 1, 1, 0),
                        attrs("strides", 1, 1))
                .weight("dw.weight", 0.5, 3, 1, 2, 2)
                .node("Conv", "dw", List.of("mp", "dw.weight"), attr("group", 3L), attr("auto_pad", "SAME_UPPER"))
                .node("Relu", "r", List.of("dw")).node("GlobalAveragePool", "gap", List.of("r"))
                .node("Flatten", "y", List.of("gap"));
        Graph g = checkAgainstOnnxRuntime("pools", b, 2);
        assertThat(g.node("ap_same").orElseThrow().layer()).isEqualTo(new AvgPool2d(3, 2, 2, 3, 1, 0, 1, 0, false));
    }

    @Test
    void typedFloatDataReadsLikeRawData() throws Exception {
        float[] w = new float[12 * 5];
        for (int k = 0; k < w.length; k++) {
            w[k] = (float) Math.cos(k * 0.7);
        }
        onnx.OnnxMl.TensorProto.Builder typed = OnnxBuilder.tensor("fc.weight", FLOAT, 12, 5);
        for (float v : w) {
            typed.addFloatData(v);
        }
        OnnxBuilder withTyped = new OnnxBuilder(13).input("x", FLOAT, "N", 12L).output("y")
                .initializer(typed.build()).node("MatMul", "y", List.of("x", "fc.weight"));
        OnnxBuilder withRaw = new OnnxBuilder(13).input("x", FLOAT, "N", 12L).output("y")
                .floats("fc.weight", new long[]{12, 5}, w).node("MatMul", "y", List.of("x", "fc.weight"));
        Graph a = checkAgainstOnnxRuntime("typed", withTyped, 2);
        Graph b = OnnxModels.load(withRaw.bytes());
        assertThat(((Dense) a.node("fc").orElseThrow().layer()).weight())
                .isEqualTo(((Dense) b.node("fc").orElseThrow().layer()).weight());
    }

    @Test
    void importTimes() {
        for (String name : List.of("mlp_op13", "cnn_op13", "densenet_op13", "resnet_op13")) {
            OnnxModels.load(Fixtures.path(name));
            long t0 = System.nanoTime();
            int runs = 5;
            Graph g = null;
            for (int i = 0; i < runs; i++) {
                g = OnnxModels.load(Fixtures.path(name));
            }
            double ms = (System.nanoTime() - t0) / 1e6 / runs;
            System.out.printf("import %-14s %4d nodes, %,9d parameters: %.1f ms%n", name, g.nodes().size(),
                    g.parameterCount(), ms);
            assertThat(g.nodes()).isNotEmpty();
        }
    }
}
