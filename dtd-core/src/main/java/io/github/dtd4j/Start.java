package io.github.dtd4j;

import io.github.dtd4j.errors.InvalidInputException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the backward sweep starts and with what relevance (docs/conventions.md#start-relevance).
 *
 * <pre>{@code
 * explainer.explain(x, Start.topClass());                        // the logit of each element's top class
 * explainer.explain(x, Start.classes(281, 285));                  // one class per batch element
 * explainer.explain(x, Start.oneHot());                           // 1 at the top class (gradients)
 * explainer.explain(x, Start.relevance(r));                       // [N,K] at the output: soft targets, contrasts
 * explainer.explain(x, Start.relevance("layer4", r4));            // relevance given at an intermediate node
 * }</pre>
 */
public sealed interface Start {

    /** {@return start from the logit of each batch element's top class} */
    static Start topClass() {
        return new TopClass();
    }

    /**
     * {@return start from given classes' logits}
     *
     * @param classes one class for every batch element, or one per element
     */
    static Start classes(int... classes) {
        return new Classes(classes);
    }

    /**
     * {@return start from 1 at each batch element's top class}: the sweep then computes what a unit output
     * relevance becomes, e.g. the gradient ∂f_c/∂x with {@link Propagations#gradient()}
     */
    static Start oneHot() {
        return new OneHot(null);
    }

    /**
     * {@return start from 1 at given classes}
     *
     * @param classes one class for every batch element, or one per element
     */
    static Start oneHot(int... classes) {
        if (classes == null) {
            throw new InvalidInputException("Start.oneHot: the classes are null");
        }
        return new OneHot(classes);
    }

    /**
     * {@return start from a relevance tensor at the output, {@code [N,K]}}: one-hot, soft targets, class A against
     * class B ({@code +f_A} at A, {@code −f_B} at B), anything
     *
     * @param relevance finite, shaped like the output; never modified
     */
    static Start relevance(INDArray relevance) {
        return new Tensor(null, relevance);
    }

    /**
     * {@return start from a relevance tensor at an intermediate node's output}
     *
     * @param node      the node whose output receives it
     * @param relevance finite, shaped like that output {@code [N, ...]}; never modified
     */
    static Start relevance(String node, INDArray relevance) {
        if (node == null) {
            throw new InvalidInputException("Start.relevance: the node name is null");
        }
        return new Tensor(node, relevance);
    }

    /** The top class of each element. */
    record TopClass() implements Start {
    }

    /** Given classes. @param classes one for all, or one per element */
    record Classes(int[] classes) implements Start {
        /** Copies the array. */
        public Classes {
            if (classes == null) {
                throw new InvalidInputException("Start.classes: the classes are null");
            }
            classes = classes.clone();
        }

        @Override
        public int[] classes() {
            return classes.clone();
        }
    }

    /** 1 at given classes. @param classes one for all, one per element, or null for each element's top class */
    record OneHot(int[] classes) implements Start {
        /** Copies the array. */
        public OneHot {
            classes = classes == null ? null : classes.clone();
        }

        @Override
        public int[] classes() {
            return classes == null ? null : classes.clone();
        }
    }

    /** A relevance tensor. @param node where (null: the output) @param relevance the tensor */
    record Tensor(String node, INDArray relevance) implements Start {
        /** Requires the tensor. */
        public Tensor {
            if (relevance == null) {
                throw new InvalidInputException("Start.relevance: the relevance array is null");
            }
        }
    }
}
