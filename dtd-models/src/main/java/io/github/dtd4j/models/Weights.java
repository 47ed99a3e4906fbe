package io.github.dtd4j.models;

import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.io.Npy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a builder's parameters come from, by PyTorch {@code state_dict} key ({@code "features.0.weight"},
 * {@code "layer1.0.bn1.running_var"}, ...), in PyTorch's layouts (a Linear weight is {@code [out,in]}).
 * A builder asks for every key it needs and then calls {@link #verify(String)}, which reports every missing or misshapen
 * key at once.
 */
public abstract class Weights {
    private final List<String> problems = new ArrayList<>();
    private final Set<String> used = new LinkedHashSet<>();

    /**
     * {@return the tensor for a key, of the given shape}; a missing or misshapen key is recorded and a zero tensor
     * returned, so that {@link #verify(String)} can list every problem
     *
     * @param key   state_dict key
     * @param kind  "conv", "linear", "bias", "bn.weight", "bn.bias", "bn.mean", "bn.var" (for random weights)
     * @param shape expected shape
     */
    public final INDArray get(String key, String kind, long... shape) {
        used.add(key);
        INDArray a = lookup(key, kind, shape);
        if (a == null) {
            problems.add("missing '" + key + "' " + Shape.format(shape));
            return Nd4j.zeros(DataType.FLOAT, shape);
        }
        if (!java.util.Arrays.equals(a.shape(), shape)) {
            problems.add("'" + key + "' has shape " + Shape.format(a.shape()) + ", expected " + Shape.format(shape));
            return Nd4j.zeros(DataType.FLOAT, shape);
        }
        if (!a.dataType().isFPType()) {
            problems.add("'" + key + "' has dtype " + a.dataType() + ", expected floating point");
            return Nd4j.zeros(DataType.FLOAT, shape);
        }
        return a;
    }

    /** {@return the tensor, or null if absent} @param key key @param kind what @param shape expected shape */
    protected abstract INDArray lookup(String key, String kind, long... shape);

    /** {@return keys the source has that no builder asked for (empty for generated weights)} */
    protected Set<String> unused(Set<String> used) {
        return Set.of();
    }

    /**
     * Throws if any requested key was missing or misshapen, or if the source holds weights the model does not use.
     *
     * @param model for the message
     * @throws InvalidGraphException listing every problem
     */
    public final void verify(String model) {
        List<String> all = new ArrayList<>(problems);
        Set<String> extra = unused(used);
        if (!extra.isEmpty()) {
            List<String> e = new ArrayList<>(extra);
            all.add("unexpected keys " + (e.size() > 10 ? e.subList(0, 10) + " and " + (e.size() - 10) + " more" : e));
        }
        if (!all.isEmpty()) {
            throw new InvalidGraphException(model + ": the weights do not fit (" + all.size() + " problem(s)): "
                    + String.join("; ", all.size() > 20 ? all.subList(0, 20) : all));
        }
    }

    /**
     * {@return weights read from an {@code .npz} of a PyTorch state_dict}
     * ({@code numpy.savez(p, **{k: v.numpy() for k, v in model.state_dict().items()})}); {@code num_batches_tracked}
     * entries are ignored
     *
     * @param path the archive
     */
    public static Weights fromNpz(Path path) {
        return of(Npy.readNpz(path));
    }

    /** {@return weights from a map of state_dict keys to arrays} @param stateDict the map (not copied or modified) */
    public static Weights of(Map<String, INDArray> stateDict) {
        Map<String, INDArray> map = new HashMap<>(stateDict);
        map.keySet().removeIf(k -> k.endsWith("num_batches_tracked"));
        return new Weights() {
            @Override
            protected INDArray lookup(String key, String kind, long... shape) {
                return map.get(key);
            }

            @Override
            protected Set<String> unused(Set<String> used) {
                Set<String> s = new java.util.TreeSet<>(map.keySet());
                s.removeAll(used);
                return s;
            }
        };
    }

    /**
     * {@return seeded random weights in the spirit of torchvision's initialisation}: convolutions Kaiming-normal
     * (fan-out), linear layers N(0, 0.01) with zero bias; BatchNorm statistics are randomised (γ ∈ [0.5,1.5],
     * β, mean ~ N(0, 0.1), var ∈ [0.5,1.5]) so that folding and BatchNorm handling are exercised
     *
     * @param seed the seed; equal seeds give equal weights
     */
    public static Weights random(long seed) {
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        return new Weights() {
            @Override
            protected INDArray lookup(String key, String kind, long... shape) {
                switch (kind) {
                    case "conv": {
                        double fanOut = shape[0] * shape[2] * shape[3];
                        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT).muli(Math.sqrt(2.0 / fanOut));
                    }
                    case "linear":
                        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT).muli(0.01);
                    case "bn.weight":
                    case "bn.var":
                        return Nd4j.rand(rng, shape).castTo(DataType.FLOAT).addi(0.5);
                    case "bn.bias":
                    case "bn.mean":
                        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT).muli(0.1);
                    default:
                        return Nd4j.zeros(DataType.FLOAT, shape);
                }
            }
        };
    }
}
