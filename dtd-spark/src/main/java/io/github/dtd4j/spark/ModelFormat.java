package io.github.dtd4j.spark;

import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.OnnxModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The model files dtd-spark reads, as {@code dtd explain} reads them: ONNX, a DL4J model zip (whose input shape DL4J
 * does not keep for images: give it), a Keras .h5 (through DL4J's Keras importer; the executors need HDF5's natives,
 * which the spark-submit jar carries). The executors import the model from its bytes.
 */
enum ModelFormat {
    /** {@code .onnx}. */
    ONNX,
    /** A DL4J {@code ModelSerializer} zip ({@code .zip}, {@code .dl4j}). */
    DL4J,
    /** A Keras 1/2 HDF5 file ({@code .h5}, {@code .hdf5}, {@code .keras}). */
    KERAS;

    /** {@return the format of a model file, by its extension} @throws ConfigurationException for another one */
    static ModelFormat of(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return ONNX;
        }
        if (name.endsWith(".zip") || name.endsWith(".dl4j")) {
            return DL4J;
        }
        if (name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras")) {
            return KERAS;
        }
        throw new ConfigurationException("dtd-spark: " + file + ": unknown model format; expected .onnx, a DL4J model"
                + " .zip or a Keras .h5");
    }

    /**
     * {@return the model's graph, frozen}
     *
     * @param bytes      the file's bytes
     * @param inputShape the per-sample input shape for a DL4J zip (null: from its configuration); for the other
     *                   formats null or equal to the file's own
     * @throws ConfigurationException if the input shape is missing where DL4J needs it, or differs from the file's
     */
    Graph load(byte[] bytes, Shape inputShape) {
        Graph g = switch (this) {
            case ONNX -> OnnxModels.load(bytes);
            case DL4J -> viaFile(bytes, ".zip", f -> {
                try {
                    return Dl4jModels.load(f, inputShape);
                } catch (io.github.dtd4j.errors.Dtd4jException e) {
                    if (inputShape == null && e.getMessage() != null
                            && e.getMessage().contains("cannot tell the input shape")) {
                        throw new ConfigurationException("dtd-spark: DL4J does not keep this model's input shape;"
                                + " give it (--input-shape C,H,W, or SparkExplainer.of(spark, model, shape))", e);
                    }
                    throw e;
                }
            });
            case KERAS -> viaFile(bytes, ".h5", Dl4jModels::loadKeras);
        };
        if (this != DL4J && inputShape != null && !inputShape.equals(g.inputShape())) {
            throw new ConfigurationException("dtd-spark: the input shape " + inputShape.toBatchString()
                    + " differs from the model's own " + g.inputShape().toBatchString()
                    + " (the shape is for DL4J zips, which do not keep it)");
        }
        return g.frozen();
    }

    /** DL4J and HDF5 read files: the bytes go to a temporary file, deleted after the import. */
    private static Graph viaFile(byte[] bytes, String suffix, java.util.function.Function<Path, Graph> load) {
        Path f = null;
        try {
            f = Files.createTempFile("dtd-spark-model", suffix);
            Files.write(f, bytes);
            return load.apply(f);
        } catch (IOException e) {
            throw new UncheckedIOException("dtd-spark: cannot write the model to a temporary file", e);
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
