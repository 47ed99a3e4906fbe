package io.github.dtd4j.onnx.internal;

import io.github.dtd4j.graph.Activation;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.onnx.internal.Value.Act;
import onnx.OnnxMl.NodeProto;

/**
 * The element-wise activations other than ReLU → {@link Activation}: {@code Clip} with constant bounds (ReLU6;
 * {@code Clip(0, ∞)} is a {@link Relu}, a clip without bounds passes through), {@code LeakyRelu}, {@code Elu},
 * {@code Sigmoid}, {@code HardSigmoid}, {@code HardSwish}, {@code Tanh}, and {@code Gelu} (what {@link GeluFusion}
 * makes of the erf formula).
 */
final class ActivationConverter implements OpConverter {
    @Override
    public void convert(ConversionContext ctx, NodeProto node) {
        Act x = ctx.activation(0);
        Activation a = switch (ctx.operator()) {
            case "Clip" -> {
                double lo = bound(ctx, 1, "min", Double.NEGATIVE_INFINITY);
                double hi = bound(ctx, 2, "max", Double.POSITIVE_INFINITY);
                if (!(lo <= hi)) {
                    throw new NotSupported("Clip with min " + lo + " > max " + hi + " (a constant output)");
                }
                if (lo == Double.NEGATIVE_INFINITY && hi == Double.POSITIVE_INFINITY) {
                    ctx.output(x);
                    yield null;
                }
                if (lo == 0 && hi == Double.POSITIVE_INFINITY) {
                    ctx.emit(new Relu(), x);
                    yield null;
                }
                yield Activation.clip(lo, hi);
            }
            case "LeakyRelu" -> Activation.leakyRelu(finite(ctx, "alpha", ctx.attrs().f("alpha", 0.01)));
            case "Elu" -> Activation.elu(finite(ctx, "alpha", ctx.attrs().f("alpha", 1.0)));
            case "Sigmoid" -> Activation.sigmoid();
            case "HardSigmoid" -> Activation.hardSigmoid(finite(ctx, "alpha", ctx.attrs().f("alpha", 0.2)),
                    finite(ctx, "beta", ctx.attrs().f("beta", 0.5)));
            case "HardSwish" -> Activation.hardSwish();
            case "Tanh" -> Activation.tanh();
            case "Gelu" -> {
                if (!ctx.attrs().s("approximate", "none").equals("none")) {
                    throw new NotSupported("Gelu with approximate=" + ctx.attrs().s("approximate", "none")
                            + " (the exact, erf-based GELU only)");
                }
                yield Activation.gelu();
            }
            default -> throw new IllegalStateException("ActivationConverter registered for " + ctx.operator());
        };
        if (a != null) {
            ctx.emit(a, x);
        }
    }

    /** A Clip bound: a constant scalar input (opset 11 on), or the default when it is absent. */
    private static double bound(ConversionContext ctx, int k, String what, double absent) {
        Const c = ctx.optionalConstant(k, "the " + what);
        if (c == null) {
            return absent;
        }
        if (c.length() != 1) {
            throw ctx.invalid("its " + what + " must be a scalar, got " + c);
        }
        double v = c.at(0);
        if (Double.isNaN(v)) {
            throw ctx.invalid("its " + what + " is NaN");
        }
        return v;
    }

    private static double finite(ConversionContext ctx, String attr, double v) {
        if (!Double.isFinite(v)) {
            throw ctx.invalid("attribute " + attr + " must be finite, got " + v);
        }
        return v;
    }
}
