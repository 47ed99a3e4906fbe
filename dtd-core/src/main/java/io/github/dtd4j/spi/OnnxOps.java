package io.github.dtd4j.spi;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes ONNX operators into the graph an explainer is compiled into (opset 17), each with one output. Constants
 * are stored in the computation precision.
 */
public interface OnnxOps {
    /** {@return a constant tensor (an initializer), cast to the computation precision} @param value never modified */
    Symbol constant(INDArray value);

    /** {@return a scalar constant in the computation precision} @param value the number */
    Symbol scalar(double value);

    /**
     * {@return the output of one operator}
     *
     * @param type       the ONNX operator type, e.g. "Conv"
     * @param inputs     its inputs, in order
     * @param attributes its attributes: Long/Integer, Double, String, long[] or double[] values
     */
    Symbol op(String type, List<Symbol> inputs, Map<String, Object> attributes);

    /** {@return a + b (broadcasting)} */
    default Symbol add(Symbol a, Symbol b) {
        return op("Add", List.of(a, b), Map.of());
    }

    /** {@return a − b (broadcasting)} */
    default Symbol sub(Symbol a, Symbol b) {
        return op("Sub", List.of(a, b), Map.of());
    }

    /** {@return a · b (broadcasting)} */
    default Symbol mul(Symbol a, Symbol b) {
        return op("Mul", List.of(a, b), Map.of());
    }

    /** {@return a · c} */
    default Symbol mul(Symbol a, double c) {
        return mul(a, scalar(c));
    }

    /** {@return max(0, a)} */
    default Symbol positive(Symbol a) {
        return op("Relu", List.of(a), Map.of());
    }

    /** {@return min(0, a)} */
    default Symbol negative(Symbol a) {
        return op("Min", List.of(a, scalar(0)), Map.of());
    }

    /** {@return 1 where a ≥ 0, else 0, in the computation precision} */
    default Symbol nonNegativeMask(Symbol a) {
        return op("Where", List.of(op("GreaterOrEqual", List.of(a, scalar(0)), Map.of()), scalar(1), scalar(0)),
                Map.of());
    }
}
