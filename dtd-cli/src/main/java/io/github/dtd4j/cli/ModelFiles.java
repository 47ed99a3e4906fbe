package io.github.dtd4j.cli;

import io.github.dtd4j.dl4j.Dl4jModels;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.onnx.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a model file by its extension. */
final class ModelFiles {
    private ModelFiles() {
    }

    static Graph load(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new CliException(path + ": no such model file");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return OnnxModels.load(path);
        } else if (name.endsWith(".h5") || name.endsWith(".hdf5") || name.endsWith(".keras")) {
            return Dl4jModels.loadKeras(path);
        } else if (name.endsWith(".zip") || name.endsWith(".dl4j")) {
            return Dl4jModels.load(path);
        }
        throw new CliException(path + ": unknown model format; expected .onnx, a DL4J model .zip or a Keras .h5");
    }
}
