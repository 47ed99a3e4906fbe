package io.github.dtd4j.dl4j;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.SumSplit;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.rules.Presets;
import io.github.dtd4j.rules.ReferenceGraph;
import io.github.dtd4j.rules.Rules;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class ComputationGraphImportTest {

    /**
     * stem conv → residual block (conv-BN-relu-conv-BN, Add with the stem, relu) → two branches (1x1 conv, 3x3
     * max-pool Same) merged on channels → global average pooling → dense relu → softmax output.
     */
    static ComputationGraph residualMergeNet() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(17)
                .weightInit(WeightInit.XAVIER).activation(Activation.IDENTITY)
                .convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutional(12, 12, 3))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(8)
                        .activation(Activation.RELU).build(), "image")
                .addLayer("res_a", new ConvolutionLayer.Builder(3, 3).nOut(8).build(), "stem")
                .addLayer("res_a_bn", new BatchNormalization.Builder().build(), "res_a")
                .addLayer("res_a_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "res_a_bn")
                .addLayer("res_b", new ConvolutionLayer.Builder(3, 3).nOut(8).build(), "res_a_relu")
                .addLayer("res_b_bn", new BatchNormalization.Builder().build(), "res_b")
                .addVertex("res_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "res_b_bn", "stem")
                .addLayer("res_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "res_add")
                .addLayer("branch_conv", new ConvolutionLayer.Builder(1, 1).nOut(5).activation(Activation.RELU)
                        .build(), "res_relu")
                .addLayer("branch_pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3)
                        .stride(1, 1).build(), "res_relu")
                .addVertex("merge", new MergeVertex(), "branch_conv", "branch_pool")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "merge")
                .addLayer("fc", new DenseLayer.Builder().nOut(10).activation(Activation.RELU).build(), "gap")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "fc")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 23);
        return net;
    }

    @Test
    void residualAddAndMergeMatchDl4jAndExplain() {
        ComputationGraph net = residualMergeNet();
        INDArray before = net.params().dup();
        Graph g = Dl4jModels.from(net, Shape.of(3, 12, 12));

        assertThat(g.inputName()).isEqualTo("image");
        assertThat(g.node("res_add").orElseThrow().layer()).isInstanceOf(Add.class);
        assertThat(g.node("res_add").orElseThrow().inputs()).containsExactly("res_b_bn", "stem/relu");
        assertThat(g.node("merge").orElseThrow().layer()).isEqualTo(Concat.channels());
        assertThat(g.shapeOf("merge")).isEqualTo(Shape.of(13, 6, 6));
        assertThat(g.outputName()).isEqualTo("out");
        assertThat(g.provenance().get("removed")).contains("softmax of 'out'");

        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 3, 12, 12).muli(2).subi(1);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), Dl4jReference.logits(net, x), 1e-4);

        Explanation e = Dl4jReference.assertDtdMatchesTheReference(g, x, -1, 1);
        assertThat(e.ledger().entry("res_add")).isPresent();
        assertThat(net.params().equals(before)).isTrue();
        assertThat(TestNets.maxAbsDiff(net.params(), before)).isZero();
    }

    /**
     * The "done means" for DL4J: the imported ComputationGraph (residual Add, merge, Same-mode padding,
     * BatchNorm folded) explained with DTD gives the heatmap of the whole-graph loop reference written from
     * the formulas of docs/conventions.md ({@link ReferenceGraph}), for the signed and the positive split at the Add.
     */
    @Test
    void residualGraphHeatmapEqualsTheLoopReference() {
        Graph g = Dl4jModels.from(residualMergeNet(), Shape.of(3, 12, 12));
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 3, 12, 12).muli(2).subi(1);
        for (SumSplit split : SumSplit.values()) {
            Explainer ex = Explainer.of(g).preset(Presets.dtd(Rules.zBox(-1, 1))).sumSplit(split)
                    .precision(Precision.FLOAT64);
            try (Explanation e = ex.explain(x)) {
                double[][] ref = ReferenceGraph.inputRelevance(ex.compiledGraph(), x, e.targets(), "stem", -1, 1,
                        split == SumSplit.POSITIVE, 1e-6);
                ReferenceGraph.assertAgrees(split + " split", e.inputRelevance(), ref, 1e-9, true);
            }
        }
    }

    @Test
    void denseOnlyGraphInfersItsInputAndMergesVectors() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5)
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(6).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("b", new DenseLayer.Builder().nIn(6).nOut(3).activation(Activation.IDENTITY).build(), "in")
                .addVertex("ab", new MergeVertex(), "a", "b")
                .addLayer("c", new DenseLayer.Builder().nIn(7).nOut(7).activation(Activation.IDENTITY).build(), "ab")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "ab", "c", "ab")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(7).nOut(2)
                        .activation(Activation.IDENTITY).build(), "sum")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        TestNets.randomizeBiasesAndNorms(net.paramTable(), 6);
        Graph g = Dl4jModels.from(net);
        assertThat(g.inputShape()).isEqualTo(Shape.of(6));
        assertThat(g.node("sum").orElseThrow().inputs()).containsExactly("ab", "c", "ab");
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 6);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.outputSingle(false, x), 1e-5);
    }

    @Test
    void auxiliaryNodeNamesNeverClashWithDl4jNames() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5)
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("a/relu", new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.RELU).build(), "a")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build(), "a/relu")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        Graph g = Dl4jModels.from(net);
        assertThat(g.node("a/relu").orElseThrow().layer()).isInstanceOf(io.github.dtd4j.graph.Dense.class);
        assertThat(g.node("a/relu_2").orElseThrow().inputs()).containsExactly("a");
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 4);
        Dl4jReference.assertClose(io.github.dtd4j.rules.Forwards.output(g, x), net.outputSingle(false, x), 1e-5);
    }
}
