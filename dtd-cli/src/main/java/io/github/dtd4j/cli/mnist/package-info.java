/**
 * The paper's MNIST experiment (§6.1): pairs of real MNIST digits ({@link io.github.dtd4j.cli.mnist.MnistPairs}),
 * the two-layer detection-pooling network with a hand-written backward pass
 * ({@link io.github.dtd4j.cli.mnist.PairNet}, {@link io.github.dtd4j.cli.mnist.PairNetTrainer}), the heatmapping
 * methods it compares ({@link io.github.dtd4j.cli.mnist.Heatmapping}) and the figures and table of the demo
 * ({@link io.github.dtd4j.cli.mnist.PaperDemo}).
 */
package io.github.dtd4j.cli.mnist;
