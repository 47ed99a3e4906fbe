package io.github.dtd4j.rules;

import io.github.dtd4j.graph.Precision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dtd4j.errors.ConfigurationException;
import io.github.dtd4j.errors.Dtd4jException;
import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.errors.InvalidGraphException;
import io.github.dtd4j.errors.InvalidInputException;
import io.github.dtd4j.Selector;
import io.github.dtd4j.graph.AdaptiveAvgPool2d;
import io.github.dtd4j.graph.BatchNorm;
import io.github.dtd4j.graph.Concat;
import io.github.dtd4j.graph.Conv2d;
import io.github.dtd4j.graph.Dense;
import io.github.dtd4j.graph.Dropout;
import io.github.dtd4j.graph.Graph;
import io.github.dtd4j.graph.LocalResponseNorm;
import io.github.dtd4j.graph.MaxPool2d;
import io.github.dtd4j.graph.Shape;
import io.github.dtd4j.graph.SumPool;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every bad input, parameter or layer gets a {@link Dtd4jException} of the right kind whose message says what and
 * where; never an ND4J exception.
 */
class BadInputTest {
    private final Random rng = new Random(5);

    private INDArray randn(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c');
    }

    /** c1 (3->4, 3x3, pad 1) -> relu -> maxpool 2 -> flatten -> fc (64 -> 4), on [3,8,8]. */
    private Graph net() {
        return Graph.sequential(Shape.of(3, 8, 8))
                .conv("c1", Conv2d.of(randn(4, 3, 3, 3), randn(4)).withPadding(1))
                .relu()
                .maxPool(2, 2)
                .flatten()
                .dense("fc", randn(64, 4), randn(4))
                .build();
    }

    private Explainer explainer() {
        return Explainer.of(net()).rule(Rules.Z_PLUS);
    }

    /** An image in [0, 1). */
    private static INDArray image(long n) {
        return Nd4j.rand(DataType.FLOAT, n, 3, 8, 8);
    }

    // ---------------------------------------------------------------- input arrays

