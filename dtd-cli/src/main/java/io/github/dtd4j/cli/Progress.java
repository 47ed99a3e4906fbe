package io.github.dtd4j.cli;

import java.io.PrintWriter;

/** A one-line progress bar on stderr for directories of inputs (silent for a single input). */
final class Progress {
    private final PrintWriter err;
    private final int total;
    private final long start = System.nanoTime();
    private int done;

    Progress(PrintWriter err, int total) {
        this.err = err;
        this.total = total;
    }

    void step(String name) {
        done++;
        if (total < 2) {
            return;
        }
        int width = 30;
        int filled = (int) ((long) width * done / total);
        double secs = (System.nanoTime() - start) / 1e9;
        err.printf("\r[%s%s] %d/%d %.1fs %s", "#".repeat(filled), " ".repeat(width - filled), done, total, secs,
                name.length() > 30 ? name.substring(0, 30) : name);
        if (done == total) {
            err.println();
        }
        err.flush();
    }
}
