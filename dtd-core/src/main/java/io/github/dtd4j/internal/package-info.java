/** Implementation: forward pass, ND4J operations, propagation engine. Not API; may change without notice. */
package io.github.dtd4j.internal;
