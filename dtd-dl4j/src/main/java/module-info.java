/** Imports DL4J networks, model zips and Keras .h5 files into dtd4j's layer graph: {@link io.github.dtd4j.dl4j.Dl4jModels}. */
module io.github.dtd4j.dl4j {
    requires transitive io.github.dtd4j.core;
    requires transitive deeplearning4j.nn;
    requires deeplearning4j.modelimport;
    requires jackson;
    requires org.bytedeco.hdf5;

    exports io.github.dtd4j.dl4j;
}
