package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.errors.ModelFormatException;
import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.graph.Graph;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ONNX importer's entry point, behind {@link io.github.dtd4j.onnx.OnnxModels}: {@link ModelReader} checks the
 * file, then a {@link Conversion} folds constants ({@link ConstantFolder}), converts nodes ({@link ConverterRegistry})
 * and fuses them ({@link #REWRITES}) into the graph.
 */
public final class OnnxImport {
    /** The lowest default-domain opset the importer accepts. */
    public static final long MIN_OPSET = 11;
    /** The highest default-domain opset the importer accepts. */
    public static final long MAX_OPSET = 17;

    /** The fusions, in the order each emitted node is offered to them. */
    static final List<Rewrite> REWRITES = List.of(new PadFolding(), new BiasFolding(), new SumPoolLowering());

    private static final ConverterRegistry CONVERTERS = ConverterRegistry.standard();
    private static final ConstantFolder FOLDER = ConstantFolder.standard();
    private static final Set<String> OPERATORS = operators();

    private OnnxImport() {
    }

    private static Set<String> operators() {
        Set<String> all = new TreeSet<>(CONVERTERS.operators());
        all.addAll(FOLDER.operators());
        all.remove(AttentionFusion.OPERATOR); // made by a fusion, never in a model file
        return Collections.unmodifiableSet(all);
    }

    /** {@return every default-domain operator the importer converts or evaluates, sorted} */
    public static Set<String> supportedOperators() {
        return OPERATORS;
    }

    /**
     * Imports a serialised model.
     *
     * @param bytes   the serialised {@code ModelProto}; not modified
     * @param source  the model's name in messages: a file name, "(bytes)" or "(stream)"
     * @param baseDir the directory external data files are resolved against; null when the model came from memory
     * @return the layer graph
     * @throws ModelFormatException      if the bytes are not a well-formed ONNX model
     * @throws UnsupportedModelException listing every node dtd4j cannot represent
     */
    public static Graph load(byte[] bytes, String source, Path baseDir) {
        Problems problems = new Problems(source);
        ValidatedModel model = ModelReader.read(bytes, problems);
        return new Conversion(model, problems, new OnnxTensors(source, baseDir), CONVERTERS, FOLDER, REWRITES)
                .run();
    }
}
