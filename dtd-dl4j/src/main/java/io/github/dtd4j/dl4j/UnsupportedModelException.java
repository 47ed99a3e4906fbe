package io.github.dtd4j.dl4j;

import java.util.List;
import java.util.Objects;

/**
 * A DL4J model holds layers, vertices or settings that dtd4j cannot explain. The exception lists every one of them
 * at once, so that a user sees the whole list before changing the model.
 */
public class UnsupportedModelException extends io.github.dtd4j.io.UnsupportedModelException {
    private static final long serialVersionUID = 1L;

    /**
     * One unsupported part of a model.
     *
     * @param name   the DL4J layer or vertex name (for a MultiLayerNetwork, {@code layer<i>} and the layer name)
     * @param type   the DL4J class, e.g. {@code LSTM}
     * @param detail the activation or setting that is not supported, and why
     */
    public record Item(String name, String type, String detail) {
        /** Requires all three parts. */
        public Item {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return "'" + name + "' (" + type + "): " + detail;
        }
    }

    private final transient List<Item> items;

    /** @param source what was imported, e.g. "DL4J MultiLayerNetwork" @param items every unsupported part */
    public UnsupportedModelException(String source, List<Item> items) {
        super(message(source, items));
        this.items = List.copyOf(items);
    }

    /** {@return every unsupported layer, vertex or setting, in the model's topological order} */
    public List<Item> items() {
        return items;
    }

    @Override
    public List<String> parts() {
        return items.stream().map(Object::toString).toList();
    }

    private static String message(String source, List<Item> items) {
        StringBuilder sb = new StringBuilder(source).append(" has ").append(items.size())
                .append(items.size() == 1 ? " part" : " parts").append(" dtd4j cannot explain:");
        for (Item i : items) {
            sb.append("\n  - ").append(i);
        }
        return sb.toString();
    }
}
