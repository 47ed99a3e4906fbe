package io.github.dtd4j.spi;

import io.github.dtd4j.graph.Precision;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A runtime for explainers compiled into one ONNX graph ({@code Explainer.toOnnx()}), found with
 * {@link java.util.ServiceLoader}: {@code dtd-ort} provides ONNX Runtime's. An application does not call it; an
 * {@code Explainer} with {@code engine(ExplanationEngine.ONNX_RUNTIME)} does.
 */
public interface CompiledRuntime {
    /** {@return the runtime's name, e.g. "onnxruntime"} */
    String name();

    /**
     * {@return a session that runs the compiled graph}, created once per explainer and reused
     *
     * @param model     the ONNX model's bytes
     * @param external  the arrays of the model's external initializers, by name (C order, the precision); the
     *                  session may use their memory directly, and they live as long as it
     * @param precision the graph's precision
     */
    Session open(byte[] model, Map<String, INDArray> external, Precision precision);

    /** A loaded compiled graph; thread-safe. */
    interface Session extends AutoCloseable {
        /**
         * {@return the graph's outputs for a checked input}
         *
         * @param x       {@code [N, ...]} in the precision, C order
         * @param targets per element: a class, −1 the top class, −2 the row of {@code start}, −3 one at the top
         *                class
         * @param start   {@code [N,K]} start relevance for the elements whose code is −2 (zeros otherwise)
         */
        Outputs run(INDArray x, long[] targets, INDArray start);

        /** {@return the model's metadata} */
        Map<String, String> metadata();

        @Override
        void close();
    }

    /**
     * What the compiled graph computes.
     *
     * @param logits    {@code [N,K]}
     * @param relevance the input relevance (this and the rest: null for a graph of the forward pass alone)
     * @param targets   the explained class per element
     * @param ledger    per element the ledger's columns: start, input, then per node in, out, bias, stabilizer and
     *                  the branches of nodes with several inputs
     */
    record Outputs(INDArray logits, INDArray relevance, long[] targets, double[][] ledger) {
    }
}
