package io.github.dtd4j.models;

import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.graph.Add;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.AvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Flatten;
import io.github.dtd4j.graph.GlobalAvgPool;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.GraphBuilder;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Relu;
import io.github.dtd4j.graph.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Builders for torchvision's VGG16, VGG16-BN, VGG19, ResNet-18/34/50/101 and DenseNet-121 (torchvision 0.14
 * architectures). Every parameterised node is named as its module in torchvision, so its parameters are the
 * {@code state_dict} entries {@code <node>.weight}, {@code <node>.bias}, {@code <node>.running_mean}, ...
 *
 * <pre>{@code
 * Graph vgg = TorchVision.vgg16(Weights.fromNpz(Path.of("vgg16.npz")));
 * Graph tiny = TorchVision.resnet18(Weights.random(1), Options.imageNet().withWidthDivisor(8).withInput(3, 64, 64));
 * }</pre>
 *
 * <p>{@link Options#withWidthDivisor(int)} divides every channel count (and VGG's 4096 hidden units) by a factor,
 * giving small models of the same structure for tests; the fixture script builds the same reduced models in
 * PyTorch.
 */
public final class TorchVision {
    private TorchVision() {
    }

    /**
     * Builder options.
     *
     * @param classes      output classes (1000 for ImageNet)
     * @param widthDivisor divides every channel count (1 for the real models)
     * @param input        per-sample input shape (3×224×224 for ImageNet)
     */
    public record Options(int classes, int widthDivisor, Shape input) {
        /** Validates. */
        public Options {
            if (classes < 1 || widthDivisor < 1 || input == null || input.rank() != 3) {
                throw new InvalidGraphException("Options: classes >= 1, widthDivisor >= 1 and a [C,H,W] input needed, got "
                        + classes + ", " + widthDivisor + ", " + input);
            }
        }

        /** {@return 1000 classes, full width, 3×224×224} */
        public static Options imageNet() {
            return new Options(1000, 1, Shape.of(3, 224, 224));
        }

        /** {@return a copy with another number of classes} @param k classes */
        public Options withClasses(int k) {
            return new Options(k, widthDivisor, input);
        }

        /** {@return a copy with every width divided by d} @param d divisor */
        public Options withWidthDivisor(int d) {
            return new Options(classes, d, input);
        }

        /** {@return a copy with another input shape} @param c channels @param h height @param w width */
        public Options withInput(long c, long h, long w) {
            return new Options(classes, widthDivisor, Shape.of(c, h, w));
        }

        int w(int channels) {
            return Math.max(1, channels / widthDivisor);
        }
    }

    /** Adds nodes with shapes inferred as they go. */
    private static final class Net {
        final GraphBuilder g;
        final Weights w;
        String last = "input";

        Net(Shape input, Weights w, String model) {
            this.g = Graph.builder(input).provenance("builder", "TorchVision." + model);
            this.w = w;
        }

        long channels(String node) {
            return g.shapeOf(node).dim(0);
        }

        String conv(String name, String from, int out, int k, int stride, int pad, boolean bias) {
            long in = channels(from);
            INDArray weight = w.get(name + ".weight", "conv", out, in, k, k);
            INDArray b = bias ? w.get(name + ".bias", "bias", out) : null;
            g.add(name, Conv2d.of(weight, b).withStride(stride).withPadding(pad), from);
            return last = name;
        }

        String bn(String name, String from) {
            long c = channels(from);
            g.add(name, new BatchNorm(w.get(name + ".weight", "bn.weight", c), w.get(name + ".bias", "bn.bias", c),
                    w.get(name + ".running_mean", "bn.mean", c), w.get(name + ".running_var", "bn.var", c), 1e-5), from);
            return last = name;
        }

        String linear(String name, String from, int out) {
            long in = g.shapeOf(from).dim(0);
            INDArray weight = w.get(name + ".weight", "linear", out, in);
            g.add(name, new Dense(weight.transpose().dup('c'), w.get(name + ".bias", "bias", out)), from);
            return last = name;
        }

        String add(String name, Object layer, String... from) {
            g.add(name, (io.github.dtd4j.graph.Layer) layer, from);
            return last = name;
        }

        Graph build(String model) {
            w.verify(model);
            return g.output(last).build();
        }
    }

    private static final int M = -1;
    private static final int[] VGG16 = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
    private static final int[] VGG19 = {64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512,
            512, 512, M};

    /** {@return VGG16 for ImageNet} @param w weights */
    public static Graph vgg16(Weights w) {
        return vgg(VGG16, false, w, Options.imageNet(), "vgg16");
    }

    /** {@return VGG16} @param w weights @param o options */
    public static Graph vgg16(Weights w, Options o) {
        return vgg(VGG16, false, w, o, "vgg16");
    }

    /** {@return VGG16 with BatchNorm for ImageNet} @param w weights */
    public static Graph vgg16bn(Weights w) {
        return vgg(VGG16, true, w, Options.imageNet(), "vgg16_bn");
    }

    /** {@return VGG16 with BatchNorm} @param w weights @param o options */
    public static Graph vgg16bn(Weights w, Options o) {
        return vgg(VGG16, true, w, o, "vgg16_bn");
    }

    /** {@return VGG19 for ImageNet} @param w weights */
    public static Graph vgg19(Weights w) {
        return vgg(VGG19, false, w, Options.imageNet(), "vgg19");
    }

    /** {@return VGG19} @param w weights @param o options */
    public static Graph vgg19(Weights w, Options o) {
        return vgg(VGG19, false, w, o, "vgg19");
    }

    private static Graph vgg(int[] cfg, boolean bn, Weights w, Options o, String model) {
        Net n = new Net(o.input(), w, model);
        int i = 0;
        for (int v : cfg) {
            if (v == M) {
                n.add("features." + i++, MaxPool2d.of(2, 2), n.last);
            } else {
                n.conv("features." + i++, n.last, o.w(v), 3, 1, 1, true);
                if (bn) {
                    n.bn("features." + i++, n.last);
                }
                n.add("features." + i++, new Relu(), n.last);
            }
        }
        n.add("avgpool", new AdaptiveAvgPool2d(7, 7), n.last);
        n.add("flatten", new Flatten(), n.last);
        int hidden = o.w(4096);
        n.linear("classifier.0", n.last, hidden);
        n.add("classifier.1", new Relu(), n.last);
        n.add("classifier.2", new Dropout(0.5), n.last);
        n.linear("classifier.3", n.last, hidden);
        n.add("classifier.4", new Relu(), n.last);
        n.add("classifier.5", new Dropout(0.5), n.last);
        n.linear("classifier.6", n.last, o.classes());
        return n.build(model);
    }

    /** {@return ResNet-18 for ImageNet} @param w weights */
    public static Graph resnet18(Weights w) {
        return resnet(new int[]{2, 2, 2, 2}, false, w, Options.imageNet(), "resnet18");
    }

    /** {@return ResNet-18} @param w weights @param o options */
    public static Graph resnet18(Weights w, Options o) {
        return resnet(new int[]{2, 2, 2, 2}, false, w, o, "resnet18");
    }

    /** {@return ResNet-34} @param w weights @param o options */
    public static Graph resnet34(Weights w, Options o) {
        return resnet(new int[]{3, 4, 6, 3}, false, w, o, "resnet34");
    }

    /** {@return ResNet-50 for ImageNet} @param w weights */
    public static Graph resnet50(Weights w) {
        return resnet(new int[]{3, 4, 6, 3}, true, w, Options.imageNet(), "resnet50");
    }

    /** {@return ResNet-50} @param w weights @param o options */
    public static Graph resnet50(Weights w, Options o) {
        return resnet(new int[]{3, 4, 6, 3}, true, w, o, "resnet50");
    }

    /** {@return ResNet-101} @param w weights @param o options */
    public static Graph resnet101(Weights w, Options o) {
        return resnet(new int[]{3, 4, 23, 3}, true, w, o, "resnet101");
    }

    private static Graph resnet(int[] blocks, boolean bottleneck, Weights w, Options o, String model) {
        Net n = new Net(o.input(), w, model);
        n.conv("conv1", "input", o.w(64), 7, 2, 3, false);
        n.bn("bn1", n.last);
        n.add("relu", new Relu(), n.last);
        n.add("maxpool", MaxPool2d.of(3, 2, 1), n.last);
        int expansion = bottleneck ? 4 : 1;
        int[] planes = {64, 128, 256, 512};
        for (int l = 0; l < 4; l++) {
            for (int b = 0; b < blocks[l]; b++) {
                String p = "layer" + (l + 1) + "." + b;
                int stride = (b == 0 && l > 0) ? 2 : 1;
                String in = n.last;
                int width = o.w(planes[l]);
                int out = width * expansion;
                String main;
                if (bottleneck) {
                    n.conv(p + ".conv1", in, width, 1, 1, 0, false);
                    n.bn(p + ".bn1", n.last);
                    n.add(p + ".relu1", new Relu(), n.last);
                    n.conv(p + ".conv2", n.last, width, 3, stride, 1, false);
                    n.bn(p + ".bn2", n.last);
                    n.add(p + ".relu2", new Relu(), n.last);
                    n.conv(p + ".conv3", n.last, out, 1, 1, 0, false);
                    main = n.bn(p + ".bn3", n.last);
                } else {
                    n.conv(p + ".conv1", in, width, 3, stride, 1, false);
                    n.bn(p + ".bn1", n.last);
                    n.add(p + ".relu1", new Relu(), n.last);
                    n.conv(p + ".conv2", n.last, width, 3, 1, 1, false);
                    main = n.bn(p + ".bn2", n.last);
                }
                String shortcut = in;
                if (stride != 1 || n.channels(in) != out) {
                    n.conv(p + ".downsample.0", in, out, 1, stride, 0, false);
                    shortcut = n.bn(p + ".downsample.1", n.last);
                }
                n.add(p + ".add", new Add(), main, shortcut);
                n.add(p + ".relu", new Relu(), n.last);
            }
        }
        n.add("avgpool", new GlobalAvgPool(), n.last);
        n.add("flatten", new Flatten(), n.last);
        n.linear("fc", n.last, o.classes());
        return n.build(model);
    }

    /** {@return DenseNet-121 for ImageNet} @param w weights */
    public static Graph densenet121(Weights w) {
        return densenet121(w, Options.imageNet());
    }

    /**
     * {@return DenseNet-121 (growth 32, blocks 6-12-24-16, bottleneck 4×growth, initial 64 features)}
     *
     * @param w weights
     * @param o options (the width divisor divides the growth rate and the initial features)
     */
    public static Graph densenet121(Weights w, Options o) {
        Net n = new Net(o.input(), w, "densenet121");
        int growth = o.w(32);
        n.conv("features.conv0", "input", o.w(64), 7, 2, 3, false);
        n.bn("features.norm0", n.last);
        n.add("features.relu0", new Relu(), n.last);
        n.add("features.pool0", MaxPool2d.of(3, 2, 1), n.last);
        int[] blocks = {6, 12, 24, 16};
        for (int b = 0; b < blocks.length; b++) {
            String features = n.last;
            for (int l = 1; l <= blocks[b]; l++) {
                String p = "features.denseblock" + (b + 1) + ".denselayer" + l;
                n.bn(p + ".norm1", features);
                n.add(p + ".relu1", new Relu(), n.last);
                n.conv(p + ".conv1", n.last, 4 * growth, 1, 1, 0, false);
                n.bn(p + ".norm2", n.last);
                n.add(p + ".relu2", new Relu(), n.last);
                String fresh = n.conv(p + ".conv2", n.last, growth, 3, 1, 1, false);
                features = n.add(p + ".cat", Concat.channels(), features, fresh);
            }
            if (b < blocks.length - 1) {
                String p = "features.transition" + (b + 1);
                n.bn(p + ".norm", features);
                n.add(p + ".relu", new Relu(), n.last);
                n.conv(p + ".conv", n.last, (int) (n.channels(features) / 2), 1, 1, 0, false);
                n.add(p + ".pool", new AvgPool2d(2, 2, 2, 2, 0, 0, 0, 0, true), n.last);
            }
        }
        n.bn("features.norm5", n.last);
        n.add("relu", new Relu(), n.last);
        n.add("avgpool", new GlobalAvgPool(), n.last);
        n.add("flatten", new Flatten(), n.last);
        n.linear("classifier", n.last, o.classes());
        return n.build("densenet121");
    }
}
