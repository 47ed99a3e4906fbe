/**
 * The paper's MNIST experiment (§6.1): pairs of real MNIST digits ({@link io.github.dtd4j.paper.MnistPairs}),
 * the two-layer detection-pooling network with a hand-written backward pass
 * ({@link io.github.dtd4j.paper.PairNet}, {@link io.github.dtd4j.paper.PairNetTrainer}), the heatmapping
 * methods it compares ({@link io.github.dtd4j.paper.Heatmapping}) and the figures and table of the demo
 * ({@link io.github.dtd4j.paper.PaperDemo}).
 */
package io.github.dtd4j.paper;
