package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The backend that the build selected is the one that loaded. The build passes its choice in the system property
 * {@code dtd4j.backend} (the parent POM's default {@code onednn}; the profiles {@code platform} and {@code cuda});
 * a run without it (an IDE) is checked like the default build.
 */
class BackendTest {
    private static final String SELECTED = System.getProperty("dtd4j.backend", "onednn");

    @Test
    void theSelectedBackendLoaded() {
        String library = Backend.nativeLibrary().replace('\\', '/');
        switch (SELECTED) {
            case "onednn" -> {
                assertThat(library).contains("linux-x86_64-onednn").endsWith("libjnind4jcpu.so");
                assertThat(Backend.isOneDnn()).isTrue();
                assertThat(Backend.describe()).contains("oneDNN");
            }
            case "cuda" -> assertThat(library).contains("jnind4jcuda");
            default -> {
                // nd4j-native-platform: ND4J's plain CPU build for this OS
                assertThat(library).contains("jnind4jcpu");
                assertThat(Backend.isOneDnn()).isFalse();
                assertThat(Backend.describe()).startsWith("nd4j CpuBackend");
            }
        }
    }
}
