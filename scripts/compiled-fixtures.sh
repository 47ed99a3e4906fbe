#!/usr/bin/env bash
# Writes the compiled-graph fixtures of dtd-ort's tests: the test class CompiledFixtures writes each compiled
# explainer and its inputs into dtd-ort/src/test/resources/compiled, then scripts/compiled_reference.py (Debian's
# python3-onnx and python3-torch) checks each model with onnx.checker and evaluates it without ONNX Runtime.
# Run after `mvn -DskipTests install`, whenever the compiler or a fixture's explainer changes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dtd-ort/src/test/resources/compiled
mvn -B -ntp -q -o -pl dtd-ort test-compile dependency:build-classpath -Dmdep.outputFile=target/ort-test-classpath.txt \
    -Dmdep.includeScope=test
java -cp "dtd-ort/target/test-classes:dtd-ort/target/classes:$(cat dtd-ort/target/ort-test-classpath.txt)" \
    io.github.dtd4j.ort.CompiledFixtures "$out"
/usr/bin/python3 scripts/compiled_reference.py "$out"
