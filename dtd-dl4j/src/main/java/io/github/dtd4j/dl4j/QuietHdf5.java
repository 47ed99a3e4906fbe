package io.github.dtd4j.dl4j;

/**
 * Turns off the HDF5 library's automatic printing of its error stack to stderr before DL4J reads a Keras file: a
 * broken file becomes one exception of ours (HDF5's C++ API raises every error as an exception anyway), not pages
 * of native diagnostics. The setting is process-wide and stays: saving and restoring the previous handler through
 * the JavaCPP bindings of HDF5 1.12.1 crashes the JVM (a function-pointer reference is dereferenced).
 */
final class QuietHdf5 {
    private static volatile boolean done;

    private QuietHdf5() {
    }

    static void ensure() {
        if (!done) {
            synchronized (QuietHdf5.class) {
                if (!done) {
                    // Touching DL4J's archive class loads the HDF5 natives first.
                    org.deeplearning4j.nn.modelimport.keras.Hdf5Archive.LOCK_OBJECT.hashCode();
                    org.bytedeco.hdf5.Exception.dontPrint();
                    done = true;
                }
            }
        }
    }
}
