package io.github.dtd4j.methods;

import static io.github.dtd4j.methods.TestArrays.D;
import static io.github.dtd4j.methods.TestArrays.maxAbs;
import static io.github.dtd4j.methods.TestArrays.randn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CAM, Grad-CAM, Grad-CAM++, guided Grad-CAM and the bilinear upsampling against references that can disagree:
 * torch (a CNN with BatchNorm built in torch, the methods written from their definitions with autograd hooks and
 * {@code F.interpolate}, by {@code src/test/fixtures/make_cam_fixtures.py}; torch 1.13, float64), and on a global
 * average pooling → Dense network the relation Grad-CAM = CAM / (h·w).
 */
class CamFamilyTest {
    /** The largest difference to torch allowed (float64 on both sides). */
    private static final double TORCH_TOL = 1e-6;
    static Graph torchNet;
    static INDArray torchInput;
    static final int[] TARGETS = {1, 3};

    static Path fixture(String name) {
        var url = CamFamilyTest.class.getResource("/cam/" + name);
        assertThat(url).as("test resource /cam/" + name).isNotNull();
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static INDArray npy(String name) {
        return Npy.read(fixture(name + ".npy")).castTo(D);
    }

    /** The fixture script's Net, from its state dict: same names as the torch modules. */
    @BeforeAll
    static void loadTorchNet() {
        Map<String, INDArray> p = Npy.readNpz(fixture("model.npz"));
        torchNet = Graph.builder(Shape.of(3, 13, 11))
                .add("conv1", Conv2d.of(p.get("conv1.weight"), p.get("conv1.bias")).withPadding(1), "input")
                .add("bn1", new BatchNorm(p.get("bn1.weight"), p.get("bn1.bias"), p.get("bn1.running_mean"),
                        p.get("bn1.running_var"), 1e-5), "conv1")
                .add("relu1", new Relu(), "bn1")
                .add("pool1", MaxPool2d.of(2, 2), "relu1")
                .add("conv2", Conv2d.of(p.get("conv2.weight"), p.get("conv2.bias")).withPadding(1), "pool1")
                .add("relu2", new Relu(), "conv2")
                .add("conv3", Conv2d.of(p.get("conv3.weight"), p.get("conv3.bias")), "relu2")
                .add("relu3", new Relu(), "conv3")
                .add("gap", new AdaptiveAvgPool2d(1, 1), "relu3")
                .add("flatten", new Flatten(), "gap")
                .add("fc1", Dense.of(p.get("fc1.weight").transpose().dup(), p.get("fc1.bias")), "flatten")
                .add("relu4", new Relu(), "fc1")
                .add("fc2", Dense.of(p.get("fc2.weight").transpose().dup(), p.get("fc2.bias")), "relu4")
                .build();
        torchInput = npy("input");
    }

    @Test
    void theJavaGraphIsTheTorchNet() {
        INDArray logits = Explainer.of(torchNet).precision(Precision.FLOAT64).forward(torchInput);
        assertThat(maxAbs(logits.sub(npy("logits")))).isLessThan(1e-12);
    }

    @Test
    void bilinearUpsamplingEqualsTorchInterpolate() {
        double worst = 0;
        for (String c : new String[]{"up_4x3_to_13x11", "up_5x7_to_16x9", "down_7x6_to_3x4", "one_1x1_to_5x4",
                "same_6x6"}) {
            INDArray in = npy("bilinear_" + c + "_in");
            INDArray expected = npy("bilinear_" + c + "_out");
            INDArray got = LayerMaps.bilinear(in, (int) expected.size(2), (int) expected.size(3));
            assertThat(got.shape()).as(c).isEqualTo(expected.shape());
            double d = maxAbs(got.sub(expected));
            assertThat(d).as(c).isLessThan(TORCH_TOL);
            worst = Math.max(worst, d);
        }
        System.out.println("bilinear vs torch: max |difference| " + worst);
    }

    @Test
    void gradCamAndGradCamPlusPlusEqualTorchAtEveryLayer() {
        double worst = 0;
        double worstRelative = 0;
        for (String layer : new String[]{"relu3", "conv1", "pool1"}) {
            GradCam gc = Methods.gradCam(torchNet).withPrecision(Precision.FLOAT64).withLayer(layer);
            Attributions signed = gc.withRelu(false).attribute(torchInput, TARGETS);
            Attributions relu = gc.attribute(torchInput, TARGETS);
            Attributions pp = Methods.gradCamPlusPlus(torchNet).withPrecision(Precision.FLOAT64).withLayer(layer)
                    .attribute(torchInput, TARGETS);
            INDArray[][] pairs = {
                    {signed.extras().get("layer-map"), npy("grad_cam_" + layer + "_layer")},
                    {relu.attribution(), npy("grad_cam_" + layer + "_up")},
                    {pp.extras().get("layer-map"), npy("grad_cam_pp_" + layer + "_layer")},
                    {pp.attribution(), npy("grad_cam_pp_" + layer + "_up")}};
            for (INDArray[] pair : pairs) {
                assertThat(pair[0].shape()).as(layer).isEqualTo(pair[1].shape());
                double d = maxAbs(pair[0].sub(pair[1]));
                double scale = maxAbs(pair[1]);
                assertThat(scale).as("a non-empty reference map at " + layer).isGreaterThan(0);
                // absolute as asked, and relative: the maps at conv1 are ~1e-4 in size
                assertThat(d).as(layer).isLessThan(TORCH_TOL).isLessThan(1e-9 * scale);
                worst = Math.max(worst, d);
                worstRelative = Math.max(worstRelative, d / scale);
            }
            assertThat(relu.targets()).containsExactly(TARGETS);
        }
        System.out.println("grad-cam, grad-cam++ vs torch: max |difference| " + worst + ", relative to the map's max "
                + worstRelative);
    }

    @Test
    void guidedGradCamEqualsTorch() {
        Attributions a = Methods.guidedGradCam(torchNet).withPrecision(Precision.FLOAT64)
                .attribute(torchInput, TARGETS);
        assertThat(a.extras().get("layer-map").shape()).containsExactly(2, 1, 4, 3);
        double gb = maxAbs(a.extras().get("guided-backprop").sub(npy("guided_backprop")));
        double ggc = maxAbs(a.attribution().sub(npy("guided_grad_cam_relu3")));
        assertThat(gb).isLessThan(TORCH_TOL).isLessThan(1e-9 * maxAbs(npy("guided_backprop")));
        assertThat(ggc).isLessThan(TORCH_TOL).isLessThan(1e-9 * maxAbs(npy("guided_grad_cam_relu3")));
        System.out.println("guided backprop, guided grad-cam vs torch: max |difference| " + gb + ", " + ggc);
    }

    @Test
    void theDefaultLayerIsTheLastSpatialNodeAndConvOutputsAreTakenBeforeBatchNorm() {
        assertThat(Methods.gradCam(torchNet).layer()).isEqualTo("relu3");
        // conv1 feeds bn1: its map is the convolution's own output (the torch hook on conv1 above agrees), which
        // differs from the BatchNorm's
        INDArray conv1 = Methods.gradCam(torchNet).withPrecision(Precision.FLOAT64).withLayer("conv1").withRelu(false)
                .attribute(torchInput, TARGETS).extras().get("layer-map");
        INDArray bn1 = Methods.gradCam(torchNet).withPrecision(Precision.FLOAT64).withLayer("bn1").withRelu(false)
                .attribute(torchInput, TARGETS).extras().get("layer-map");
        assertThat(maxAbs(conv1.sub(bn1))).isGreaterThan(0.1 * maxAbs(conv1));
    }

    /** conv → relu → conv → relu → (pool) → flatten → dense: the CAM architecture, with a bias. */
    private static Graph gapNet(boolean adaptive) {
        return Graph.builder(Shape.of(2, 9, 7))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3).muli(0.5), randn(2, 3).muli(0.1)).withPadding(1), "input")
                .add("r1", new Relu(), "c1")
                .add("c2", Conv2d.of(randn(3, 5, 3, 3, 3).muli(0.4), randn(4, 5).muli(0.1)).withStride(2), "r1")
                .add("r2", new Relu(), "c2")
                .add("gap", adaptive ? new AdaptiveAvgPool2d(1, 1) : new GlobalAvgPool(), "r2")
                .add("flat", new Flatten(), "gap")
                .add("fc", Dense.of(randn(5, 5, 4), randn(6, 4).muli(0.1)), "flat")
                .build();
    }

    @Test
    void gradCamOnAGapDenseNetworkIsCamOverTheNumberOfPositions() {
        INDArray x = randn(7, 3, 2, 9, 7);
        for (boolean adaptive : new boolean[]{false, true}) {
            Graph g = gapNet(adaptive);
            Cam cam = Methods.cam(g).withPrecision(Precision.FLOAT64);
            GradCam gc = Methods.gradCam(g).withPrecision(Precision.FLOAT64);
            assertThat(cam.layer()).isEqualTo("r2");
            assertThat(gc.layer()).isEqualTo("r2");
            for (int c = 0; c < 4; c++) {
                Attributions a = cam.attribute(x, c);
                INDArray m = a.extras().get("layer-map");
                assertThat(m.shape()).containsExactly(3, 1, 4, 3);
                double hw = m.size(2) * m.size(3);
                INDArray signed = gc.withRelu(false).attribute(x, c).extras().get("layer-map");
                assertThat(maxAbs(signed.mul(hw).sub(m))).as("class %d", c).isLessThan(1e-12 * (1 + maxAbs(m)));
                Attributions relu = gc.attribute(x, c);
                assertThat(maxAbs(relu.extras().get("layer-map").mul(hw).sub(org.nd4j.linalg.ops.transforms.Transforms.max(m, 0, true))))
                        .isLessThan(1e-12 * (1 + maxAbs(m)));
                // CAM is the class score decomposed over positions: mean(M_c) + b_c = f_c
                INDArray f = a.logits();
                INDArray b = ((Dense) g.node("fc").orElseThrow().layer()).bias();
                for (int i = 0; i < 3; i++) {
                    double mean = m.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).meanNumber().doubleValue();
                    assertThat(mean + b.getDouble(c)).isCloseTo(f.getDouble(i, c),
                            org.assertj.core.data.Offset.offset(1e-12));
                }
                assertThat(a.attribution().shape()).containsExactly(3, 1, 9, 7);
                assertThat(maxAbs(a.attribution().sub(LayerMaps.bilinear(m, 9, 7)))).isZero();
            }
        }
    }

    @Test
    void aCamRequestOnAGraphWithoutGapDenseNamesTheTail() {
        Graph g = Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3), null).withPadding(1), "input")
                .add("r1", new Relu(), "c1")
                .add("p1", AvgPool2d.of(2, 2), "r1")
                .add("flat", new Flatten(), "p1")
                .add("fc", Dense.of(randn(2, 48, 4), null), "flat")
                .build();
        assertThatThrownBy(() -> Methods.cam(g)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("global average pooling")
                .hasMessageContaining("'r1' (Relu) → 'p1' (AvgPool2d) → 'flat' (Flatten) → 'fc' (Dense)");
        Graph noDense = Graph.builder(Shape.of(2, 8, 8))
                .add("c1", Conv2d.of(randn(1, 3, 2, 3, 3), null).withPadding(1), "input")
                .add("gap", new GlobalAvgPool(), "c1")
                .add("flat", new Flatten(), "gap")
                .build();
        assertThatThrownBy(() -> Methods.cam(noDense)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the input 'input' → 'c1' (Conv2d) → 'gap' (GlobalAvgPool) → 'flat' (Flatten)");
        // Grad-CAM takes it
        assertThat(Methods.gradCam(g).layer()).isEqualTo("p1");
    }

    @Test
    void unknownOrNonSpatialLayersAreRejectedWithTheCandidates() {
        assertThatThrownBy(() -> Methods.gradCam(torchNet).withLayer("conv9"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("grad-cam: the graph has no node named 'conv9'")
                .hasMessageContaining("[conv1, bn1, relu1, pool1, conv2, relu2, conv3, relu3, gap]");
        assertThatThrownBy(() -> Methods.gradCamPlusPlus(torchNet).withLayer("fc1"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("grad-cam-pp: layer 'fc1' outputs [N,6], not maps");
        Graph vector = Graph.sequential(6).dense("l1", randn(1, 6, 3), null).build();
        assertThatThrownBy(() -> Methods.guidedGradCam(vector)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("needs image inputs [N,C,H,W]; the input 'input' is [N,6]");
    }
}
