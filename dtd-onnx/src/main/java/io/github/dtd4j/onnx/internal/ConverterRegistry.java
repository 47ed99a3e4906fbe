package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.onnx.internal.Value.Act;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link OpConverter}s by default-domain operator type and opset range. A node whose operator has no converter
 * for the model's opset (and that the {@link ConstantFolder} does not take) is listed as unsupported before any node
 * is converted, so one {@link io.github.dtd4j.errors.UnsupportedModelException} names every such node with its operator
 * and opset.
 */
final class ConverterRegistry {
    /**
     * One converter for one operator over a range of opsets.
     *
     * @param operator  the ONNX operator type
     * @param from      the first opset it implements
     * @param to        the last opset it implements
     * @param converter the converter
     */
    record Registration(String operator, long from, long to, OpConverter converter) {
        /** {@return whether it implements the opset} @param opset a default-domain opset */
        boolean covers(long opset) {
            return opset >= from && opset <= to;
        }
    }

    private final Map<String, List<Registration>> byOperator;

    private ConverterRegistry(Map<String, List<Registration>> byOperator) {
        this.byOperator = byOperator;
    }

    /** {@return the importer's converters} */
    static ConverterRegistry standard() {
        return builder()
                .add(new ConvConverter(), "Conv")
                .add(new ConvTransposeConverter(), "ConvTranspose")
                .add(new GemmConverter(), "Gemm")
                .add(new MatMulConverter(), "MatMul")
                .add(new AddConverter(), "Add", "Sub")
                .add((ctx, node) -> ctx.emit(new Relu(), ctx.activation(0)), "Relu")
                .add(new MaxPoolConverter(), "MaxPool")
                .add(new AveragePoolConverter(), "AveragePool")
                .add((ctx, node) -> ctx.emit(new GlobalAvgPool(), ctx.image(0)), "GlobalAveragePool")
                .add(new BatchNormalizationConverter(), "BatchNormalization")
                .add(new ConcatConverter(), "Concat")
                .add(new FlattenConverter(), "Flatten")
                .add(new ReshapeConverter(), "Reshape")
                .add(new ReduceSumConverter(), "ReduceSum")
                .add((ctx, node) -> {
                    Act x = ctx.laid(0);
                    ctx.output(ctx.emit(new Identity(), x).laid(x.layout()));
                }, "Identity")
                .add(new DropoutConverter(), "Dropout")
                .add(new LrnConverter(), "LRN")
                .add(new SoftmaxConverter(), "Softmax")
                .add(new PadConverter(), "Pad")
                .add(new CastConverter(), "Cast")
                .add(new ActivationConverter(), "Clip", "LeakyRelu", "Elu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
                        "Gelu")
                .add(new LayerNormalizationConverter(), "LayerNormalization")
                .add(new MulConverter(), "Mul", "Div")
                .add(new TransposeConverter(), "Transpose")
                .add(new SliceConverter(), "Slice", "Split")
                .add(new SqueezeConverter(), "Squeeze", "Unsqueeze")
                .add(new ReduceMeanConverter(), "ReduceMean")
                .add(new GatherConverter(), "Gather")
                .add(new EinsumConverter(), "Einsum")
                .add(new ResizeConverter(), "Resize")
                .add(new AttentionConverter(), AttentionFusion.OPERATOR)
                .build();
    }

    /** {@return an empty builder} */
    static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the converter for the operator at the opset, or null}
     *
     * @param operator an ONNX operator type of the default domain
     * @param opset    the model's default-domain opset
     */
    OpConverter find(String operator, long opset) {
        for (Registration r : byOperator.getOrDefault(operator, List.of())) {
            if (r.covers(opset)) {
                return r.converter();
            }
        }
        return null;
    }

    /** {@return whether some opset of the operator has a converter} @param operator an ONNX operator type */
    boolean knows(String operator) {
        return byOperator.containsKey(operator);
    }

    /**
     * {@return why a known operator cannot be converted at the opset, or null if it can}
     *
     * @param operator an operator for which {@link #knows} holds
     * @param opset    the model's default-domain opset
     */
    String versionGap(String operator, long opset) {
        if (find(operator, opset) != null) {
            return null;
        }
        List<String> ranges = byOperator.get(operator).stream().map(r -> r.from() + "-" + r.to()).toList();
        return "operator not supported in opset " + opset + " (dtd4j converts it in opsets "
                + String.join(", ", ranges) + ")";
    }

    /** {@return every operator some opset of which has a converter, sorted} */
    Set<String> operators() {
        return Collections.unmodifiableSet(new TreeSet<>(byOperator.keySet()));
    }

    /** Collects registrations; rejects two converters for one operator and opset. */
    static final class Builder {
        private final Map<String, List<Registration>> byOperator = new HashMap<>();

        private Builder() {
        }

        /**
         * Registers a converter for every opset the importer reads.
         *
         * @param converter the converter
         * @param operators the ONNX operator types it converts
         * @return this builder
         */
        Builder add(OpConverter converter, String... operators) {
            return add(OnnxImport.MIN_OPSET, OnnxImport.MAX_OPSET, converter, operators);
        }

        /**
         * Registers a converter for a range of opsets: an operator whose meaning changed with an opset takes one
         * converter per range.
         *
         * @param from      the first opset it implements
         * @param to        the last opset it implements
         * @param converter the converter
         * @param operators the ONNX operator types it converts
         * @return this builder
         * @throws IllegalArgumentException for an empty range or one that overlaps another of the same operator
         */
        Builder add(long from, long to, OpConverter converter, String... operators) {
            if (from > to) {
                throw new IllegalArgumentException("empty opset range " + from + "-" + to);
            }
            for (String op : operators) {
                List<Registration> list = byOperator.computeIfAbsent(op, k -> new ArrayList<>());
                for (Registration r : list) {
                    if (r.from() <= to && from <= r.to()) {
                        throw new IllegalArgumentException(op + " has two converters for opsets "
                                + Math.max(from, r.from()) + "-" + Math.min(to, r.to()));
                    }
                }
                list.add(new Registration(op, from, to, converter));
            }
            return this;
        }

        /** {@return the registry} */
        ConverterRegistry build() {
            Map<String, List<Registration>> copy = new HashMap<>();
            byOperator.forEach((op, list) -> copy.put(op, List.copyOf(list)));
            return new ConverterRegistry(copy);
        }
    }
}
