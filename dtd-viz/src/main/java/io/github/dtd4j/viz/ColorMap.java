package io.github.dtd4j.viz;

/**
 * Maps a value in [−1, 1] (a relevance divided by the scale) to a colour.
 */
public enum ColorMap {
    /** Diverging: blue for negative, white for zero, red for positive (the LRP literature's usual map). */
    RED_BLUE {
        @Override
        public int rgb(double v) {
            double t = clamp(v);
            int r;
            int g;
            int b;
            if (t >= 0) {
                r = 255;
                g = (int) Math.round(255 * (1 - t));
                b = g;
            } else {
                b = 255;
                r = (int) Math.round(255 * (1 + t));
                g = r;
            }
            return r << 16 | g << 8 | b;
        }
    },
    /** Sequential: white for zero (and negative), through yellow and red to dark red for the maximum, as in the paper's figures. */
    WHITE_RED {
        @Override
        public int rgb(double v) {
            double t = Math.max(0, clamp(v));
            int r;
            int g;
            int b;
            if (t < 0.5) {
                double u = t / 0.5;
                r = 255;
                g = (int) Math.round(255 - 55 * u);
                b = (int) Math.round(255 * (1 - u));
            } else {
                double u = (t - 0.5) / 0.5;
                r = (int) Math.round(255 - 115 * u);
                g = (int) Math.round(200 * (1 - u));
                b = 0;
            }
            return r << 16 | g << 8 | b;
        }
    },
    /**
     * Perceptually uniform and sequential (matplotlib's viridis, sampled at nine points and interpolated): dark violet
     * at −1, through blue and green, to yellow at 1; zero is the middle (teal).
     */
    VIRIDIS {
        @Override
        public int rgb(double v) {
            return interpolate((clamp(v) + 1) / 2, VIRIDIS_STOPS);
        }
    },
    /**
     * Diverging and perceptually balanced (Moreland's cool–warm, sampled at five points and interpolated): blue at −1,
     * light grey at 0, red at 1.
     */
    COOLWARM {
        @Override
        public int rgb(double v) {
            return interpolate((clamp(v) + 1) / 2, COOLWARM_STOPS);
        }
    },
    /** Grey levels from black (−1) to white (1), for inputs. */
    GRAY {
        @Override
        public int rgb(double v) {
            int l = (int) Math.round(255 * (clamp(v) + 1) / 2);
            return l << 16 | l << 8 | l;
        }
    };

    /** {@return the 0xRRGGBB colour of a value in [−1, 1]; values outside are clamped} @param v value */
    public abstract int rgb(double v);

    private static final int[][] VIRIDIS_STOPS = {{68, 1, 84}, {71, 44, 122}, {59, 82, 139}, {44, 114, 142},
        {33, 145, 140}, {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};
    private static final int[][] COOLWARM_STOPS = {{59, 76, 192}, {141, 176, 254}, {221, 221, 221}, {244, 154, 123},
        {180, 4, 38}};

    /** {@return the colour at t ∈ [0, 1] between equally spaced stops, linearly interpolated} */
    private static int interpolate(double t, int[][] stops) {
        double x = t * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) Math.floor(x));
        double u = x - i;
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            int v = (int) Math.round(stops[i][c] + u * (stops[i + 1][c] - stops[i][c]));
            rgb = rgb << 8 | v;
        }
        return rgb;
    }

    static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(-1, Math.min(1, v));
    }
}
