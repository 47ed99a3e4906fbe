package io.github.dtd4j.benchmarks;

import io.github.dtd4j.Backend;

/** Prints the ND4J backend line for the performance report's machine description. */
public final class BackendInfo {
    private BackendInfo() {
    }

    /** @param args ignored */
    public static void main(String[] args) {
        System.out.println("backend: " + Backend.describe());
    }
}
