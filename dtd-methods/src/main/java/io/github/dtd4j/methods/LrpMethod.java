package io.github.dtd4j.methods;

import io.github.dtd4j.Explainer;
import io.github.dtd4j.Explanation;
import io.github.dtd4j.Start;
import io.github.dtd4j.errors.ConfigurationException;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LRP and Deep Taylor Decomposition (the tutorial's §2.3–2.4, the DTD paper) as an {@link Attribution}: an
 * {@link Explainer} with all its rules and options. The attribution is the input relevance; the ledger comes with
 * it. Cost: one forward pass and one backward sweep whose rules cost one or two extra forward passes per layer.
 */
public final class LrpMethod implements Attribution {
    private final Explainer explainer;

    LrpMethod(Explainer explainer) {
        if (explainer == null) {
            throw new ConfigurationException("lrp: the explainer is null");
        }
        this.explainer = explainer;
    }

    /** {@return the explainer} */
    public Explainer explainer() {
        return explainer;
    }

    @Override
    public String name() {
        return "lrp";
    }

    @Override
    public String settings() {
        StringBuilder sb = new StringBuilder();
        explainer.assignments().forEach(a -> sb.append(sb.length() == 0 ? "" : ", ").append(a));
        return sb.toString();
    }

    @Override
    public Attributions attribute(INDArray x, Start start) {
        Explanation e = explainer.explain(x, start);
        return new Attributions(name(), e.inputRelevance(), e.logits(), e.targets(), Map.of(), null, e.ledger());
    }
}
