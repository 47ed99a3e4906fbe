package io.github.dtd4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackendTest {
    @Test
    void defaultBuildLoadsTheOneDnnNatives() {
        assertThat(Backend.nativeLibrary()).contains("linux-x86_64-onednn").endsWith("libjnind4jcpu.so");
        assertThat(Backend.isOneDnn()).isTrue();
        assertThat(Backend.describe()).contains("oneDNN");
    }
}
