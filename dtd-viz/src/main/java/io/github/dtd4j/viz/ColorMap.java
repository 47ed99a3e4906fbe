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

    static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(-1, Math.min(1, v));
    }
}
