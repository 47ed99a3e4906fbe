/**
 * Converts DL4J {@code MultiLayerNetwork} and {@code ComputationGraph} models, DL4J model zips and Keras {@code .h5}
 * files (through DL4J's Keras importer) into dtd4j layer graphs: {@link io.github.dtd4j.dl4j.Dl4jModels}.
 */
package io.github.dtd4j.dl4j;
