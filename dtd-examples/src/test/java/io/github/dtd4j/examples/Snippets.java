package io.github.dtd4j.examples;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.ExplanationEngine;
import io.github.dtd4j.Ledger;
import io.github.dtd4j.LayerPropagation;
import io.github.dtd4j.Propagations;
import io.github.dtd4j.Selector;
import io.github.dtd4j.Start;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.eval.Randomisation;
import io.github.dtd4j.eval.RegionPerturbation;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.CustomLayer;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.methods.Attribution;
import io.github.dtd4j.methods.Attributions;
import io.github.dtd4j.methods.Methods;
import io.github.dtd4j.models.TorchVision;
import io.github.dtd4j.models.TorchVision.Options;
import io.github.dtd4j.models.Weights;
import io.github.dtd4j.onnx.OnnxModels;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.Rules;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.LinearRule;
import io.github.dtd4j.spi.NodeContext;
import io.github.dtd4j.spi.Rule;
import io.github.dtd4j.spi.RuleContext;
import io.github.dtd4j.viz.ColorMap;
import io.github.dtd4j.viz.Heatmaps;
import io.github.dtd4j.viz.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.github.dtd4j.spark.CorpusStatistics;
import io.github.dtd4j.spark.ImageSpec;
import io.github.dtd4j.spark.MethodSpec;
import io.github.dtd4j.spark.SparkExplainer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every Java example of the README, the docs and the library's javadoc, as compiled code: {@link SnippetsTest}
 * checks that each example in those files appears here word for word (white space aside), so an example that no
 * longer compiles fails the build. Each method holds the examples of one place; its parameters are the variables
 * the example assumes.
 */
@SuppressWarnings({"unused", "resource"})
final class Snippets {
    private Snippets() {
    }

    // ------------------------------------------------------------------ README.md

    /** docs/compiled-engine.md: LRP compiled into one ONNX graph, on ONNX Runtime. */
    static void compiledEngine(Graph model, INDArray x) {
        try (Explainer dtd = Explainer.of(model).preset(Presets.dtd(Rules.zBoxImageNet()))
                .engine(ExplanationEngine.ONNX_RUNTIME)) {          // compiled at the first explanation
            Explanation e = dtd.explain(x);                        // the same API, the same checks of x
            INDArray heatmap = e.heatmap();
            Ledger ledger = e.ledger();                             // the same sums (no per-node timings)
        }
    }

    static void readmeFiveLines(INDArray w1, INDArray b1, INDArray w2, INDArray b2, INDArray x) {
        Graph net = Graph.sequential(1568)                  // 28×56 pixels, flattened
            .dense("detect1", w1, b1).relu().sumPool(4)     // 400 detectors, pooled into 100
            .dense("detect2", w2, b2).relu().sumPool(400)   // 400 detectors, pooled into the output
            .build();
        Explanation e = Explainer.of(net).preset(Presets.dtd(-0.5, 1.5)).explain(x);
    }

    static void readmeSelectors(Graph graph, INDArray batch) {
        Explainer ex = Explainer.of(graph)
            .rule(Rules.Z_PLUS)                                  // every Dense and Conv2d ...
            .rule(Selector.dense(), Rules.epsilon(0.25))         // ... dense layers: ε
            .rule(Selector.name("features.0"), Rules.zBoxImageNet())
            .precision(Precision.FLOAT64);                       // float32 by default
        System.out.println(ex.coverage());                      // which propagation each node gets, and why
        try (Explanation e = ex.explain(batch, new int[]{281, 285})) {   // one class per batch element
            System.out.println(e.ledger().toJson());
        }
    }

    static void readmeOnnx(INDArray image) {
        Graph net = OnnxModels.load(Path.of("resnet50.onnx"));          // a final Softmax is removed and recorded
        Explanation e = Explainer.of(net)
            .preset(Presets.dtd(Rules.zBoxImageNet()))
            .explain(image);                                            // [1,3,224,224], ImageNet-normalised
    }

    static void readmeDl4j(ComputationGraph computationGraph, INDArray x) {
        Graph net = Dl4jModels.from(computationGraph, Shape.of(3, 224, 224));
        Explanation e = Explainer.of(net).preset(Presets.dtd(Rules.zBox(0, 1))).explain(x);
    }