    @Test
    void wrongRank() {
        assertThatThrownBy(() -> explainer().explain(Nd4j.rand(DataType.FLOAT, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("input 'input': expected [N,3,8,8], got [3,8,8]");
        assertThatThrownBy(() -> explainer().explain(Nd4j.rand(DataType.FLOAT, 1, 1, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[N,3,8,8]")
                .hasMessageContaining("[1,1,3,8,8]");
        assertThatThrownBy(() -> explainer().explain(Nd4j.scalar(1.0f)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[N,3,8,8]");
    }

    @Test
    void wrongDims() {
        assertThatThrownBy(() -> explainer().explain(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 9)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 'input'")
                .hasMessageContaining("[N,3,8,8]")
                .hasMessageContaining("[2,3,8,9]");
        assertThatThrownBy(() -> explainer().explain(Nd4j.rand(DataType.FLOAT, 1, 8, 8, 3)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[1,8,8,3]");
        Graph vec = Graph.sequential(10).dense("fc", randn(10, 2), null).build();
        assertThatThrownBy(() -> Explainer.of(vec).rule(Rules.Z_PLUS).explain(Nd4j.rand(DataType.FLOAT, 2, 12)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("input 'input': expected [N,10], got [2,12]");
        // a custom input name is the one reported
        Graph named = Graph.builder("pixels", Shape.of(4)).add("fc", new Dense(randn(4, 2), null), "pixels").build();
        assertThatThrownBy(() -> Explainer.of(named).rule(Rules.Z_PLUS).explain(Nd4j.rand(DataType.FLOAT, 1, 5)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 'pixels'");
    }

    @Test
    void emptyAndNullInput() {
        assertThatThrownBy(() -> explainer().explain(null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 'input'");
        assertThatThrownBy(() -> explainer().explain(Nd4j.create(DataType.FLOAT, 0, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[0,3,8,8]");
    }

    @Test
    void unusualButValidInputArraysAreAccepted() {
        Explainer e = explainer().precision(Precision.FLOAT64);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 8, 8);
        INDArray expected = e.explain(x).inputRelevance();
        // Fortran order, a view into a bigger batch, another float dtype: same explanation
        INDArray f = x.dup('f');
        INDArray big = Nd4j.concat(0, Nd4j.rand(DataType.DOUBLE, 1, 3, 8, 8), x);
        INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
        assertThat(e.explain(f).inputRelevance()).isEqualTo(expected);
        assertThat(e.explain(view).inputRelevance()).isEqualTo(expected);
        INDArray half = x.castTo(DataType.FLOAT);
        assertThat(e.explain(half).inputRelevance().shape()).isEqualTo(x.shape());
        // the caller's arrays are not modified
        assertThat(f).isEqualTo(x);
        assertThat(big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3))).isEqualTo(x);
    }

    @Test
    void nanInInput() {
        INDArray x = image(2);
        x.putScalar(new long[]{1, 2, 3, 4}, Double.NaN);
        assertThatThrownBy(() -> explainer().explain(x))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("input 'input'")
                .hasMessageContaining("NaN at [1,2,3,4]");
    }

    @Test
    void infinityInInput() {
        INDArray x = image(2);
        x.putScalar(new long[]{0, 1, 5, 6}, Double.POSITIVE_INFINITY);
        assertThatThrownBy(() -> explainer().explain(x))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Infinity at [0,1,5,6]");
        INDArray y = image(1).castTo(DataType.DOUBLE);
        y.putScalar(new long[]{0, 2, 7, 7}, Double.NEGATIVE_INFINITY);
        assertThatThrownBy(() -> explainer().explain(y))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("-Infinity at [0,2,7,7]");
        // the first bad element is reported, in C order
        INDArray z = image(1);
        z.putScalar(new long[]{0, 2, 0, 0}, Double.NaN);
        z.putScalar(new long[]{0, 0, 3, 1}, Double.POSITIVE_INFINITY);
        assertThatThrownBy(() -> explainer().explain(z))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Infinity at [0,0,3,1]");
    }

    @Test
    void integerInput() {
        assertThatThrownBy(() -> explainer().explain(Nd4j.ones(DataType.INT, 1, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("floating-point")
                .hasMessageContaining("INT");
        assertThatThrownBy(() -> explainer().explain(Nd4j.ones(DataType.LONG, 1, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("LONG");
        assertThatThrownBy(() -> explainer().explain(Nd4j.ones(DataType.BOOL, 1, 3, 8, 8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("BOOL");
    }

    // ---------------------------------------------------------------- z^B domain

    @Test
    void zBoxInputBelowOrAboveTheBox() {
        Explainer e = Explainer.of(net()).preset(Presets.dtd(-0.5, 1.5));
        INDArray low = image(2);
        low.putScalar(new long[]{1, 2, 3, 4}, -0.625);
        assertThatThrownBy(() -> e.explain(low))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'c1' (Conv2d)")
                .hasMessageContaining("-0.625")
                .hasMessageContaining("[1,2,3,4]")
                .hasMessageContaining("-0.5");
        INDArray high = image(1);
        high.putScalar(new long[]{0, 0, 7, 1}, 1.75);
        assertThatThrownBy(() -> e.explain(high))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'c1' (Conv2d)")
                .hasMessageContaining("1.75")
                .hasMessageContaining("[0,0,7,1]")
                .hasMessageContaining("1.5");
    }

    @Test
    void zBoxToleratesTheSlackOnly() {
        Explainer e = Explainer.of(net()).preset(Presets.dtd(-0.5, 1.5)).precision(Precision.FLOAT64);
        INDArray inside = image(1).castTo(DataType.DOUBLE);
        // slack = 1e-5·max(1, |-0.5|, |1.5|) = 1.5e-5
        inside.putScalar(new long[]{0, 0, 0, 0}, -0.5 - 1.4e-5);
        inside.putScalar(new long[]{0, 1, 0, 0}, 1.5 + 1.4e-5);
        assertThatCode(() -> e.explain(inside)).doesNotThrowAnyException();
        INDArray outside = image(1).castTo(DataType.DOUBLE);
        outside.putScalar(new long[]{0, 0, 0, 0}, -0.5 - 1.6e-5);
        assertThatThrownBy(() -> e.explain(outside)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'c1' (Conv2d)")
                .hasMessageContaining("-0.500016");
        INDArray above = image(1).castTo(DataType.DOUBLE);
        above.putScalar(new long[]{0, 1, 1, 1}, 1.5 + 1.6e-5);
        assertThatThrownBy(() -> e.explain(above)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("1.500016");
        // the default box of the paper, [0, 1]: slack 1e-5
        Explainer unit = Explainer.of(net()).preset(Presets.dtd(0, 1)).precision(Precision.FLOAT64);
        INDArray u = image(1).castTo(DataType.DOUBLE);
        u.putScalar(new long[]{0, 0, 0, 0}, -0.9e-5);
        assertThatCode(() -> unit.explain(u)).doesNotThrowAnyException();
        u.putScalar(new long[]{0, 0, 0, 0}, -1.1e-5);
        assertThatThrownBy(() -> unit.explain(u)).isInstanceOf(InvalidInputException.class);
        // the slack scales with the bounds: 1e-5·max(1, |l|, |h|) = 1e-3 here
        Explainer wide = Explainer.of(net()).preset(Presets.dtd(-100, 100)).precision(Precision.FLOAT64);
        INDArray w1 = image(1).castTo(DataType.DOUBLE);
        w1.putScalar(new long[]{0, 2, 2, 2}, -100.0009);
        assertThatCode(() -> wide.explain(w1)).doesNotThrowAnyException();
        w1.putScalar(new long[]{0, 2, 2, 2}, -100.0011);
        assertThatThrownBy(() -> wide.explain(w1)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("-100.0011");
    }

    @Test
    void zBoxAcceptsAFloat32ImageNormalisedInFloat32() {
        double[] mean = {0.485, 0.456, 0.406};
        double[] std = {0.229, 0.224, 0.225};
        // pixels at exactly 0 and 1, normalised in float32 as a user would
        INDArray raw = Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8);
        raw.putScalar(new long[]{0, 0, 0, 0}, 0f);
        raw.putScalar(new long[]{0, 1, 0, 0}, 0f);
        raw.putScalar(new long[]{0, 2, 0, 0}, 1f);
        raw.putScalar(new long[]{0, 0, 1, 1}, 1f);
        INDArray m = Nd4j.create(new float[]{(float) mean[0], (float) mean[1], (float) mean[2]}, new long[]{1, 3, 1, 1});
        INDArray s = Nd4j.create(new float[]{(float) std[0], (float) std[1], (float) std[2]}, new long[]{1, 3, 1, 1});
        INDArray x = raw.sub(m).div(s);
        Explainer e = Explainer.of(net()).preset(Presets.dtd(Rules.zBoxNormalized(mean, std)));
        assertThatCode(() -> e.explain(x)).doesNotThrowAnyException();
        // per-channel bounds: a value legal for channel 2 but below channel 0's bound is rejected for channel 0
        INDArray bad = x.dup();
        bad.putScalar(new long[]{0, 0, 4, 4}, -2.5f); // l_0 = -2.118, l_2 = -1.804
        assertThatThrownBy(() -> e.explain(bad)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[0,0,4,4]")
                .hasMessageContaining(String.valueOf(-mean[0] / std[0]));
    }

    @Test
    void zBoxPerChannelBoundsOfTheWrongLength() {
        Explainer e = Explainer.of(net()).rule(Rules.Z_PLUS)
                .rule(Selector.first(), Rules.zBox(new double[]{-1, -1}, new double[]{1, 1}));
        assertThatThrownBy(e::coverage)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("layer 'c1' (Conv2d)")
                .hasMessageContaining("2 values")
                .hasMessageContaining("[N,3,8,8]")
                .hasMessageContaining("3 channels");
        assertThatThrownBy(() -> e.explain(image(1))).isInstanceOf(ConfigurationException.class);
        // for a Dense first layer the "channels" are the features
        Graph vec = Graph.sequential(5).dense("fc", randn(5, 2), null).build();
        assertThatThrownBy(() -> Explainer.of(vec).rule(Rules.zBox(new double[]{0, 0, 0}, new double[]{1, 1, 1}))
                .coverage())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("layer 'fc' (Dense)");
    }

    @Test
    void zBoxBoundsThemselvesAreChecked() {
        assertThatThrownBy(() -> Rules.zBox(1, -1)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("low <= high");
        assertThatThrownBy(() -> Rules.zBox(Double.NaN, 1)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.zBox(0, Double.POSITIVE_INFINITY)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.zBox(new double[]{0, 0}, new double[]{1})).isInstanceOf(
                ConfigurationException.class).hasMessageContaining("2 and 1");
        assertThatThrownBy(() -> Rules.zBox(new double[0], new double[0])).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.zBoxNormalized(new double[]{0.5}, new double[]{0}))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("std[0]");
        assertThatThrownBy(() -> Rules.zBoxNormalized(new double[]{0.5, 0.5}, new double[]{1}))
                .isInstanceOf(ConfigurationException.class);
    }

    // ---------------------------------------------------------------- configuration

    @Test
    void unknownNodeNameInASelector() {
        assertThatThrownBy(() -> explainer().rule(Selector.name("conv_99"), Rules.FLAT).explain(image(1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'conv_99'");
    }

    @Test
    void ruleParametersOutOfRange() {
        assertThatThrownBy(() -> new AlphaBetaRule(2, 0.5))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alpha - beta = 1")
                .hasMessageContaining("alpha=2.0")
                .hasMessageContaining("beta=0.5");
        assertThatThrownBy(() -> Rules.alphaBeta(0.5, -0.5))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("beta=-0.5");
        assertThatThrownBy(() -> Rules.alphaBeta(Double.NaN, 0)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.alphaBeta(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.epsilon(-0.1))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("-0.1");
        assertThatThrownBy(() -> Rules.epsilon(Double.NaN)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Rules.epsilon(Double.POSITIVE_INFINITY)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> new GammaRule(-1))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("gamma")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> Rules.gamma(Double.NaN)).isInstanceOf(ConfigurationException.class);
        // the boundaries themselves are fine
        assertThat(Rules.alphaBeta(1, 0).name()).isEqualTo("alpha1beta0");
        assertThat(Rules.epsilon(0).name()).isEqualTo("lrp0");
        assertThat(Rules.gamma(0).name()).isEqualTo("gamma(0.0)");
    }

    @Test
    void explainerSettingsOutOfRange() {
        assertThatThrownBy(() -> explainer().stabilizer(-1e-6)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("stabilizer");
        assertThatThrownBy(() -> explainer().stabilizer(Double.NaN)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> explainer().stabilizer(Double.POSITIVE_INFINITY))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> explainer().precision(null)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("precision");
        assertThatThrownBy(() -> Precision.of(DataType.HALF)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("HALF");
    }

    @Test
    void missingRule() {
        assertThatThrownBy(() -> Explainer.of(net()).explain(image(1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'c1' (Conv2d)")
                .hasMessageContaining("'fc' (Dense)");
        assertThatThrownBy(() -> Explainer.of(net()).rule(Selector.dense(), Rules.Z_PLUS).explain(image(1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'c1' (Conv2d)")
                .hasMessageNotContaining("'fc'");
    }

    @Test
    void outputThatIsNotAVectorCannotBeExplained() {
        Graph g = Graph.sequential(Shape.of(3, 8, 8)).conv("c1", Conv2d.of(randn(4, 3, 3, 3), null)).build();
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.Z_PLUS).explain(image(1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'c1' (Conv2d)")
                .hasMessageContaining("[N,4,6,6]")
                .hasMessageContaining("Flatten");
    }

    // ---------------------------------------------------------------- targets

    @Test
    void targetClassOutOfRange() {
        assertThatThrownBy(() -> explainer().explain(image(2), 4))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("class 4")
                .hasMessageContaining("[0,4)")
                .hasMessageContaining("'fc'");
        assertThatThrownBy(() -> explainer().explain(image(1), -1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("class -1");
        assertThatThrownBy(() -> explainer().explain(image(2), new int[]{0, 7}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("class 7 for batch element 1");
    }

    @Test
    void targetsOfTheWrongLength() {
        assertThatThrownBy(() -> explainer().explain(image(2), new int[]{0, 1, 2}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("3 classes given for a batch of 2");
        assertThatThrownBy(() -> explainer().explain(image(3), new int[]{1}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("1 class given for a batch of 3");
        assertThatThrownBy(() -> explainer().explain(image(2), new int[0]))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("0 classes given for a batch of 2");
        // the right lengths work
        Explanation e = explainer().explain(image(2), new int[]{3, 0});
        assertThat(e.targets()).containsExactly(3, 0);
        assertThat(explainer().explain(image(2), 2).targets()).containsExactly(2, 2);
    }

    // ---------------------------------------------------------------- malformed layers

    @Test
    void malformedConv2d() {
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessage("Conv2d weight must have rank 4, got [4,3,3]");
        assertThatThrownBy(() -> Conv2d.of(null, null)).isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Conv2d weight");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), randn(5)))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Conv2d bias")
                .hasMessageContaining("length 4")
                .hasMessageContaining("[5]");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), randn(2, 2)))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Conv2d bias");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withStride(0))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessage("Conv2d stride must be positive, got 0");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withStride(1, -2))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withPadding(-1))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("padding");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withDilation(0))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("dilation");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withGroups(3))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("4 output channels")
                .hasMessageContaining("3 groups");
        assertThatThrownBy(() -> Conv2d.of(randn(4, 3, 3, 3), null).withGroups(0))
                .isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> Conv2d.of(Nd4j.ones(DataType.INT, 4, 3, 3, 3), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("floating point");
    }

    @Test
    void emptyWeights() {
        assertThatThrownBy(() -> Conv2d.of(Nd4j.create(DataType.FLOAT, 4, 3, 0, 3), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Conv2d weight")
                .hasMessageContaining("[4,3,0,3]");
        assertThatThrownBy(() -> Conv2d.of(Nd4j.create(DataType.FLOAT, 4, 0, 3, 3), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("[4,0,3,3]");
        assertThatThrownBy(() -> Dense.of(Nd4j.create(DataType.FLOAT, 0, 3), null))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Dense weight")
                .hasMessageContaining("[0,3]");
    }

    @Test
    void batchNormVarianceMustStayPositive() {
        assertThatThrownBy(() -> new BatchNorm(randn(3), randn(3), randn(3), Nd4j.create(new double[]{1, -2, 1}), 1e-5))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("BatchNorm var")
                .hasMessageContaining("channel 1")
                .hasMessageContaining("-2.0");
        assertThatThrownBy(() -> new BatchNorm(randn(3), randn(3), randn(3), Nd4j.zeros(3), 0))
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("channel 0");
        // zero variance is fine with a positive eps
        assertThatCode(() -> new BatchNorm(randn(3), randn(3), randn(3), Nd4j.zeros(3), 1e-5))
                .doesNotThrowAnyException();
    }

    @Test
    void kernelLargerThanThePaddedInput() {
        assertThatThrownBy(() -> Graph.sequential(Shape.of(3, 4, 4))
                .conv("big", Conv2d.of(randn(2, 3, 5, 5), null).withPadding(0, 0, 0, 0)).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("layer 'big' (Conv2d)")
                .hasMessageContaining("5x5")
                .hasMessageContaining("[N,3,4,4]");
        assertThatThrownBy(() -> Graph.sequential(Shape.of(3, 4, 4)).maxPool(5, 1).build())
                .isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("(MaxPool2d)")
                .hasMessageContaining("[N,3,4,4]");
    }

    @Test
    void malformedOtherLayers() {
        assertThatThrownBy(() -> Dense.of(randn(4), null)).isInstanceOf(InvalidGraphException.class)
                .hasMessage("Dense weight must have rank 2, got [4]");
        assertThatThrownBy(() -> Dense.of(randn(4, 3), randn(4))).isInstanceOf(InvalidGraphException.class)
                .hasMessageContaining("Dense bias must be a vector of length 3, got [4]");
        assertThatThrownBy(() -> Dense.of(randn(4, 3), Nd4j.ones(DataType.INT, 3)))
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("INT");
        assertThatThrownBy(() -> new BatchNorm(randn(3), randn(3), randn(4), randn(3), 1e-5))
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("BatchNorm mean");
        assertThatThrownBy(() -> new BatchNorm(randn(3), randn(3), randn(3), randn(3), -1))
                .isInstanceOf(InvalidGraphException.class).hasMessageContaining("eps");
        assertThatThrownBy(() -> new BatchNorm(randn(3), null, randn(3), randn(3), 1e-5))
                .isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> Graph.sequential(Shape.of(1, 6, 6)).then("mp", new MaxPool2d(2, 2, 2, 2, 2, 0, 0, 0))
                .build()).isInstanceOf(InvalidGraphException.class).hasMessageContaining("layer 'mp' (MaxPool2d)")
                .hasMessageContaining("padding");
        assertThatThrownBy(() -> MaxPool2d.of(0, 1)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> new Dropout(1.0)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> new LocalResponseNorm(5, 1e-4, 0.75, 0)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> new SumPool(0)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> new AdaptiveAvgPool2d(0, 1)).isInstanceOf(InvalidGraphException.class);
        assertThatThrownBy(() -> new Concat(-1)).isInstanceOf(InvalidGraphException.class);
    }

    // ---------------------------------------------------------------- forward overflow

    @Test
    void forwardOverflowNamesTheNode() {
        INDArray w1 = Nd4j.valueArrayOf(new long[]{4, 3}, 1e30);
        INDArray w2 = Nd4j.valueArrayOf(new long[]{3, 2}, 1e30);
        Graph g = Graph.sequential(4).dense("fc1", w1, null).relu().dense("fc2", w2, null).build();
        INDArray x = Nd4j.ones(DataType.FLOAT, 1, 4);
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.Z_PLUS).explain(x))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'fc2' (Dense)")
                .hasMessageContaining("Infinity")
                .hasMessageContaining("overflow");
        // in float64 the same model is fine
        assertThatCode(() -> Explainer.of(g).rule(Rules.Z_PLUS).precision(Precision.FLOAT64).explain(x))
                .doesNotThrowAnyException();
    }

    @Test
    void overflowIsReportedAtTheFirstNodeThatProducedIt() {
        // fc1 overflows to +Inf/-Inf, fc2 turns Inf·0 into NaN, and the non-finite values reach the logits
        INDArray w1 = Nd4j.create(new double[][]{{3e38, -3e38}, {3e38, -3e38}});
        INDArray w2 = Nd4j.create(new double[][]{{0, -1}, {0, 0}});
        INDArray w3 = Nd4j.create(new double[][]{{1, 1}, {1, 1}});
        Graph g = Graph.sequential(2).dense("fc1", w1, null).relu().dense("fc2", w2, null).relu()
                .dense("fc3", w3, Nd4j.create(new double[]{1, 2})).build();
        INDArray x = Nd4j.ones(DataType.FLOAT, 1, 2);
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.epsilon(0.1)).explain(x))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'fc1' (Dense)")
                .hasMessageContaining("Infinity");
    }

    @Test
    void overflowHiddenFromTheLogitsByAMaxPoolIsStillReported() {
        // fc1 overflows to +Inf, fc2 = Inf·0 = NaN; max pooling ignores the NaN (ND4J's comparison never picks it),
        // so the logits are finite, but the relevance through fc2 would be 0/NaN
        Graph g = Graph.builder(Shape.of(2))
                .add("fc1", new Dense(Nd4j.create(new double[][]{{3e38}, {0}}), null), "input")
                .add("fc2", new Dense(Nd4j.create(new double[][]{{0}}), null), "fc1")
                .add("fin", new Dense(Nd4j.create(new double[][]{{1, 2, 3}, {1, 1, 1}}), null), "input")
                .add("cat", new Concat(0), "fc2", "fin")
                .add("img", new io.github.dtd4j.graph.Reshape(Shape.of(1, 2, 2)), "cat")
                .add("pool", MaxPool2d.of(2, 2), "img")
                .add("flat", new io.github.dtd4j.graph.Flatten(), "pool")
                .add("out", new Dense(Nd4j.create(new double[][]{{1, -1}}), Nd4j.create(new double[]{0.5, 0.5})),
                        "flat")
                .build();
        INDArray x = Nd4j.create(new float[]{2, 1}, new long[]{1, 2});
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.epsilon(0.1)).explain(x))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer 'fc1' (Dense)")
                .hasMessageContaining("Infinity");
    }

    // ---------------------------------------------------------------- nulls, misplaced selectors, bad weights

    @Test
    void nullsAreOurExceptions() {
        assertThatThrownBy(() -> Explainer.of(null)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("graph is null");
        assertThatThrownBy(() -> explainer().explain(image(1), (int[]) null)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("targets");
        assertThatThrownBy(() -> explainer().rule(null)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> explainer().rule(Selector.conv(), null)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void aRuleNamedForANodeItCannotServeIsRejected() {
        // every kind takes a rule now; a linear rule assigned by name to a ReLU is a mistake worth reporting
        Explainer ex = explainer().rule(Selector.name("relu_1"), Rules.LRP_0);
        assertThatThrownBy(ex::coverage).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'relu_1' (Relu)").hasMessageContaining("does not apply");
        // by kind, a selector whose rule does not accept the kind simply does not apply
        assertThat(explainer().rule(Selector.kind(io.github.dtd4j.graph.Relu.class), Rules.LRP_0).coverage()
                .propagationOf("relu_1")).isEqualTo("pass-through");
        assertThatThrownBy(() -> Selector.kind()).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Selector.name("a", null)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void nonFiniteWeightsAreReportedWithTheNode() {
        INDArray w = randn(64, 4);
        w.putScalar(new long[]{3, 1}, Double.NaN);
        Graph g = Graph.sequential(64).dense("fc", w, null).build();
        assertThatThrownBy(() -> Explainer.of(g).rule(Rules.Z_PLUS).explain(Nd4j.rand(DataType.FLOAT, 1, 64)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("layer 'fc' (Dense)")
                .hasMessageContaining("NaN at [3,1]");
    }
}
