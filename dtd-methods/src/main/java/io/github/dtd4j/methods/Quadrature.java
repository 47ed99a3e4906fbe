package io.github.dtd4j.methods;

import io.github.dtd4j.errors.ConfigurationException;

/**
 * How Integrated Gradients approximates {@code ∫₀¹ ∂f/∂x(x' + α(x − x')) dα}: the points α_k and weights w_k of
 * the sum {@code Σ_k w_k ∂f/∂x(x' + α_k(x − x'))}, as Captum defines them ({@code approximation_methods.py}).
 */
public enum Quadrature {
    /** Gauss–Legendre on [0, 1]: exact for polynomials of degree ≤ 2n−1 (Captum's default). */
    GAUSS_LEGENDRE("gausslegendre"),
    /** Left Riemann sum: α_k = k/n, k = 0..n−1. */
    RIEMANN_LEFT("riemann-left"),
    /** Right Riemann sum: α_k = k/n, k = 1..n. */
    RIEMANN_RIGHT("riemann-right"),
    /** Midpoint rule: α_k = (k + ½)/n. */
    RIEMANN_MIDDLE("riemann-middle"),
    /** Trapezoidal rule on n equidistant points including 0 and 1. */
    RIEMANN_TRAPEZOID("riemann-trapezoid");

    private final String spelling;

    Quadrature(String spelling) {
        this.spelling = spelling;
    }

    /** {@return the name as {@code --ig-method} spells it} */
    public String spelling() {
        return spelling;
    }

    /** {@return the quadrature a command-line name spells} @param name e.g. "gausslegendre" */
    public static Quadrature of(String name) {
        for (Quadrature q : values()) {
            if (q.spelling.equalsIgnoreCase(name) || q.name().equalsIgnoreCase(name)) {
                return q;
            }
        }
        throw new ConfigurationException("unknown integration method '" + name + "'; known: gausslegendre, "
                + "riemann-left, riemann-right, riemann-middle, riemann-trapezoid");
    }

    /**
     * {@return {alphas, weights}, n each}
     *
     * @param n number of points, ≥ 1 (≥ 2 for the trapezoid)
     */
    public double[][] points(int n) {
        if (n < 1 || (this == RIEMANN_TRAPEZOID && n < 2)) {
            throw new ConfigurationException("integrated gradients: " + spelling + " needs at least "
                    + (this == RIEMANN_TRAPEZOID ? 2 : 1) + " steps, got " + n);
        }
        double[] a = new double[n];
        double[] w = new double[n];
        switch (this) {
            case GAUSS_LEGENDRE -> {
                double[][] gl = gaussLegendre(n);
                for (int k = 0; k < n; k++) {
                    a[k] = 0.5 * (gl[0][k] + 1);
                    w[k] = 0.5 * gl[1][k];
                }
            }
            case RIEMANN_LEFT, RIEMANN_RIGHT, RIEMANN_MIDDLE -> {
                double shift = this == RIEMANN_LEFT ? 0 : this == RIEMANN_RIGHT ? 1 : 0.5;
                for (int k = 0; k < n; k++) {
                    a[k] = (k + shift) / n;
                    w[k] = 1.0 / n;
                }
            }
            case RIEMANN_TRAPEZOID -> {
                for (int k = 0; k < n; k++) {
                    a[k] = (double) k / (n - 1);
                    w[k] = (k == 0 || k == n - 1 ? 0.5 : 1.0) / (n - 1);
                }
            }
            default -> throw new ConfigurationException("unknown quadrature " + this);
        }
        return new double[][]{a, w};
    }

    /**
     * {@return the n Gauss–Legendre nodes on [−1, 1] in increasing order, and their weights}: the roots of the
     * Legendre polynomial P_n found by Newton's method from the usual cosine guesses, weights 2 / ((1 − z²) P_n'(z)²)
     */
    static double[][] gaussLegendre(int n) {
        double[] x = new double[n];
        double[] w = new double[n];
        int m = (n + 1) / 2;
        for (int i = 0; i < m; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            double pp = 0;
            for (int iter = 0; iter < 100; iter++) {
                double p1 = 1;
                double p2 = 0;
                for (int j = 1; j <= n; j++) {
                    double p3 = p2;
                    p2 = p1;
                    p1 = ((2.0 * j - 1) * z * p2 - (j - 1.0) * p3) / j;
                }
                pp = n * (z * p1 - p2) / (z * z - 1);
                double z1 = z;
                z = z1 - p1 / pp;
                if (Math.abs(z - z1) < 1e-15) {
                    break;
                }
            }
            x[i] = -z;
            x[n - 1 - i] = z;
            w[i] = 2 / ((1 - z * z) * pp * pp);
            w[n - 1 - i] = w[i];
        }
        return new double[][]{x, w};
    }
}