    static void readmeEveryNode(Graph graph, INDArray x, INDArray contrast, INDArray r4) {
        Explainer ex = Explainer.of(graph)
            .rule(Rules.Z_PLUS)
            .rule(Selector.kind(Add.class), Propagations.proportionalPositive())   // z⁺ at residual sums only
            .rule(Selector.namePattern("layer4\\..*"), Rules.epsilon(0.25))         // a block by name pattern
            .rule(Selector.where("wide convolutions", n -> n.inputShapes().get(0).dim(0) >= 512), Rules.ALPHA2_BETA1);
        Explanation a = ex.explain(x, contrast);                       // [N,K] start relevance: class A against B
        Explanation b = ex.explain(x, Start.relevance("layer4", r4)); // start at an intermediate node
        Explanation c = ex.stopAt("layer4").explain(x);                // relevance at layer4's output
    }

    // ------------------------------------------------------------------ docs/howto-torchvision.md

    static void howtoNpz(INDArray image) {
        Graph net = TorchVision.resnet50(Weights.fromNpz(Path.of("resnet50.npz")));
        Explainer ex = Explainer.of(net)
            .preset(Presets.dtd(Rules.zBoxImageNet()));
        try (Explanation e = ex.explain(image)) {       // image: [1,3,224,224], normalised like torchvision
            INDArray heatmap = e.heatmap();             // [1,224,224]
        }
    }

    static void howtoPositiveSplit(Graph net) {
        Explainer ex = Explainer.of(net)
            .preset(Presets.dtd(Rules.zBoxImageNet()))
            .sumSplit(SumSplit.POSITIVE);                 // CLI: --sum-split positive
    }

    // ------------------------------------------------------------------ docs/howto-modern-architectures.md

    static void howtoVit(INDArray images) {
        Graph vit = OnnxModels.load(Path.of("models/fashion-mnist/vit.onnx"));
        Explainer ex = Explainer.of(vit)
                .preset(Presets.dtd(Rules.zBox(0, 1)))                       // z^B on the first layer, z⁺ above
                .rule(Selector.kind(Dense.class), Rules.gamma(0.25));       // γ on every dense layer
        try (Explanation e = ex.explain(images)) {                          // [N,1,28,28], pixels in [0,1]
            INDArray heatmaps = e.inputRelevance();                         // same shape
            System.out.println(e.ledger());                                  // where the logit went, layer by layer
        }
    }

    // ------------------------------------------------------------------ docs/tutorial.md

    static void tutorialNetwork(INDArray w1, INDArray b1, INDArray w2, INDArray b2, INDArray x) {
        Graph net = Graph.sequential(1568)                  // 28×56 pixels, flattened
            .dense("detect1", w1, b1).relu().sumPool(4)     // 400 detectors, pooled into 100
            .dense("detect2", w2, b2).relu().sumPool(400)   // 400 detectors, pooled into the output
            .build();
        Explainer ex = Explainer.of(net).preset(Presets.dtd(-0.5, 1.5));
        System.out.println(ex.coverage());
        try (Explanation e = ex.explain(x)) {          // x: [N, 1568]; explains the top class of each row
            INDArray r = e.inputRelevance();           // [N, 1568], one relevance per pixel
            double f = e.explainedScores()[0];         // f(x) of the explained class
            System.out.println(e.ledger());
        }
    }

    static void tutorialSelectors(Graph graph) {
        Explainer ex = Explainer.of(graph)
            .rule(Rules.Z_PLUS)                                   // every linear layer ...
            .rule(Selector.dense(), Rules.epsilon(0.25))          // ... dense layers: ε
            .rule(Selector.first(), Rules.zBoxImageNet())
            .rule(Selector.name("classifier.6"), Rules.LRP_0);   // one layer by name
    }

    // ------------------------------------------------------------------ dtd-dl4j/README.md

