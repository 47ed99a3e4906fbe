package io.github.dtd4j.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Precision;
import io.github.dtd4j.spi.CompiledRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ONNX Runtime (the CPU build of {@code com.microsoft.onnxruntime:onnxruntime}) as the runtime of compiled
 * explainers: one session per explainer, with all of ONNX Runtime's graph optimisations, and as many threads per
 * operator as the system property {@code dtd4j.ort.threads} says (default: ONNX Runtime's, one per core). Found by
 * {@link java.util.ServiceLoader}; applications use {@code Explainer.engine(ExplanationEngine.ONNX_RUNTIME)}.
 */
public final class OrtRuntime implements CompiledRuntime {
    /** The system property that sets the intra-op threads of new sessions. */
    public static final String THREADS = "dtd4j.ort.threads";
    /**
     * The system property that turns on ONNX Runtime's profiler for new sessions: its value is the path prefix of
     * the JSON trace each session writes when it is closed (chrome://tracing format, one event per operator run).
     */
    public static final String PROFILE = "dtd4j.ort.profile";
    /**
     * The system property that runs new sessions on an NVIDIA GPU through ONNX Runtime's CUDA execution provider:
     * its value is the device number. Needs ONNX Runtime's GPU artifact ({@code onnxruntime_gpu}, CUDA 12) in place
     * of the CPU one; untested here (no GPU is reachable).
     */
    public static final String CUDA = "dtd4j.ort.cuda";
    /**
     * The system property ({@code true}) that stops ONNX Runtime from keeping a second, pre-packed copy of the
     * weights: less memory (VGG16 at batch 8: 5.8 instead of 6.4 GB peak), the same speed here.
     */
    public static final String NO_PREPACK = "dtd4j.ort.noPrepack";

    /** For {@link java.util.ServiceLoader}. */
    public OrtRuntime() {
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public Session open(byte[] model, Map<String, INDArray> external, Precision precision) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        boolean float64 = precision == Precision.FLOAT64;
        Map<String, OnnxTensorLike> weights = new java.util.LinkedHashMap<>();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            int threads = Integer.getInteger(THREADS, 0);
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            String cuda = System.getProperty(CUDA);
            if (cuda != null) {
                try {
                    o.addCUDA(Integer.parseInt(cuda.strip()));
                } catch (NumberFormatException e) {
                    throw new ConfigurationException(CUDA + ": expected a device number, got '" + cuda + "'");
                }
            }
            if (Boolean.getBoolean(NO_PREPACK)) {
                o.addConfigEntry("session.disable_prepacking", "1");
            }
            String profile = System.getProperty(PROFILE);
            if (profile != null) {
                o.enableProfiling(profile);
            }
            // the weights as tensors over ND4J's own memory: no copy into the model's bytes
            for (Map.Entry<String, INDArray> e : external.entrySet()) {
                weights.put(e.getKey(), tensor(env, e.getValue(), float64));
            }
            if (!weights.isEmpty()) {
                o.addExternalInitializers(weights);
            }
            OrtSession session = env.createSession(model, o);
            return new OrtCompiledSession(env, session, float64, List.copyOf(external.values()),
                    List.copyOf(weights.values()));
        } catch (OrtException e) {
            weights.values().forEach(OnnxTensorLike::close);
            if (float64 && e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED) {
                throw new ConfigurationException("ONNX Runtime's CPU build has no float64 kernel for an operator of"
                        + " the compiled graph (" + e.getMessage() + "); explain in float32 on ONNX Runtime, or in"
                        + " float64 on ExplanationEngine.ND4J", e);
            }
            throw new ConfigurationException("ONNX Runtime refused the compiled explanation graph: " + e.getMessage(),
                    e);
        }
    }

    /** A session and the conversions between ND4J arrays and ONNX Runtime tensors. */
    private static OnnxTensor tensor(OrtEnvironment env, INDArray x, boolean float64) throws OrtException {
        ByteBuffer b = x.data().asNio().order(ByteOrder.nativeOrder());
        return float64 ? OnnxTensor.createTensor(env, b.asDoubleBuffer(), x.shape())
                : OnnxTensor.createTensor(env, b.asFloatBuffer(), x.shape());
    }

    /**
     * A session, the conversions between ND4J arrays and ONNX Runtime tensors, and the weights it runs on (kept
     * reachable as long as the session).
     */
    private record OrtCompiledSession(OrtEnvironment env, OrtSession session, boolean float64, List<INDArray> arrays,
                                      List<OnnxTensorLike> weights) implements Session {
        @Override
        public Outputs run(INDArray x, long[] targets, INDArray start) {
            long n = x.size(0);
            java.util.Set<String> inputs = session.getInputNames();
            try (OnnxTensor in = tensor(x);
                 OnnxTensor target = OnnxTensor.createTensor(env, LongBuffer.wrap(targets), new long[]{n});
                 OnnxTensor st = tensor(start.dup('c'))) {
                Map<String, OnnxTensor> feeds = new java.util.HashMap<>();
                feeds.put("input", in);
                if (inputs.contains("target")) {
                    feeds.put("target", target);
                    feeds.put("start", st);
                }
                try (OrtSession.Result r = session.run(feeds)) {
                    INDArray logits = array((OnnxTensor) r.get("logits").orElseThrow());
                    if (r.get("relevance").isEmpty()) {
                        return new Outputs(logits, null, null, null);
                    }
                    INDArray relevance = array((OnnxTensor) r.get("relevance").orElseThrow());
                    long[] chosen = ((OnnxTensor) r.get("targets").orElseThrow()).getLongBuffer().array();
                    OnnxTensor ledger = (OnnxTensor) r.get("ledger").orElseThrow();
                    long columns = ledger.getInfo().getShape()[1];
                    double[] flat = ledger.getDoubleBuffer().array();
                    double[][] rows = new double[(int) n][(int) columns];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(flat, (int) (i * columns), rows[i], 0, (int) columns);
                    }
                    return new Outputs(logits, relevance, chosen, rows);
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed on the compiled explanation: " + e.getMessage(),
                        e);
            }
        }

        private OnnxTensor tensor(INDArray x) throws OrtException {
            return OrtRuntime.tensor(env, x, float64);
        }

        private INDArray array(OnnxTensor t) {
            long[] shape = t.getInfo().getShape();
            return float64 ? Nd4j.create(t.getDoubleBuffer().array(), shape, DataType.DOUBLE)
                    : Nd4j.create(t.getFloatBuffer().array(), shape, DataType.FLOAT);
        }

        @Override
        public Map<String, String> metadata() {
            try {
                return session.getMetadata().getCustomMetadata();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            } finally {
                weights.forEach(OnnxTensorLike::close);
            }
        }
    }
}
