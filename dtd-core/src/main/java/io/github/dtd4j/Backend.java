package io.github.dtd4j;

import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;

/** Which ND4J native backend this JVM runs on; reported by benchmarks and checked by tests. */
public final class Backend {
    private Backend() {
    }

    /** {@return the path of the loaded ND4J JNI library, after initialising ND4J; empty if unknown} */
    public static String nativeLibrary() {
        Nd4j.getBackend();
        Nd4j.scalar(0.0f);
        Map<String, String> libs = Loader.getLoadedLibraries();
        String cpu = libs.get("jnind4jcpu");
        if (cpu != null) {
            return cpu;
        }
        return libs.entrySet().stream().filter(e -> e.getKey().startsWith("jnind4j")).map(Map.Entry::getValue)
                .findFirst().orElse("");
    }

    /** {@return true if ND4J's CPU backend with oneDNN (the default build of dtd4j) is loaded} */
    public static boolean isOneDnn() {
        return nativeLibrary().contains("onednn");
    }

    /** {@return one line describing the backend: library, BLAS vendor, threads} */
    public static String describe() {
        java.util.Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        return "nd4j " + Nd4j.getBackend().getClass().getSimpleName() + (isOneDnn() ? " (oneDNN)" : "") + ", blas "
                + env.get("blas.vendor") + ", omp threads " + env.get("omp.threads") + ", library " + nativeLibrary();
    }
}
