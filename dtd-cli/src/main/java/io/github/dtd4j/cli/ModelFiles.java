package io.github.dtd4j.cli;

import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.onnx.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a model file by its extension. */
final class ModelFiles {
    private ModelFiles() {
    }

    static Graph load(Path path) {
        return load(path, null);
    }

    /**
     * {@return the model at a path, by its extension}
     *
     * @param path       .onnx, a DL4J model .zip or a Keras .h5
     * @param inputShape --input-shape ("C,H,W", the per-sample shape), or null: a DL4J zip's input shape, which DL4J
     *                   does not keep for images; for the other formats it must equal the file's own
     */
    static Graph load(Path path, String inputShape) {
        Shape shape = inputShape == null ? null : parseShape(inputShape);
        if (!Files.isRegularFile(path)) {
            throw new CliException(path + ": no such model file");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        Graph g;
        if (name.endsWith(".onnx")) {
            g = OnnxModels.load(path);
        } else if (name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras")) {
            g = Dl4jModels.loadKeras(path);
        } else if (name.endsWith(".zip") || name.endsWith(".dl4j")) {
            try {
                return loaded(Dl4jModels.load(path, shape));
            } catch (io.github.dtd4j.errors.Dtd4jException e) {
                if (shape == null && e.getMessage() != null && e.getMessage().contains("cannot tell the input shape")) {
                    throw new CliException(path + ": DL4J does not keep this model's input shape; give it with "
                            + "--input-shape C,H,W (e.g. --input-shape 3,224,224)");
                }
                throw e;
            }
        } else {
            throw new CliException(path + ": unknown model format; expected .onnx, a DL4J model .zip or a Keras .h5");
        }
        if (shape != null && !shape.equals(g.inputShape())) {
            throw new CliException("--input-shape " + inputShape + " differs from the model's own input "
                    + g.inputShape().toBatchString() + " (the option is for DL4J zips, which do not keep it)");
        }
        return loaded(g);
    }

    /**
     * {@return the model as the commands use it: frozen (nobody else holds it, so explainers need no copy of its
     * weights)}, after a collection that returns the reading's garbage (the file's bytes, the parsed protobuf, the
     * arrays before transposes: 1.6 GB of heap for VGG16-BN) and the native memory of the arrays it dropped
     */
    private static Graph loaded(Graph g) {
        System.gc();
        return g.frozen();
    }

    /** {@return "C,H,W" (or any number of positive sizes) as a per-sample shape} @param spec the option's value */
    static Shape parseShape(String spec) {
        return Shape.of(positiveSizes("--input-shape", spec, "3,224,224"));
    }

    /**
     * {@return a comma-separated list of positive sizes}
     *
     * @param option  the option, for the message
     * @param spec    its value
     * @param example a valid value, for the message
     * @throws CliException for anything else
     */
    static long[] positiveSizes(String option, String spec, String example) {
        String[] parts = spec.split(",");
        long[] dims = new long[parts.length];
        try {
            for (int k = 0; k < parts.length; k++) {
                dims[k] = Long.parseLong(parts[k].strip());
                if (dims[k] < 1 || dims[k] > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new CliException(option + ": expected positive sizes such as " + example + ", got '" + spec + "'");
        }
        return dims;
    }
}
