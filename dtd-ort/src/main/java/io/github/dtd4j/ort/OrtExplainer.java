package io.github.dtd4j.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.graph.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An {@link Explainer} compiled into one ONNX graph ({@link Explainer#toOnnx()}) and run by ONNX Runtime: the
 * forward pass, the start relevance and the sweep in one session, created once and reused by every call. Inputs
 * are checked as the reference engine checks them ({@link Explainer#checkInput}) before ONNX Runtime runs.
 * Thread-safe (ONNX Runtime sessions are); close it to free the session.
 *
 * <pre>{@code
 * Explainer dtd = Explainer.of(model).preset(Presets.dtd(Rules.zBoxImageNet()));
 * try (OrtExplainer fast = OrtExplainer.of(dtd);
 *      OrtExplanation e = fast.explain(x)) {
 *     INDArray heatmap = e.inputRelevance();
 * }
 * }</pre>
 */
public final class OrtExplainer implements AutoCloseable {
    private final Explainer explainer;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final boolean float64;

    private OrtExplainer(Explainer explainer, OrtEnvironment env, OrtSession session) {
        this.explainer = explainer;
        this.env = env;
        this.session = session;
        this.float64 = explainer.precision() == Precision.FLOAT64;
    }

    /**
     * {@return the explainer compiled and loaded into an ONNX Runtime session with all optimisations and ONNX
     * Runtime's default threads (one per core)}
     *
     * @param explainer its rules and settings; compiled with {@link Explainer#toOnnx()}
     * @throws ConfigurationException listing the nodes that cannot be compiled, or if ONNX Runtime refuses the graph
     */
    public static OrtExplainer of(Explainer explainer) {
        return of(explainer, 0);
    }

    /**
     * {@return as {@link #of(Explainer)}, with a number of threads for each operator}
     *
     * @param explainer its rules and settings
     * @param threads   ONNX Runtime's intra-op threads; 0 for its default (one per core)
     */
    public static OrtExplainer of(Explainer explainer, int threads) {
        byte[] model = explainer.toOnnx();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            return new OrtExplainer(explainer, env, env.createSession(model, o));
        } catch (OrtException e) {
            throw new ConfigurationException("ONNX Runtime refused the compiled explanation graph: " + e.getMessage(),
                    e);
        }
    }

    /** {@return the explainer this one runs} */
    public Explainer explainer() {
        return explainer;
    }

    /** {@return the explanation of each element's top class} @param x {@code [N, ...]}, finite; never modified */
    public OrtExplanation explain(INDArray x) {
        return run(x, null);
    }

    /** {@return the explanation of one class for every element} @param x the input @param target the class */
    public OrtExplanation explain(INDArray x, int target) {
        int[] t = new int[x == null || x.rank() == 0 ? 1 : (int) x.size(0)];
        Arrays.fill(t, target);
        return run(x, t);
    }

    /** {@return the explanation of one class per element} @param x the input @param targets one per element */
    public OrtExplanation explain(INDArray x, int[] targets) {
        if (targets == null) {
            throw new InvalidInputException("targets: null (use explain(x) for the top class of each element)");
        }
        return run(x, targets);
    }

    private OrtExplanation run(INDArray input, int[] targets) {
        INDArray x = explainer.checkInput(input, targets).dup('c');
        long n = x.size(0);
        long[] t = new long[(int) n];
        Arrays.fill(t, -1);
        if (targets != null) {
            for (int i = 0; i < n; i++) {
                t[i] = targets[i];
            }
        }
        try (OnnxTensor in = tensor(x);
             OnnxTensor target = OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[]{n});
             OrtSession.Result r = session.run(Map.of("input", in, "target", target))) {
            INDArray logits = array((OnnxTensor) r.get("logits").orElseThrow());
            INDArray relevance = array((OnnxTensor) r.get("relevance").orElseThrow());
            long[] chosen = ((OnnxTensor) r.get("targets").orElseThrow()).getLongBuffer().array();
            int[] classes = new int[chosen.length];
            for (int i = 0; i < classes.length; i++) {
                classes[i] = (int) chosen[i];
            }
            return new OrtExplanation(relevance, logits, classes);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on the compiled explanation: " + e.getMessage(), e);
        } finally {
            if (x != input) {
                x.close();
            }
        }
    }

    private OnnxTensor tensor(INDArray x) throws OrtException {
        ByteBuffer b = x.data().asNio().order(ByteOrder.nativeOrder());
        if (float64) {
            DoubleBuffer d = b.asDoubleBuffer();
            return OnnxTensor.createTensor(env, d, x.shape());
        }
        FloatBuffer f = b.asFloatBuffer();
        return OnnxTensor.createTensor(env, f, x.shape());
    }

    private INDArray array(OnnxTensor t) {
        long[] shape = t.getInfo().getShape();
        if (float64) {
            return Nd4j.create(t.getDoubleBuffer().array(), shape, DataType.DOUBLE);
        }
        return Nd4j.create(t.getFloatBuffer().array(), shape, DataType.FLOAT);
    }

    /** Closes the ONNX Runtime session. */
    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
