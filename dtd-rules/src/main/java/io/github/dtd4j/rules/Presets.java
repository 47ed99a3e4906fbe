package io.github.dtd4j.rules;

import io.github.dtd4j.Preset;
import io.github.dtd4j.Preset.Assignment;
import io.github.dtd4j.Selector;
import io.github.dtd4j.spi.LinearRule;

/**
 * The common rule compositions, as data.
 *
 * <table>
 * <caption>Presets</caption>
 * <tr><th>preset</th><th>first layer</th><th>convolutions</th><th>dense</th></tr>
 * <tr><td>{@link #dtd}</td><td>z^B</td><td>z⁺</td><td>z⁺</td></tr>
 * <tr><td>{@link #dtdWSquare}</td><td>w²</td><td>z⁺</td><td>z⁺</td></tr>
 * <tr><td>{@link #epsilonZPlus}</td><td>(as its kind)</td><td>z⁺</td><td>ε</td></tr>
 * <tr><td>{@link #epsilonAlphaBeta}</td><td>z^B</td><td>α2β1</td><td>ε</td></tr>
 * </table>
 */
public final class Presets {
    private Presets() {
    }

    /**
     * {@return DTD's rule composition: z^B on the first layer, z⁺ elsewhere}; the paper's ImageNet experiment
     * (§6.2) also lets positive biases absorb relevance at the first layer, which is {@code dtd(first.withPositiveBias())}
     *
     * @param first z^B
     */
    public static Preset dtd(ZBoxRule first) {
        return Preset.of("dtd", Assignment.of(Selector.all(), Rules.Z_PLUS), Assignment.of(Selector.first(), first));
    }

    /** {@return DTD with scalar bounds} @param low lower bound @param high upper bound */
    public static Preset dtd(double low, double high) {
        return dtd(Rules.zBox(low, high));
    }

    /** {@return DTD with w² on the first layer and z⁺ elsewhere} */
    public static Preset dtdWSquare() {
        return Preset.of("dtd-w2", Assignment.of(Selector.all(), Rules.Z_PLUS), Assignment.of(Selector.first(),
                Rules.W_SQUARE));
    }

    /** {@return ε on dense layers, z⁺ on convolutions} @param epsilon ε, e.g. 0.25 */
    public static Preset epsilonZPlus(double epsilon) {
        return Preset.of("epsilon-zplus", Assignment.of(Selector.conv(), Rules.Z_PLUS), Assignment.of(Selector.dense(),
                Rules.epsilon(epsilon)));
    }

    /**
     * {@return z^B on the first layer, α2β1 on convolutions, ε on dense layers}
     *
     * @param first   the first layer's rule
     * @param epsilon ε for dense layers
     */
    public static Preset epsilonAlphaBeta(ZBoxRule first, double epsilon) {
        LinearRule ab = Rules.ALPHA2_BETA1;
        return Preset.of("epsilon-alphabeta", Assignment.of(Selector.conv(), ab), Assignment.of(Selector.dense(),
                Rules.epsilon(epsilon)), Assignment.of(Selector.first(), first));
    }
}
