package io.github.dtd4j.dl4j;

import io.github.dtd4j.errors.UnsupportedModelException;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.errors.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Converts DL4J networks, DL4J model files and Keras {@code .h5} files (through DL4J's Keras importer) into dtd4j
 * {@link Graph}s, so that they can be explained.
 *
 * <pre>{@code
 * Graph g = Dl4jModels.from(net, Shape.of(3, 224, 224));   // a MultiLayerNetwork or ComputationGraph
 * Explanation e = Explainer.of(g).preset(Presets.dtd(-2.2, 2.7)).explain(x);
 * }</pre>
 *
 * <p><b>Supported</b>: {@code DenseLayer} and {@code OutputLayer} (identity or ReLU activation; softmax at the
 * network's output is removed, the graph outputs the logits, and the provenance says so), {@code ConvolutionLayer}
 * (Truncate, Same, Strict; dilation; with or without bias), {@code SubsamplingLayer} (max, average),
 * {@code GlobalPoolingLayer} (average; max over 1x1), {@code BatchNormalization}, {@code ActivationLayer} (identity,
 * ReLU, final softmax), {@code LossLayer} (same), {@code ZeroPaddingLayer} (folded into the following convolution or
 * pooling), {@code DropoutLayer}, frozen layers, the {@code CnnToFeedForward} and {@code FeedForwardToCnn}
 * preprocessors, {@code ElementWiseVertex} Add, {@code MergeVertex} and {@code PreprocessorVertex}. Anything else
 * raises one {@link UnsupportedModelException} that lists every unsupported part.
 *
 * <p><b>Names</b>: a ComputationGraph's nodes keep the DL4J vertex names; a MultiLayerNetwork's are
 * {@code layer0, layer1, ...}, followed by {@code _name} when the layer has a name. Extra nodes are named after
 * their layer: {@code conv1/relu} for an activation, {@code dense1/flatten} for a preprocessor.
 *
 * <p><b>Shapes</b> are channels-first, as everywhere in dtd4j. A network built in NHWC layout (as DL4J imports
 * Keras {@code channels_last} models) becomes the equivalent NCHW graph: pass it {@code x.permute(0,3,1,2)}; the
 * graph's provenance says so.
 *
 * <p><b>Input shape</b>: DL4J does not keep a network's {@code InputType} after building it. For networks that
 * start with a dense layer, or with a preprocessor that records the image size, the shape follows from the
 * configuration; for convolutional networks pass it, e.g. {@code Shape.of(3, 224, 224)}. A shape that disagrees
 * with the sizes DL4J recorded in its flatten preprocessors is reported where they disagree.
 *
 * <p>The network is never modified: every parameter is copied.
 */
public final class Dl4jModels {
    private static final String MLN_INPUT = "input";

    private Dl4jModels() {
    }

    /**
     * {@return the graph of a MultiLayerNetwork whose input shape follows from its configuration}
     *
     * @param net an initialised network; not modified
     * @throws UnsupportedModelException listing every unsupported layer
     * @throws Dtd4jException            if the input shape cannot be told from the configuration
     */
    public static Graph from(MultiLayerNetwork net) {
        return from(net, null);
    }

    /**
     * {@return the graph of a MultiLayerNetwork}
     *
     * @param net        an initialised network; not modified
     * @param inputShape the per-sample input shape, channels first ({@code [C,H,W]} or {@code [D]}); null to take it
     *                   from the configuration
     * @throws UnsupportedModelException listing every unsupported layer
     */
    public static Graph from(MultiLayerNetwork net, Shape inputShape) {
        Objects.requireNonNull(net, "net");
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        if (net.getLayers() == null || net.params() == null) {
            throw new Dtd4jException("the MultiLayerNetwork is not initialised: call net.init() first");
        }
        int n = conf.getConfs().size();
        List<Converter.Source> sources = new ArrayList<>(n);
        String previous = MLN_INPUT;
        for (int i = 0; i < n; i++) {
            org.deeplearning4j.nn.conf.layers.Layer layer = conf.getConf(i).getLayer();
            String name = mlnName(i, layer.getLayerName());
            sources.add(new Converter.Source(name, name, List.of(previous), layer, conf.getInputPreProcess(i),
                    params(net.getLayer(i).paramTable())));
            previous = name;
        }
        Shape shape = inputShape != null ? check(inputShape) : inferInputShape(sources, MLN_INPUT);
        String source = "DL4J MultiLayerNetwork (" + n + " layers, " + net.numParams() + " parameters, "
                + net.getLayerWiseConfigurations().getDataType() + ")";
        return new Converter(source, MLN_INPUT, shape, sources, previous).convert();
    }

    /**
     * {@return the graph of a ComputationGraph whose input shape follows from its configuration}
     *
     * @param net an initialised network with one input and one output; not modified
     * @throws UnsupportedModelException listing every unsupported layer and vertex
     * @throws Dtd4jException            if the input shape cannot be told from the configuration
     */
    public static Graph from(ComputationGraph net) {
        return from(net, null);
    }

    /**
     * {@return the graph of a ComputationGraph}
     *
     * @param net        an initialised network with one input and one output; not modified
     * @param inputShape the per-sample input shape, channels first; null to take it from the configuration
     * @throws UnsupportedModelException listing every unsupported layer and vertex
     */
    public static Graph from(ComputationGraph net, Shape inputShape) {
        Objects.requireNonNull(net, "net");
        ComputationGraphConfiguration conf = net.getConfiguration();
        if (net.getVertices() == null || net.params() == null) {
            throw new Dtd4jException("the ComputationGraph is not initialised: call net.init() first");
        }
        List<String> ins = conf.getNetworkInputs();
        List<String> outs = conf.getNetworkOutputs();
        String source = "DL4J ComputationGraph (" + conf.getVertices().size() + " vertices, " + net.numParams()
                + " parameters, " + conf.getDataType() + ")";
        if (ins.size() != 1 || outs.size() != 1) {
            throw new UnsupportedModelException(source, List.of(new UnsupportedModelException.Part(
                    String.join(",", ins) + " -> " + String.join(",", outs), "ComputationGraph",
                    ins.size() + " inputs and " + outs.size() + " outputs; dtd4j explains models with one of each")));
        }
        List<Converter.Source> sources = new ArrayList<>();
        for (String name : topologicalOrder(conf)) {
            GraphVertex v = conf.getVertices().get(name);
            List<String> inputs = conf.getVertexInputs().getOrDefault(name, List.of());
            if (v instanceof LayerVertex lv) {
                sources.add(new Converter.Source(name, name, inputs, lv.getLayerConf().getLayer(),
                        lv.getPreProcessor(), params(net.getLayer(name).paramTable())));
            } else {
                sources.add(new Converter.Source(name, name, inputs, v, null, Map.of()));
            }
        }
        Shape shape = inputShape != null ? check(inputShape) : inferInputShape(sources, ins.get(0));
        return new Converter(source, ins.get(0), shape, sources, outs.get(0)).convert();
    }

    /**
     * {@return the graph of a model saved by DL4J's {@code ModelSerializer}, a ComputationGraph or a
     * MultiLayerNetwork} whose input shape follows from its configuration
     *
     * @param zip the model file
     * @throws ModelFormatException      if the file is missing, not a DL4J model zip, truncated or corrupt
     * @throws UnsupportedModelException listing every unsupported layer and vertex
     */
    public static Graph load(Path zip) {
        return load(zip, null);
    }

    /**
     * {@return the graph of a model saved by DL4J's {@code ModelSerializer}}
     *
     * @param zip        the model file
     * @param inputShape the per-sample input shape, channels first; null to take it from the configuration
     * @throws ModelFormatException      if the file is missing, not a DL4J model zip, truncated or corrupt
     * @throws UnsupportedModelException listing every unsupported layer and vertex
     */
    public static Graph load(Path zip, Shape inputShape) {
        Objects.requireNonNull(zip, "zip");
        requireFile(zip, "DL4J model");
        Boolean isGraph = dl4jKind(zip);
        Object net;
        try {
            if (isGraph == null) {
                net = restoreEither(zip);
            } else if (isGraph) {
                net = ModelSerializer.restoreComputationGraph(zip.toFile(), false);
            } else {
                net = ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
            }
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            throw new ModelFormatException("cannot read DL4J model '" + zip + "': " + describe(e), e);
        }
        Graph g = net instanceof ComputationGraph cg ? from(cg, inputShape) : from((MultiLayerNetwork) net, inputShape);
        return g.withProvenance("file", zip.toAbsolutePath().toString());
    }

    /**
     * {@return the graph of a Keras model ({@code model.save("m.h5")}, Sequential or functional), imported through
     * DL4J's Keras importer}; the input shape comes from the Keras model
     *
     * <p>DL4J 1.0.0-M2.1 reads files written by Keras 1 and 2 ({@code tf.keras} up to TensorFlow 2.15, or
     * {@code tf_keras}). Files written by Keras 3 are rejected with a {@link ModelFormatException}.
     *
     * <p>The first call turns off the HDF5 library's printing of its error stack to stderr, for the whole process:
     * HDF5 errors reach the caller as this method's exception instead.
     *
     * @param h5 the HDF5 file
     * @throws ModelFormatException      if the file is missing, not HDF5, truncated, corrupt, from Keras 3, or holds a
     *                                   layer DL4J cannot import
     * @throws UnsupportedModelException listing every layer DL4J imports but dtd4j cannot explain
     */
    public static Graph loadKeras(Path h5) {
        Objects.requireNonNull(h5, "h5");
        requireFile(h5, "Keras model");
        requireHdf5(h5);
        Object net;
        InputType inputType;
        String version;
        QuietHdf5.ensure();
        try (KerasModelBuilder b = new KerasModel().modelBuilder()) {
            b.modelHdf5Filename(h5.toAbsolutePath().toString()).enforceTrainingConfig(false);
            JsonNode config = new ObjectMapper().readTree(b.getModelJson());
            version = kerasVersion(h5, b);
            if (version.startsWith("3")) {
                throw new ModelFormatException("Keras model '" + h5 + "' was written by Keras " + version
                        + "; DL4J 1.0.0-M2.1 imports only Keras 1 and 2 files (save it with tf.keras <= 2.15 or "
                        + "tf_keras)");
            }
            String className = config.path("class_name").asText("");
            KerasModel km;
            if ("Sequential".equals(className)) {
                KerasSequentialModel seq = b.buildSequential();
                net = seq.getMultiLayerNetwork(true);
                km = seq;
            } else {
                km = b.buildModel();
                net = km.getComputationGraph(true);
            }
            inputType = km.getOutputTypes().get(km.getInputLayerNames().get(0));
        } catch (ModelFormatException e) {
            throw e;
        } catch (Exception | OutOfMemoryError e) {
            throw new ModelFormatException("cannot import Keras model '" + h5 + "' through DL4J: " + describe(e), e);
        }
        Shape shape = shapeOf(inputType);
        Graph g = net instanceof ComputationGraph cg ? from(cg, shape) : from((MultiLayerNetwork) net, shape);
        return g.withProvenance("file", h5.toAbsolutePath().toString())
                .withProvenance("keras", "Keras " + version + " model imported by DL4J's KerasModelImport");
    }

    // ---------------------------------------------------------------------------------------------------------

    private static String mlnName(int i, String layerName) {
        String base = "layer" + i;
        // DL4J names an unnamed layer "layer<i>" (older versions: "<i>")
        if (layerName == null || layerName.isBlank() || layerName.equals(String.valueOf(i)) || layerName.equals(base)) {
            return base;
        }
        return base + "_" + layerName;
    }

    /** Copies nothing yet: the map is read-only here; the converter copies what it keeps. */
    private static Map<String, INDArray> params(Map<String, INDArray> table) {
        return table == null ? Map.of() : Map.copyOf(table);
    }

    private static Shape check(Shape s) {
        if (s.rank() != 1 && s.rank() != 3) {
            throw new Dtd4jException("the input shape must be [D] for vectors or [C,H,W] for images, got " + s);
        }
        return s;
    }

    /** Kahn's algorithm over the configuration, keeping DL4J's vertex order among equals. */
    private static List<String> topologicalOrder(ComputationGraphConfiguration conf) {
        Set<String> done = new HashSet<>(conf.getNetworkInputs());
        Map<String, Integer> missing = new LinkedHashMap<>();
        Map<String, List<String>> readers = new HashMap<>();
        for (String v : conf.getVertices().keySet()) {
            int m = 0;
            for (String in : conf.getVertexInputs().getOrDefault(v, List.of())) {
                if (!done.contains(in)) {
                    m++;
                    readers.computeIfAbsent(in, k -> new ArrayList<>()).add(v);
                }
            }
            missing.put(v, m);
        }
        Deque<String> ready = new ArrayDeque<>();
        missing.forEach((v, m) -> {
            if (m == 0) {
                ready.add(v);
            }
        });
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String v = ready.poll();
            order.add(v);
            for (String r : readers.getOrDefault(v, List.of())) {
                if (missing.merge(r, -1, Integer::sum) == 0) {
                    ready.add(r);
                }
            }
        }
        if (order.size() != conf.getVertices().size()) {
            throw new Dtd4jException("the ComputationGraph configuration has a cycle or reads unknown vertices");
        }
        return order;
    }

    /**
     * The input's shape when the configuration determines it: the first layer that reads the input (past dropout
     * and activation layers) is dense, or converts a vector to an image.
     */
    private static Shape inferInputShape(List<Converter.Source> sources, String input) {
        String current = input;
        for (Converter.Source s : sources) {
            if (!s.inputs().contains(current)) {
                continue;
            }
            Object c = Converter.unwrap(s.conf());
            InputPreProcessor pre = s.pre();
            if (pre instanceof FeedForwardToCnnPreProcessor f) {
                return Shape.of(f.getNumChannels() * f.getInputHeight() * f.getInputWidth());
            }
            if (pre instanceof CnnToFeedForwardPreProcessor f && f.getNumChannels() > 0 && f.getInputHeight() > 0
                    && f.getInputWidth() > 0) {
                return Shape.of(f.getNumChannels(), f.getInputHeight(), f.getInputWidth());
            }
            if (pre == null && (c instanceof DropoutLayer || c instanceof ActivationLayer)) {
                current = s.dl4jName();
                continue;
            }
            if (pre == null && (c instanceof DenseLayer || c instanceof BaseOutputLayer)
                    && ((FeedForwardLayer) c).getNIn() > 0) {
                return Shape.of(((FeedForwardLayer) c).getNIn());
            }
            break;
        }
        throw new Dtd4jException("cannot tell the input shape from the DL4J configuration (DL4J does not keep the "
                + "InputType, and an image's height and width cannot be recovered): pass it, e.g. "
                + "Dl4jModels.from(net, Shape.of(3, 224, 224))");
    }

    private static Shape shapeOf(InputType t) {
        if (t instanceof InputType.InputTypeFeedForward ff) {
            return Shape.of(ff.getSize());
        } else if (t instanceof InputType.InputTypeConvolutional c) {
            return Shape.of(c.getChannels(), c.getHeight(), c.getWidth());
        } else if (t instanceof InputType.InputTypeConvolutionalFlat f) {
            return Shape.of(f.getFlattenedSize());
        }
        throw new Dtd4jException("the Keras model's input type " + t + " is not supported (only vectors and images)");
    }

    private static void requireFile(Path p, String what) {
        if (!Files.exists(p)) {
            throw new ModelFormatException(what + " file '" + p + "' does not exist");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ModelFormatException(what + " file '" + p + "' is not a readable file");
        }
    }

    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    /** Checks the HDF5 signature (at 0, 512, 1024, ...) before the native library sees the file. */
    private static void requireHdf5(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer sig = ByteBuffer.allocate(HDF5_SIGNATURE.length);
            for (long at = 0; at + HDF5_SIGNATURE.length <= size; at = at == 0 ? 512 : at * 2) {
                sig.clear();
                while (sig.hasRemaining() && ch.read(sig, at + sig.position()) > 0) {
                    // read until full
                }
                if (!sig.hasRemaining() && Arrays.equals(sig.array(), HDF5_SIGNATURE)) {
                    return;
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException("cannot read Keras model file '" + p + "': " + e.getMessage(), e);
        }
        throw new ModelFormatException("Keras model file '" + p + "' is not an HDF5 file (no HDF5 signature)");
    }

    private static String kerasVersion(Path h5, KerasModelBuilder b) {
        try {
            return b.getWeightsArchive().readAttributeAsString("keras_version");
        } catch (RuntimeException | UnsupportedKerasConfigurationException e) {
            // DL4J copied the first five characters of keras_version into the model JSON
            try {
                JsonNode v = new ObjectMapper().readTree(b.getModelJson()).path("keras_version");
                return v.isMissingNode() ? "unknown" : v.asText();
            } catch (IOException e2) {
                throw new ModelFormatException("Keras model '" + h5 + "': its model_config is not JSON", e2);
            }
        }
    }

    /** {@return TRUE for a ComputationGraph zip, FALSE for a MultiLayerNetwork zip, null if the JSON does not say} */
    private static Boolean dl4jKind(Path zip) {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            ZipEntry conf = z.getEntry(ModelSerializer.CONFIGURATION_JSON);
            if (conf == null) {
                throw new ModelFormatException("'" + zip + "' is not a DL4J model: the zip has no "
                        + ModelSerializer.CONFIGURATION_JSON);
            }
            if (z.getEntry(ModelSerializer.COEFFICIENTS_BIN) == null && z.getEntry(ModelSerializer.NO_PARAMS_MARKER) == null) {
                throw new ModelFormatException("'" + zip + "' is not a complete DL4J model: the zip has no "
                        + ModelSerializer.COEFFICIENTS_BIN);
            }
            String json;
            try (InputStream in = z.getInputStream(conf)) {
                json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            JsonNode root = new ObjectMapper().readTree(json);
            if (root == null || !root.isObject()) {
                throw new ModelFormatException("'" + zip + "': " + ModelSerializer.CONFIGURATION_JSON
                        + " is not a JSON object");
            }
            if (root.has("vertices")) {
                return Boolean.TRUE;
            } else if (root.has("confs")) {
                return Boolean.FALSE;
            }
            return null;
        } catch (ZipException e) {
            throw new ModelFormatException("'" + zip + "' is not a DL4J model zip (truncated or not a zip: "
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read DL4J model '" + zip + "': " + describe(e), e);
        }
    }

    private static Object restoreEither(Path zip) throws IOException {
        try {
            return ModelSerializer.restoreComputationGraph(zip.toFile(), false);
        } catch (RuntimeException e) {
            return ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
        }
    }

    /** {@return the innermost cause, as "Type: first line of its message", with a hint for what it means} */
    private static String describe(Throwable e) {
        Throwable t = e;
        Set<Throwable> seen = new HashSet<>();
        while (t.getCause() != null && seen.add(t)) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
        String hint = "";
        if (t instanceof java.io.EOFException) {
            hint = " (the file ends early: truncated or corrupt)";
        } else if (message.contains("H5Fopen failed")) {
            hint = " (HDF5 cannot open it: truncated or corrupt)";
        } else if (t instanceof OutOfMemoryError) {
            hint = " (sizes in the file are absurd, or the model does not fit in memory)";
        }
        return t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message) + hint;
    }
}