    static void dl4jReadme(MultiLayerNetwork net, INDArray x) {
        Graph g = Dl4jModels.from(net, Shape.of(3, 224, 224));   // MultiLayerNetwork or ComputationGraph
        Graph z = Dl4jModels.load(Path.of("model.zip"), Shape.of(3, 224, 224));
        Graph k = Dl4jModels.loadKeras(Path.of("model.h5"));      // input shape taken from the Keras model
        Explanation e = Explainer.of(g).preset(Presets.dtd(-1, 1)).explain(x);
    }

    // ------------------------------------------------------------------ javadoc

    static void explainerJavadoc(Graph graph, INDArray x) {
        Explanation e = Explainer.of(graph)
            .rule(Rules.Z_PLUS)                            // every Dense and Conv2d ...
            .rule(Selector.first(), Rules.zBox(-0.5, 1.5)) // ... but the first one
            .explain(x);                                   // top class of each batch element
        INDArray heatmap = e.heatmap();
    }

    static void layerPropagationJavadoc(INDArray w, INDArray b, INDArray x, INDArray upperRelevance) {
        var r = LayerPropagation.apply(Dense.of(w, b), x, upperRelevance, Rules.Z_PLUS);
        INDArray lower = r.relevance();   // shaped like x
    }

    static void propagationsJavadoc(Graph graph) {
        Explainer.of(graph).rule(Rules.Z_PLUS)
            .rule(Selector.kind(Add.class), Propagations.proportionalPositive())   // z⁺ at residual sums only
            .rule(Selector.name("features.4"), Propagations.maxPoolAsSum());       // one max-pool as a sum-pool
    }

    static void startJavadoc(Explainer explainer, INDArray x, INDArray r, INDArray r4) {
        explainer.explain(x, Start.topClass());                        // the logit of each element's top class
        explainer.explain(x, Start.classes(281, 285));                  // one class per batch element
        explainer.explain(x, Start.oneHot());                           // 1 at the top class (gradients)
        explainer.explain(x, Start.relevance(r));                       // [N,K] at the output: soft targets, contrasts
        explainer.explain(x, Start.relevance("layer4", r4));            // relevance given at an intermediate node
    }

    static void graphJavadoc(INDArray w1, INDArray b1, INDArray w2, INDArray b2) {
        Graph net = Graph.sequential(1568)
            .dense("detect1", w1, b1).relu().sumPool(4)
            .dense("detect2", w2, b2).relu().sumPool(400)
            .build();
    }

    // LRP-0 in four lines: q_ij = x_i w_ij, d_j = Σ_i q_ij + b_j
    record Lrp0() implements LinearRule {
        public String name() { return "lrp0"; }
        public INDArray propagate(RuleContext ctx) {
            LinearLayer l = ctx.layer();
            INDArray s = ctx.divide(ctx.relevance(), l.forward(ctx.input(), l.weight()), ctx.bias());
            return ctx.input().mul(l.transpose(s, l.weight()));
        }
    }

    /** The layer kind {@link PassGate} serves: y = x · g, g a constant of the layer. */
    record Gate(INDArray g) implements CustomLayer {
        @Override
        public Shape outputShape(String node, List<Shape> inputs) {
            return inputs.get(0);
        }

        @Override
        public INDArray forward(List<INDArray> inputs) {
            return inputs.get(0).mul(g);
        }
    }

    // relevance at a gate y = x · g (g a constant of the layer) goes to x unchanged, as Zennit's Pass rule does
    record PassGate() implements Rule {
        public String name() { return "pass (gate)"; }
        public boolean accepts(Layer layer) { return layer instanceof Gate; }
        public List<INDArray> propagate(NodeContext ctx) { return List.of(ctx.relevance().dup()); }
    }

    static void dl4jJavadoc(MultiLayerNetwork net, INDArray x) {
        Graph g = Dl4jModels.from(net, Shape.of(3, 224, 224));   // a MultiLayerNetwork or ComputationGraph
        Explanation e = Explainer.of(g).preset(Presets.dtd(-2.2, 2.7)).explain(x);
    }

    static void torchVisionJavadoc() {
        Graph vgg = TorchVision.vgg16(Weights.fromNpz(Path.of("vgg16.npz")));
        Graph tiny = TorchVision.resnet18(Weights.random(1), Options.imageNet().withWidthDivisor(8).withInput(3, 64, 64));
    }

