package io.github.dtd4j.internal;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.CustomLayer;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Identity;
import io.github.dtd4j.graph.Layer;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Reshape;
import io.github.dtd4j.graph.SumPool;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Vector-Jacobian products of every layer kind: for each input k, {@code Σ_j s_j ∂y_j/∂x_k} at given inputs. The
 * transposed maps of linear layers and pooling, and the gradient routing of ReLU, max-pooling (to each window's
 * first maximum, as the forward pass chose it), reshapes and concatenation.
 */
public final class Gradients {
    private Gradients() {
    }

    /**
     * {@return the vector-Jacobian product of one layer, one new array per input}
     *
     * @param layer  the layer
     * @param inputs where the Jacobian is taken (the recorded inputs, or others of the same shapes)
     * @param s      one value per output element
     * @throws ConfigurationException for a layer kind with no vector-Jacobian product
     */
    public static List<INDArray> vjp(Layer layer, List<INDArray> inputs, INDArray s) {
        INDArray x = inputs.get(0);
        if (layer instanceof Dense d) {
            INDArray g = Ops.matmul(Forward.lastAxis(s), d.weight(), false, true);
            return List.of(s.rank() == 2 ? g : g.reshape('c', x.shape()));
        } else if (layer instanceof Conv2d c) {
            return List.of(Ops.conv2dTranspose(s, c.weight(), c, x.shape()));
        } else if (layer instanceof Relu) {
            return List.of(Ops.reluBackward(x, s));
        } else if (layer instanceof MaxPool2d p) {
            return List.of(Ops.maxPoolWinner(x, s, p));
        } else if (layer instanceof AvgPool2d p) {
            return List.of(Ops.avgPoolTranspose(x, s, p));
        } else if (layer instanceof AdaptiveAvgPool2d p) {
            return List.of(Ops.adaptiveAvgPoolTranspose(x, s, p));
        } else if (layer instanceof GlobalAvgPool) {
            double area = x.size(2) * x.size(3);
            return List.of(Nd4j.zeros(s.dataType(), x.shape()).addi(s.div(area)));
        } else if (layer instanceof SumPool p) {
            long n = x.size(0);
            long groups = x.size(1) / p.groupSize();
            INDArray out = Nd4j.zeros(s.dataType(), n, groups, p.groupSize());
            return List.of(out.addi(s.reshape(new long[]{n, groups, 1})).reshape('c', new long[]{n, x.size(1)}));
        } else if (layer instanceof BatchNorm b) {
            return List.of(s.mul(Forward.channelShape(b.scale().castTo(s.dataType()), s.rank())));
        } else if (layer instanceof Add) {
            List<INDArray> out = new ArrayList<>();
            for (int k = 0; k < inputs.size(); k++) {
                out.add(s.dup());
            }
            return out;
        } else if (layer instanceof Concat c) {
            return concat(c, inputs, s);
        } else if (layer instanceof Flatten || layer instanceof Reshape) {
            return List.of(s.reshape('c', x.shape()).dup());
        } else if (layer instanceof Dropout || layer instanceof Identity) {
            return List.of(s.dup());
        } else if (layer instanceof io.github.dtd4j.graph.Activation a) {
            return List.of(Elementwise.activationVjp(a, x, s));
        } else if (layer instanceof io.github.dtd4j.graph.Mul m) {
            return Elementwise.mulVjp(m, x, inputs.get(1), s);
        } else if (layer instanceof io.github.dtd4j.graph.Permute p) {
            return List.of(Elementwise.permuteVjp(p, s));
        } else if (layer instanceof io.github.dtd4j.graph.Slice sl) {
            return List.of(Elementwise.sliceVjp(sl, x.shape(), s));
        } else if (layer instanceof io.github.dtd4j.graph.LayerNorm l) {
            return List.of(Elementwise.layerNormVjp(l, x, s));
        } else if (layer instanceof io.github.dtd4j.graph.ConstantMul m) {
            return List.of(Elementwise.constantMulVjp(m, s));
        } else if (layer instanceof io.github.dtd4j.graph.ConstantAdd) {
            return List.of(s.dup());
        } else if (layer instanceof io.github.dtd4j.graph.ConstantConcat c) {
            return List.of(Elementwise.constantConcatVjp(c, x.shape(), s));
        } else if (layer instanceof io.github.dtd4j.graph.Resize r) {
            return List.of(Elementwise.resize(r, s, true));
        } else if (layer instanceof io.github.dtd4j.graph.MatMul) {
            return Elementwise.matMulVjp(x, inputs.get(1), s);
        } else if (layer instanceof io.github.dtd4j.graph.Softmax) {
            return List.of(Elementwise.softmaxVjp(x, s));
        } else if (layer instanceof CustomLayer c) {
            return c.vjp(inputs, s);
        }
        throw new ConfigurationException("no vector-Jacobian product for layer kind " + layer.kind()
                + "; give it a rule that does not need one");
    }

    private static List<INDArray> concat(Concat c, List<INDArray> inputs, INDArray s) {
        int axis = c.axis() + 1;
        long offset = 0;
        List<INDArray> out = new ArrayList<>();
        for (INDArray in : inputs) {
            long len = in.size(axis);
            INDArrayIndex[] idx = new INDArrayIndex[s.rank()];
            for (int d = 0; d < idx.length; d++) {
                idx[d] = NDArrayIndex.all();
            }
            idx[axis] = NDArrayIndex.interval(offset, offset + len);
            out.add(s.get(idx).dup());
            offset += len;
        }
        return out;
    }
}
