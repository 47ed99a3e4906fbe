package io.github.dtd4j.methods;

import io.github.dtd4j.Ledger;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a method computed for a batch: the attribution, the model's output, the explained classes, and what the
 * method has beyond that (Grad-CAM's layer-resolution map, Integrated Gradients' completeness gap, LRP's ledger).
 * Arrays belong to the caller; close it in long loops to free off-heap memory at once.
 */
public final class Attributions implements AutoCloseable {
    private final String method;
    private final INDArray attribution;
    private final INDArray logits;
    private final int[] targets;
    private final Map<String, INDArray> extras;
    private final double[] convergenceDelta;
    private final Ledger ledger;

    /**
     * @param method           the method's name
     * @param attribution      shaped like the input, or {@code [N,1,H,W]} for maps upsampled from a layer
     * @param logits           {@code [N,K]}
     * @param targets          the explained class per batch element (−1 where none)
     * @param extras           named method-specific arrays
     * @param convergenceDelta per element, Σ attribution − (f(x) − f(baseline)); null for methods without one
     * @param ledger           LRP's ledger; null for other methods
     */
    public Attributions(String method, INDArray attribution, INDArray logits, int[] targets,
                        Map<String, INDArray> extras, double[] convergenceDelta, Ledger ledger) {
        this.method = method;
        this.attribution = attribution;
        this.logits = logits;
        this.targets = targets.clone();
        this.extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
        this.convergenceDelta = convergenceDelta == null ? null : convergenceDelta.clone();
        this.ledger = ledger;
    }

    /** {@return the method that made this} */
    public String method() {
        return method;
    }

    /** {@return the attribution: shaped like the input, or {@code [N,1,H,W]} for the CAM family} */
    public INDArray attribution() {
        return attribution;
    }

    /** {@return the attribution summed over channels for image inputs, {@code [N,H,W]}; else the attribution} */
    public INDArray heatmap() {
        return attribution.rank() == 4 ? attribution.sum(1) : attribution.dup();
    }

    /** {@return the model's output {@code [N,K]}} */
    public INDArray logits() {
        return logits;
    }

    /** {@return the explained class of each batch element} */
    public int[] targets() {
        return targets.clone();
    }

    /** {@return method-specific arrays by name, e.g. "layer-map" for Grad-CAM} */
    public Map<String, INDArray> extras() {
        return extras;
    }

    /**
     * {@return per element, Σ attribution − (f(x) − f(baseline)): how far the method is from completeness} (Integrated
     * Gradients, DeepLIFT); empty for methods that make no such claim
     */
    public Optional<double[]> convergenceDelta() {
        return Optional.ofNullable(convergenceDelta).map(double[]::clone);
    }

    /** {@return LRP's ledger; empty for other methods} */
    public Optional<Ledger> ledger() {
        return Optional.ofNullable(ledger);
    }

    /** Frees the arrays' off-heap memory now; they must not be used afterwards. */
    @Override
    public void close() {
        Set<INDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(attribution);
        seen.add(logits);
        seen.addAll(extras.values());
        for (INDArray a : seen) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }
}
