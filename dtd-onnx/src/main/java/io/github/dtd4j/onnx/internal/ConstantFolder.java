package io.github.dtd4j.onnx.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import onnx.OnnxMl.NodeProto;

/**
 * Evaluates at import time what does not depend on the model's input: {@code Constant} nodes, and the shape
 * arithmetic exporters write around reshapes ({@code Shape}, {@code Gather}, {@code Unsqueeze}, {@code Concat},
 * {@code Add}/{@code Sub}/{@code Mul}/{@code Div}/{@code Mod}/{@code Pow}, {@code Slice}, {@code Cast},
 * {@code ConstantOfShape}, {@code Range}, {@code ScatterND}, {@code Equal}, {@code Not}, {@code Where},
 * {@code Expand}, {@code Identity}/{@code Flatten}/{@code Reshape}/{@code Transpose} of constants; see
 * {@link ConstMath}). The result is a {@link Const} that later nodes read like an initializer.
 *
 * <p>It runs before the {@link ConverterRegistry}: a node whose rule applies is folded and never reaches a converter.
 * A rule applies always (the operator only ever makes constants), or when given inputs are constants; then the
 * activation form of the operator is either another converter's business or unsupported with the rule's reason.
 */
final class ConstantFolder {
    /** Evaluates one node whose rule applies. */
    @FunctionalInterface
    interface Fold {
        /**
         * @param ctx  the node's inputs and attributes
         * @param node the node
         * @return its value
         * @throws NotSupported if the arithmetic is not one dtd4j evaluates
         */
        Const fold(ConversionContext ctx, NodeProto node);
    }

    /**
     * How one operator is folded.
     *
     * @param when      whether a node is folded (for example: its data input is a constant)
     * @param fold      the evaluation
     * @param otherwise why a node that is not folded is unsupported, or null when a converter takes it
     */
    private record Rule(Predicate<ConversionContext> when, Fold fold, String otherwise) {
    }

    private static final Predicate<ConversionContext> ALWAYS = ctx -> true;

    private final Map<String, Rule> rules = new LinkedHashMap<>();

    private ConstantFolder() {
    }

    /** {@return the importer's folds} */
    static ConstantFolder standard() {
        return new ConstantFolder()
                .add("Constant", ALWAYS, TensorFolds::constant, null)
                .add("Shape", ALWAYS, ShapeFolds::shape, null)
                .add("Gather", constant(0), ConstMath::gather, null)
                .add("Unsqueeze", constant(0), ShapeFolds::unsqueeze, null)
                .add("Concat", ConstantFolder::allConstant, ConstMath::concat, null)
                .add("Add", constant(0, 1), ConstMath::binary, null)
                .add("Sub", constant(0, 1), ConstMath::binary, null)
                .add("Mul", constant(0, 1), ConstMath::binary, null)
                .add("Div", constant(0, 1), ConstMath::binary, null)
                .add("Mod", constant(0, 1), ConstMath::binary,
                        "Mod of activations (remainders are supported in shape arithmetic only)")
                .add("Pow", constant(0, 1), ConstMath::binary,
                        "Pow of activations (powers are supported on constants only)")
                .add("Slice", constant(0), ConstMath::slice, null)
                .add("Cast", constant(0), TensorFolds::cast, null)
                .add("Identity", constant(0), TensorFolds::identity, null)
                .add("Flatten", constant(0), TensorFolds::flatten, null)
                .add("Reshape", constant(0), TensorFolds::reshape, null)
                .add("Transpose", constant(0), TensorFolds::transpose, null)
                .add("ConstantOfShape", constant(0), BroadcastFolds::constantOfShape,
                        "ConstantOfShape of a shape computed from an activation's values")
                .add("Range", constant(0, 1, 2), ConstMath::range,
                        "Range bounded by an activation's values")
                .add("ScatterND", constant(0, 1, 2), ConstMath::scatterNd,
                        "ScatterND into or from activations (it is supported on constants only, such as a mask)")
                .add("Not", constant(0), ConstMath::not,
                        "Not of an activation (logic is supported on constants only, such as a mask)")
                .add("Equal", constant(0, 1), ConstMath::binary,
                        "Equal on activations (comparisons are supported in shape arithmetic only)")
                .add("Where", constant(0, 1, 2), ConstMath::where,
                        "Where on activations (selections are supported in shape arithmetic only)")
                .add("Expand", constant(0, 1), BroadcastFolds::expand,
                        "Expand of an activation (only constants are expanded, such as a class token)");
    }

    private ConstantFolder add(String op, Predicate<ConversionContext> when, Fold fold, String otherwise) {
        rules.put(op, new Rule(when, fold, otherwise));
        return this;
    }

    /** {@return a condition: every listed input is present and a constant} */
    private static Predicate<ConversionContext> constant(int... inputs) {
        return ctx -> {
            for (int k : inputs) {
                if (!(ctx.input(k) instanceof Const)) {
                    return false;
                }
            }
            return true;
        };
    }

    /** Whether the node has inputs and every one is a constant. */
    private static boolean allConstant(ConversionContext ctx) {
        int n = ctx.node().getInputCount();
        for (int k = 0; k < n; k++) {
            if (!(ctx.input(k) instanceof Const)) {
                return false;
            }
        }
        return n > 0;
    }

    /** {@return the operators it folds, at least for constant inputs, sorted} */
    Set<String> operators() {
        return Collections.unmodifiableSet(new TreeSet<>(rules.keySet()));
    }

    /**
     * {@return whether every node of the operator is the folder's: folded, or unsupported with its reason, so that
     * no converter is needed}
     *
     * @param op an ONNX operator
     */
    boolean foldsEvery(String op) {
        Rule r = rules.get(op);
        return r != null && (r.when() == ALWAYS || r.otherwise() != null);
    }

    /**
     * {@return whether the node is folded}
     *
     * @param ctx the node
     * @throws NotSupported for an initializer input of a type dtd4j does not read
     */
    boolean applies(ConversionContext ctx) {
        Rule r = rules.get(ctx.operator());
        return r != null && r.when().test(ctx);
    }

    /** {@return the node's value} @param ctx a node for which {@link #applies} holds */
    Const fold(ConversionContext ctx) {
        return rules.get(ctx.operator()).fold().fold(ctx, ctx.node());
    }

    /**
     * {@return why a node of the operator that is not folded is unsupported, or null when a converter takes it}
     *
     * @param op an ONNX operator
     */
    String refusal(String op) {
        Rule r = rules.get(op);
        return r == null ? null : r.otherwise();
    }
}
