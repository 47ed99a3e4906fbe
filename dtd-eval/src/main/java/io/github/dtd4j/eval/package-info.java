/**
 * Measures of explanation quality that take any {@link io.github.dtd4j.methods.Attribution}: how much the model's
 * output falls when the most relevant regions are perturbed ({@link io.github.dtd4j.eval.RegionPerturbation}, Samek
 * et al. 2017, with AOPC and ABPC; {@link io.github.dtd4j.eval.Selectivity}, the tutorial's pixel flipping that
 * re-explains after every step), how much an explanation jumps when the input moves a little
 * ({@link io.github.dtd4j.eval.Continuity}), whether it changes when the model is destroyed
 * ({@link io.github.dtd4j.eval.Randomisation}, Adebayo et al. 2018), and whether it is conservative and positive
 * ({@link io.github.dtd4j.eval.Conservation}, the DTD paper's Definitions 1 and 2). Each metric is a small immutable
 * class whose javadoc holds its formula; every one runs the perturbed inputs of all images and steps through the
 * model as batches, in float32 or float64, and gives the same numbers for any batch size.
 */
package io.github.dtd4j.eval;
