/**
 * The paper's MNIST experiment (§6.1). Two public entry points, behind {@code dtd demo} and {@code dtd train-mnist}:
 * {@link io.github.dtd4j.paper.PaperDemo#run PaperDemo.run} writes Fig. 5, Fig. 6 and Table 1 for the network and
 * the 64 test pairs shipped in this module's resources, and {@link io.github.dtd4j.paper.MnistTraining} makes those
 * shipped files from real MNIST digits. {@link io.github.dtd4j.paper.PaperDemo#shippedGraph PaperDemo.shippedGraph} and
 * {@link io.github.dtd4j.paper.PaperDemo#fig5Inputs PaperDemo.fig5Inputs} give the shipped network and Fig. 5's pairs
 * to other methods ({@code dtd compare}).
 *
 * <p>The rest is package-private: pairs of digits ({@code MnistPairs}), the two-layer detection-pooling network with
 * the hand-written backward pass of its training ({@code PairNet}), its training ({@code PairNetTrainer},
 * {@code Adam}), the min-max relevance model ({@code MinMaxModel}) and the heatmapping methods compared
 * ({@code Heatmapping}: sensitivity and nearest-root Taylor from dtd-methods, deep Taylor from the library's
 * explainer).
 */
package io.github.dtd4j.paper;