    static void onnxJavadoc(INDArray x) {
        Graph net = OnnxModels.load(Path.of("resnet18.onnx"));
        Explanation e = Explainer.of(net).preset(Presets.dtd(0, 1)).explain(x);
    }

    static Explainer rulesJavadoc(Graph model) {
        return Explainer.of(model).rule(Rules.Z_PLUS).rule(Selector.first(), Rules.zBox(-0.5, 1.5))
        ;
    }

    static void heatmapsJavadoc(Explanation e, INDArray x) {
        BufferedImage h = Heatmaps.render(e.inputRelevance(), ColorMap.RED_BLUE, Heatmaps.Scale.maxAbs());
        Heatmaps.writePng(Heatmaps.panels(List.of(Images.toImage(x, 0, 1), h)), Path.of("out.png"));
    }

    static void attributionJavadoc(Graph graph, INDArray x) {
        Attribution ig = Methods.integratedGradients(graph).withSteps(32);
        try (Attributions a = ig.attribute(x)) {               // the top class of each batch element
            INDArray map = a.attribution();                    // shaped like x
            double[] gap = a.convergenceDelta().orElseThrow(); // Σ attribution − (f(x) − f(baseline))
        }
    }

    static void methodsJavadoc(Graph graph, INDArray x) {
        List<Attribution> methods = List.of(
            Methods.lrp(Explainer.of(graph).preset(Presets.dtd(0, 1))),
            Methods.gradient(graph),
            Methods.integratedGradients(graph).withSteps(64),
            Methods.smoothGrad(graph).withSamples(20).withSeed(7));
        for (Attribution m : methods) {
            try (Attributions a = m.attribute(x)) {
                System.out.println(m.name() + " (" + m.settings() + "): " + a.attribution().sumNumber());
            }
        }
    }

    static void regionPerturbationJavadoc(Graph graph, INDArray x) {
        RegionPerturbation rp = RegionPerturbation.of(graph).withPatch(2).withSteps(100);
        RegionPerturbation.Result lrp = rp.evaluate(Methods.lrp(Explainer.of(graph).preset(Presets.epsilonZPlus(0.25))), x);
        RegionPerturbation.Result random = rp.randomOrder(x, 7);
        double gain = lrp.aopcMorf() - random.aopcMorf();
    }

    static void randomisationJavadoc(Graph graph, INDArray x) {
        Randomisation.Result r = Randomisation.of(graph).evaluate(Methods::gradient, x);
        boolean fails = r.spearman()[r.stages().size() - 1] > 0.5;
    }

    static void sparkDocs(SparkSession spark) {
        Dataset<Row> pictures = spark.read().format("binaryFile")
                .option("pathGlobFilter", "*.{png,jpg,jpeg}").option("recursiveFileLookup", "true")
                .load("hdfs:///claims/photos/");
        Dataset<Row> explained = SparkExplainer.of(spark, Path.of("resnet50.onnx"))   // read and checked on the driver
                .method(MethodSpec.of("lrp", Map.of("preset", "epsilon-zplus")))          // dtd explain's names
                .images(ImageSpec.imagenet())                                           // torchvision's preprocessing
                .batchSize(16)
                .png(true)                                                               // also a PNG of each heatmap
                .aopc(50)                                                                // region perturbation per row
                .explain(pictures);
        explained.write().partitionBy("class").parquet("hdfs:///claims/explained.parquet");
        CorpusStatistics.perClass(explained).show();                  // images, correct, mean logit, relevance, AOPC
        CorpusStatistics.atlas(explained).write().parquet("hdfs:///claims/atlas.parquet");  // mean heatmap per class
    }

    static void sparkJavadoc(SparkSession spark) {
        Dataset<Row> pictures = spark.read().format("binaryFile").load("photos/");
        Dataset<Row> explained = SparkExplainer.of(spark, Path.of("resnet50.onnx"))
                .method(MethodSpec.of("lrp", Map.of("preset", "epsilon-zplus")))
                .explain(pictures);
        explained.write().parquet("explained.parquet");
    }
}
