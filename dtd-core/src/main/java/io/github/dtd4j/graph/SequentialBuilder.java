package io.github.dtd4j.graph;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Builds a chain of layers, each reading the one before. Unnamed layers get names like {@code relu_2}.
 */
public final class SequentialBuilder {
    private final GraphBuilder graph;
    private final Map<String, Integer> counters = new HashMap<>();
    private String last;

    SequentialBuilder(Shape inputShape) {
        this.graph = new GraphBuilder("input", inputShape);
        this.last = "input";
    }

    /** Appends a named layer. @param name unique name @param layer the layer @return this builder */
    public SequentialBuilder then(String name, Layer layer) {
        graph.add(name, layer, last);
        last = name;
        return this;
    }

    /** Appends a layer with a generated name. @param layer the layer @return this builder */
    public SequentialBuilder then(Layer layer) {
        String base = layer.kind().toLowerCase(java.util.Locale.ROOT);
        String name;
        do {
            int k = counters.merge(base, 1, Integer::sum);
            name = base + "_" + k;
        } while (graph.has(name));
        return then(name, layer);
    }

    /** Appends a dense layer. @param name name @param w {@code [in,out]} @param b {@code [out]} or null @return this */
    public SequentialBuilder dense(String name, INDArray w, INDArray b) {
        return then(name, Dense.of(w, b));
    }

    /** Appends a convolution. @param name name @param conv the layer @return this builder */
    public SequentialBuilder conv(String name, Conv2d conv) {
        return then(name, conv);
    }

    /** Appends a ReLU. @return this builder */
    public SequentialBuilder relu() {
        return then(new Relu());
    }

    /** Appends a sum-pooling of groups of {@code k} units. @param k group size @return this builder */
    public SequentialBuilder sumPool(int k) {
        return then(new SumPool(k));
    }

    /** Appends a max-pooling. @param k kernel @param s stride @return this builder */
    public SequentialBuilder maxPool(int k, int s) {
        return then(MaxPool2d.of(k, s));
    }

    /** Appends an average pooling. @param k kernel @param s stride @return this builder */
    public SequentialBuilder avgPool(int k, int s) {
        return then(AvgPool2d.of(k, s));
    }

    /** Appends a flatten. @return this builder */
    public SequentialBuilder flatten() {
        return then(new Flatten());
    }

    /** Records where the graph came from. @param key what @param value detail @return this builder */
    public SequentialBuilder provenance(String key, String value) {
        graph.provenance(key, value);
        return this;
    }

    /** {@return the graph} */
    public Graph build() {
        return graph.build();
    }
}
