package io.github.dtd4j.internal;

import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Node;
import io.github.dtd4j.graph.SumPool;
import io.github.dtd4j.spi.LinearLayer;
import io.github.dtd4j.spi.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The propagations of RULES-SPEC "Other layers", and the adapter that runs a rule on a linear node. */
final class Steps {
    private Steps() {
    }

    /** ReLU, Dropout, Identity, Flatten, Reshape, LRN, bypassed BatchNorm: relevance passes unchanged. */
    static Step passThrough(String why) {
        return new Step() {
            @Override
            public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                            Accounts accounts, Map<String, double[]> branches) {
                INDArray x = inputs.get(0);
                // relevance arrays are never written once made: hand it on (a reshaped view if the shape changes)
                return List.of(java.util.Arrays.equals(r.shape(), x.shape()) ? r : r.reshape('c', x.shape()));
            }

            @Override
            public boolean readsOutput() {
                return false;
            }

            @Override
            public String describe() {
                return why;
            }
        };
    }

    /** A linear layer explained by its rule. */
    static Step rule(Rule rule, LinearLayer layer, INDArray bias, double stabilizer) {
        return new Step() {
            @Override
            public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                            Accounts accounts, Map<String, double[]> branches) {
                Context ctx = new Context(layer, inputs.get(0), output, r, bias, stabilizer, accounts);
                INDArray rin = rule.propagate(ctx);
                if (rin == null || !java.util.Arrays.equals(rin.shape(), inputs.get(0).shape())) {
                    throw new IllegalStateException("rule " + rule.name() + " returned "
                            + (rin == null ? "null" : io.github.dtd4j.graph.Shape.format(rin.shape())) + " for layer '"
                            + node.name() + "' whose input is " + io.github.dtd4j.graph.Shape.format(inputs.get(0).shape()));
                }
                return List.of(rin);
            }

            @Override
            public boolean readsOutput() {
                return rule.usesOutput();
            }

            @Override
            public String describe() {
                return "rule " + rule.name();
            }
        };
    }

    /**
     * A linear map A (pooling): R_i = x_i · Σ_j A_ji R_j / stab(y_j); with {@code positive}, x⁺ and y⁺ = A x⁺ take
     * their places (z⁺ on the map's unit weights).
     */
    private abstract static class Proportional implements Step {
        private final double stabilizer;
        private final boolean positive;
        private final io.github.dtd4j.graph.Layer layer;

        Proportional(io.github.dtd4j.graph.Layer layer, double stabilizer, boolean positive) {
            this.layer = layer;
            this.stabilizer = stabilizer;
            this.positive = positive;
        }

        abstract INDArray transpose(INDArray x, INDArray s);

        /** {@return A·x: the recorded output if there is one (null: compute it)} */
        INDArray forward(INDArray x, INDArray recorded) {
            return recorded != null ? recorded : Forward.apply(layer, List.of(x));
        }

        abstract String name();

        @Override
        public String describe() {
            return positive ? name() + ", positive parts" : name();
        }

        @Override
        public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                        Accounts accounts, Map<String, double[]> branches) {
            INDArray x = inputs.get(0);
            if (positive) {
                INDArray xp = Transforms.relu(x, true);
                INDArray s = accounts.divide(null, r, forward(xp, null), null, stabilizer);
                return List.of(transpose(xp, s).muli(xp));
            }
            INDArray s = accounts.divide(null, r, forward(x, output), null, stabilizer);
            return List.of(transpose(x, s).muli(x));
        }
    }

    static Step sumPool(SumPool p, double stabilizer, boolean positive) {
        return new Proportional(p, stabilizer, positive) {
            @Override
            INDArray transpose(INDArray x, INDArray s) {
                long n = x.size(0);
                long groups = x.size(1) / p.groupSize();
                INDArray out = org.nd4j.linalg.factory.Nd4j.zeros(x.dataType(), n, groups, p.groupSize());
                return out.addi(s.reshape(new long[]{n, groups, 1})).reshape('c', new long[]{n, x.size(1)});
            }

            @Override
            String name() {
                return "proportional";
            }
        };
    }

    static Step avgPool(AvgPool2d p, double stabilizer, boolean positive) {
        return new Proportional(p, stabilizer, positive) {
            @Override
            INDArray transpose(INDArray x, INDArray s) {
                return Ops.avgPoolTranspose(x, s, p);
            }

            @Override
            String name() {
                return "proportional";
            }
        };
    }

    static Step adaptiveAvgPool(AdaptiveAvgPool2d p, double stabilizer, boolean positive) {
        return new Proportional(p, stabilizer, positive) {
            @Override
            INDArray transpose(INDArray x, INDArray s) {
                return Ops.adaptiveAvgPoolTranspose(x, s, p);
            }

            @Override
            String name() {
                return "proportional";
            }
        };
    }

    static Step globalAvgPool(io.github.dtd4j.graph.GlobalAvgPool p, double stabilizer, boolean positive) {
        return new Proportional(p, stabilizer, positive) {
            @Override
            INDArray transpose(INDArray x, INDArray s) {
                double area = x.size(2) * x.size(3);
                INDArray out = org.nd4j.linalg.factory.Nd4j.zeros(x.dataType(), x.shape());
                return out.addi(s.div(area));
            }

            @Override
            String name() {
                return "proportional";
            }
        };
    }

    /** Max-pooling treated as sum-pooling over the same windows (paper §5.2). */
    static Step maxPoolProportional(MaxPool2d p, double stabilizer, boolean positive) {
        Ops.Window w = Ops.Window.of(p);
        return new Proportional(p, stabilizer, positive) {
            @Override
            INDArray forward(INDArray x, INDArray recorded) {
                return Ops.sumPool(x, w);
            }

            @Override
            INDArray transpose(INDArray x, INDArray s) {
                return Ops.sumPoolTranspose(x, s, w);
            }

            @Override
            String name() {
                return "proportional (as sum)";
            }
        };
    }

    static Step maxPoolWinner(MaxPool2d p) {
        return new Step() {
            @Override
            public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                            Accounts accounts, Map<String, double[]> branches) {
                return List.of(Ops.maxPoolWinner(inputs.get(0), r, p));
            }

            @Override
            public String describe() {
                return "winner-take-all";
            }
        };
    }

    /**
     * Residual sum: R_k = x_k / stab(Σ x) · R, signed; with {@code positive}, R_k = x_k⁺ / stab(Σ x⁺) · R (z⁺ on the
     * sum's unit weights).
     */
    static Step add(double stabilizer, boolean positive) {
        return new Step() {
            @Override
            public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                            Accounts accounts, Map<String, double[]> branches) {
                List<INDArray> xs = inputs;
                INDArray y = output;
                if (positive) {
                    xs = new ArrayList<>();
                    for (INDArray x : inputs) {
                        xs.add(Transforms.relu(x, true));
                    }
                    y = Forward.apply(node.layer(), xs);
                }
                INDArray s = accounts.divide(null, r, y, null, stabilizer);
                List<INDArray> out = new ArrayList<>();
                for (int k = 0; k < xs.size(); k++) {
                    INDArray rk = positive ? xs.get(k).muli(s) : xs.get(k).mul(s);
                    branches.merge(node.inputs().get(k), Accounts.perSample(rk), Steps::sum);
                    out.add(rk);
                }
                return out;
            }

            @Override
            public String describe() {
                return positive ? "proportional, positive parts" : "proportional";
            }
        };
    }

    /** Concatenation: each input gets exactly its slice. */
    static Step concat(Concat c) {
        return new Step() {
            @Override
            public List<INDArray> propagate(Node node, List<INDArray> inputs, INDArray output, INDArray r,
                                            Accounts accounts, Map<String, double[]> branches) {
                int axis = c.axis() + 1;
                long offset = 0;
                List<INDArray> out = new ArrayList<>();
                for (int k = 0; k < inputs.size(); k++) {
                    long len = inputs.get(k).size(axis);
                    INDArrayIndex[] idx = new INDArrayIndex[r.rank()];
                    for (int d = 0; d < idx.length; d++) {
                        idx[d] = NDArrayIndex.all();
                    }
                    idx[axis] = NDArrayIndex.interval(offset, offset + len);
                    INDArray rk = r.get(idx).dup();
                    branches.merge(node.inputs().get(k), Accounts.perSample(rk), Steps::sum);
                    out.add(rk);
                    offset += len;
                }
                return out;
            }

            @Override
            public String describe() {
                return "split (exact)";
            }
        };
    }

    private static double[] sum(double[] a, double[] b) {
        double[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }
}
