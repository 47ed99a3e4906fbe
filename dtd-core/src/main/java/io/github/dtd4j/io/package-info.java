/** File formats: NumPy {@code .npy}/{@code .npz} arrays, and the exception for unreadable model files. */
package io.github.dtd4j.io;
