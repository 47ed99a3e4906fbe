package io.github.dtd4j.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a model with ONNX Runtime, the reference our forward pass must match. When the model ends in a Softmax, the
 * Softmax's input is added as a second graph output, so the logits can be compared directly.
 */
final class OrtReference {
    /** What ONNX Runtime computed. @param output the model's output @param logits the input of a final Softmax,
     * or the output itself */
    record Result(INDArray output, INDArray logits, boolean hadSoftmax) {
    }

    private OrtReference() {
    }

    static Result run(Path model, INDArray x) throws Exception {
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(model));
        String out = proto.getGraph().getOutput(0).getName();
        String logits = null;
        for (NodeProto n : proto.getGraph().getNodeList()) {
            if (n.getOpType().equals("Softmax") && n.getOutput(0).equals(out)) {
                logits = n.getInput(0);
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            OrtSession session;
            if (logits == null) {
                session = env.createSession(model.toString(), opts);
            } else {
                int elem = proto.getGraph().getInput(0).getType().getTensorType().getElemType();
                ModelProto.Builder b = proto.toBuilder();
                b.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(logits).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elem))));
                session = env.createSession(b.build().toByteArray(), opts);
            }
            try (session; OnnxTensor in = tensor(env, x)) {
                String inputName = session.getInputNames().iterator().next();
                Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                feed.put(inputName, in);
                try (OrtSession.Result r = session.run(feed)) {
                    INDArray o = array(r.get(out).orElseThrow());
                    INDArray l = logits == null ? o : array(r.get(logits).orElseThrow());
                    return new Result(o, l, logits != null);
                }
            }
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, INDArray x) throws OrtException {
        if (x.dataType() == DataType.DOUBLE) {
            return OnnxTensor.createTensor(env, DoubleBuffer.wrap(x.dup('c').data().asDouble()), x.shape());
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()), x.shape());
    }

    private static INDArray array(OnnxValue v) throws OrtException {
        OnnxTensor t = (OnnxTensor) v;
        long[] shape = t.getInfo().getShape();
        if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.DOUBLE) {
            DoubleBuffer b = t.getDoubleBuffer();
            double[] d = new double[b.remaining()];
            b.get(d);
            return Nd4j.create(d, shape, DataType.DOUBLE);
        }
        FloatBuffer b = t.getFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        return Nd4j.create(f, shape, DataType.FLOAT);
    }
}
