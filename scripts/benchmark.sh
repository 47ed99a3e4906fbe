#!/usr/bin/env bash
# Runs the JMH suite, the PyTorch baseline and the memory check on this machine in one go and writes
# docs/performance.md. Needs Debian's python3-torch/python3-torchvision (installed here if missing).
# Usage: scripts/benchmark.sh            (full suite; ~60-90 minutes on 2 cores)
#        SOAK=200 JMH_ARGS="-p batch=1" scripts/benchmark.sh   (shorter)
#        scripts/benchmark.sh eval       (only the evaluation metrics, ~10 minutes: replaces that section of
#                                         docs/performance.md and leaves the sections of the last full run)
#        scripts/benchmark.sh methods    (only the other methods, ~40 minutes, against the forward pass of the last
#                                         full run on this machine; the machine block records when)
#        scripts/benchmark.sh modern     (only MobileNetV2 and ViT-B/16 from ONNX against PyTorch, ~30 minutes:
#                                         replaces that section and leaves the others)
#        scripts/benchmark.sh startup    (only `dtd explain` of one picture with VGG16-BN from ONNX, JVM start
#                                         included: wall time and peak RSS, ~2 minutes; replaces that section)
#        scripts/benchmark.sh spark      (only dtd-spark's throughput in local[1] and local[2] against the library
#                                         loop, 4,000 Fashion-MNIST test pictures, ~3 minutes; replaces that section)
#        scripts/benchmark.sh compiled   (only the explanation compiled into one ONNX graph on ONNX Runtime against
#                                         the ND4J engine, ONNX Runtime's forward pass and, with ZENNIT_SRC set to a
#                                         Zennit checkout for torch 1.x (0.5.1), Zennit: VGG16 and ResNet-50, three
#                                         presets, batch 1, 8, 32, ~20 minutes; replaces that section)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision
fi
mkdir -p target/bench
mvn -B -ntp -q -DskipTests install
JAR=dtd-benchmarks/target/benchmarks.jar
machine() {
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}
evaluation() {
  machine > target/bench/eval-machine.txt
  java -jar "$JAR" EvalBenchmark -rf json -rff target/bench/jmh-eval.json
  rm -rf target/bench/evaluate-out
  local t0 t1
  t0=$(date +%s.%N)
  java -jar dtd-cli/target/dtd.jar evaluate --out target/bench/evaluate-out > target/bench/evaluate.log 2>&1
  t1=$(date +%s.%N)
  /usr/bin/python3 -c 'import json,sys; json.dump({"wall_seconds": float(sys.argv[2]) - float(sys.argv[1]), "command": "java -jar dtd-cli/target/dtd.jar evaluate"}, open(sys.argv[3], "w"))' \
    "$t0" "$t1" target/bench/evaluate.json
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/eval-machine.txt
}
modern() {
  machine > target/bench/modern-machine.txt
  /usr/bin/python3 scripts/modern_models.py target/bench/modern 2 10 > target/bench/pytorch-modern.json
  java -Ddtd.bench.modern=target/bench/modern -jar "$JAR" ModernBenchmark -jvmArgsAppend -Ddtd.bench.modern=target/bench/modern \
    -rf json -rff target/bench/jmh-modern.json ${JMH_ARGS:-}
  # the same with one thread for ND4J, OpenMP and BLAS: the explanation's thousand small operations each wait for
  # both threads, the forward pass's hundred do not, so on a shared 2-core machine the two settings differ
  OMP_NUM_THREADS=1 java -Ddtd.bench.modern=target/bench/modern -jar "$JAR" ModernBenchmark \
    -jvmArgsAppend -Ddtd.bench.modern=target/bench/modern -rf json -rff target/bench/jmh-modern-1thread.json ${JMH_ARGS:-}
  # the ratio within one JVM, forward pass and explanation timed alternately, three JVMs per model: JMH times each
  # in a JVM of its own, and a JVM's speed mode on this machine lasts its life (PairedRatio's javadoc)
  : > target/bench/modern-paired.jsonl
  for model in mobilenet_v2 vit_b_16; do
    # warm-up of about 30 s: after ten pairs the JIT still compiled 20-25 methods a second at C2 on the two cores
    # the benchmark runs on, and MobileNetV2's paired medians came out 3.5-5.1 against 3.6-3.8 after a hundred;
    # with one thread it compiles until 20-45 s, and ViT-B/16's explanation settles after about fifteen calls
    # (docs/performance-notes.md)
    if [ "$model" = vit_b_16 ]; then rounds="12 18"; else rounds="40 250"; fi
    # ND4J's default threads, then one thread (the variable unset, then set)
    for threads in "" 1; do
      for jvm in 1 2 3; do
        env ${threads:+OMP_NUM_THREADS=$threads} java -Xmx4g -cp "$JAR" io.github.dtd4j.benchmarks.PairedRatio \
          target/bench/modern "$model" $rounds | tail -1 >> target/bench/modern-paired.jsonl
      done
    done
  done
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/modern-machine.txt
}
startup() {
  # one picture explained by the command line as a user runs it: a fresh JVM, the model read, one explanation
  machine > target/bench/startup-machine.txt
  if [ ! -f target/bench/startup/vgg16_bn.onnx ]; then
    /usr/bin/python3 scripts/startup_model.py target/bench/startup > target/bench/startup/model.json
  fi
  local runs=()
  for i in 1 2 3 4 5; do
    /usr/bin/time -f '%e %M' -o "target/bench/startup/explain-$i.txt" java -jar dtd-cli/target/dtd.jar explain \
      --model target/bench/startup/vgg16_bn.onnx --input target/bench/startup/photo.jpg \
      --out target/bench/startup/photo-heatmap.png > /dev/null
    runs+=("target/bench/startup/explain-$i.txt")
  done
  for i in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "target/bench/startup/inspect-$i.txt" java -jar dtd-cli/target/dtd.jar inspect \
      --model target/bench/startup/vgg16_bn.onnx > /dev/null
  done
  /usr/bin/python3 -c 'import json,sys,glob
def runs(kind):
    return [dict(zip(("wall_seconds", "max_rss_kib"), map(float, open(f).read().split()[-2:])))
            for f in sorted(glob.glob("target/bench/startup/" + kind + "-*.txt"))]
json.dump({"explain": runs("explain"), "inspect": runs("inspect"), **json.load(open("target/bench/startup/model.json")),
           "command": "java -jar dtd-cli/target/dtd.jar explain --model vgg16_bn.onnx --input photo.jpg --out photo-heatmap.png"},
          open("target/bench/startup.json", "w"), indent=1)'
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/startup-machine.txt
}
spark_throughput() {
  # dtd-spark against the plain library loop in one JVM; Debian's Fashion-MNIST test set (installed if missing)
  [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] \
    || { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; }
  machine > target/bench/spark-machine.txt
  mvn -B -ntp -q -pl dtd-spark test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt
  java -Xmx4g @dtd-spark/spark-jvm.options -Dlog4j2.configurationFile=dtd-spark/src/test/resources/log4j2.properties \
    -cp "dtd-spark/target/test-classes:dtd-spark/target/classes:$(cat dtd-spark/target/test-classpath.txt)" \
    io.github.dtd4j.spark.SparkThroughput models/fashion-mnist/resnet.onnx \
    /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz "${SPARK_IMAGES:-4000}" 32 > target/bench/spark.json
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/spark-machine.txt
}
report() {
  local ev=()
  if [ -f target/bench/jmh-eval.json ] && [ -f target/bench/evaluate.json ] && [ -f target/bench/eval-machine.txt ]; then
    ev=(target/bench/jmh-eval.json target/bench/evaluate.json target/bench/eval-machine.txt)
  fi
  if [ -f target/bench/jmh-modern.json ] && [ -f target/bench/pytorch-modern.json ] \
      && [ -f target/bench/modern-machine.txt ] && [ ${#ev[@]} -eq 3 ]; then
    ev+=(target/bench/jmh-modern.json target/bench/pytorch-modern.json target/bench/modern-machine.txt)
  fi
  /usr/bin/python3 scripts/performance_report.py target/bench/jmh-models.json target/bench/jmh-rules.json \
    target/bench/jmh-methods.json target/bench/pytorch.json target/bench/memory.json target/bench/machine.txt \
    "scripts/benchmark.sh" "${ev[@]}" \
    > docs/performance.md
  if [ -f target/bench/spark.json ] && [ -f target/bench/spark-machine.txt ]; then
    /usr/bin/python3 scripts/performance_report.py --spark-section target/bench/spark.json \
      target/bench/spark-machine.txt < docs/performance.md > target/bench/performance.md
    mv target/bench/performance.md docs/performance.md
  fi
  if [ -f target/bench/startup.json ] && [ -f target/bench/startup-machine.txt ]; then
    /usr/bin/python3 scripts/performance_report.py --startup-section target/bench/startup.json \
      target/bench/startup-machine.txt < docs/performance.md > target/bench/performance.md
    mv target/bench/performance.md docs/performance.md
  fi
  echo "wrote docs/performance.md"
}
methods() {
  # the other methods: the gradient family at batch 1 (the gradient at batch 8 too, Integrated Gradients' reference),
  # then Integrated Gradients with 50 steps at batch 1 and 8 (one call per measurement: minutes on VGG16)
  java -jar "$JAR" 'MethodBenchmark' -p batch=1 -rf json -rff target/bench/jmh-methods-b1.json ${JMH_ARGS:-}
  java -jar "$JAR" 'MethodBenchmark' -p batch=8 -p method=gradient -rf json -rff target/bench/jmh-methods-b8.json ${JMH_ARGS:-}
  java -jar "$JAR" 'IntegratedGradientsBenchmark' -rf json -rff target/bench/jmh-ig.json ${JMH_ARGS:-}
  /usr/bin/python3 -c 'import json,sys; json.dump(sum((json.load(open(f)) for f in sys.argv[1:-1]), []), open(sys.argv[-1], "w"))' \
    target/bench/jmh-methods-b1.json target/bench/jmh-methods-b8.json target/bench/jmh-ig.json target/bench/jmh-methods.json
}
compiled() {
  # the compiled engine (issue 16): dtd bench times both engines and ONNX Runtime's plain forward pass in one JVM
  machine > target/bench/compiled-machine.txt
  mkdir -p target/bench/compiled
  PYTHONPATH="${ZENNIT_SRC:+$ZENNIT_SRC/src}" /usr/bin/python3 scripts/compiled_models.py target/bench/compiled 2 5 \
    > target/bench/compiled-python.json
  : > target/bench/compiled-bench.jsonl
  for model in vgg16 resnet50; do
    for preset in dtd epsilon-zplus epsilon-alphabeta; do
      java -jar dtd-cli/target/dtd.jar bench --model target/bench/compiled/$model.onnx --preset $preset --low 0 \
        --high 1 --repeat 5 | tail -1 >> target/bench/compiled-bench.jsonl
    done
  done
  # batches on ONNX Runtime alone, so that the peak memory is the compiled explanation's
  for run in "vgg16 1" "vgg16 8" "resnet50 1" "resnet50 8" "resnet50 32"; do
    set -- $run
    java -jar dtd-cli/target/dtd.jar bench --model target/bench/compiled/$1.onnx --low 0 --high 1 --batch $2 \
      --repeat 3 --engines onnxruntime | tail -1 >> target/bench/compiled-bench.jsonl
  done
  local t0 t1
  t0=$(date +%s.%N)
  java -jar dtd-cli/target/dtd.jar compile --model target/bench/compiled/vgg16.onnx --low 0 --high 1 \
    --out target/bench/compiled/vgg16-dtd.onnx > target/bench/compiled-compile.log
  t1=$(date +%s.%N)
  /usr/bin/python3 -c 'import json,sys; json.dump({"wall_seconds": float(sys.argv[2]) - float(sys.argv[1]), "command": "java -jar dtd-cli/target/dtd.jar compile --model vgg16.onnx --low 0 --high 1 --out vgg16-dtd.onnx"}, open(sys.argv[3], "w"))' \
    "$t0" "$t1" target/bench/compiled-compile.json
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/compiled-machine.txt
}
if [ "${1:-}" = compiled ]; then
  compiled
  /usr/bin/python3 scripts/performance_report.py --compiled-section target/bench/compiled-bench.jsonl \
    target/bench/compiled-python.json target/bench/compiled-compile.json target/bench/compiled-machine.txt \
    < docs/performance.md > target/bench/performance.md
  mv target/bench/performance.md docs/performance.md
  echo "wrote the compiled engine's section of docs/performance.md"
  exit 0
fi
if [ "${1:-}" = methods ]; then
  # only the method tables, against the forward pass of the last full run (same machine); the machine block says so
  [ -f target/bench/jmh-models.json ] || { echo "run the full suite once first (target/bench/jmh-models.json)"; exit 2; }
  echo "methods re-measured: $(date -u +%Y-%m-%dT%H:%MZ), load average before: $(cut -d' ' -f1-3 /proc/loadavg)" \
    > target/bench/methods-machine.txt
  methods
  echo "load average after the methods: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/methods-machine.txt
  grep -v '^methods re-measured\|^load average after the methods' target/bench/machine.txt > target/bench/machine.tmp || true
  cat target/bench/machine.tmp target/bench/methods-machine.txt > target/bench/machine.txt
  report
  exit 0
fi
if [ "${1:-}" = spark ]; then
  spark_throughput
  /usr/bin/python3 scripts/performance_report.py --spark-section target/bench/spark.json \
    target/bench/spark-machine.txt < docs/performance.md > target/bench/performance.md
  mv target/bench/performance.md docs/performance.md
  echo "wrote the Spark section of docs/performance.md"
  exit 0
fi
if [ "${1:-}" = startup ]; then
  mkdir -p target/bench/startup
  startup
  /usr/bin/python3 scripts/performance_report.py --startup-section target/bench/startup.json \
    target/bench/startup-machine.txt < docs/performance.md > target/bench/performance.md
  mv target/bench/performance.md docs/performance.md
  echo "wrote the startup section of docs/performance.md"
  exit 0
fi
if [ "${1:-}" = modern ]; then
  # only the modern architectures' section, spliced into the report the last full run wrote
  modern
  /usr/bin/python3 scripts/performance_report.py --modern-section target/bench/jmh-modern.json \
    target/bench/pytorch-modern.json target/bench/modern-machine.txt < docs/performance.md > target/bench/performance.md
  mv target/bench/performance.md docs/performance.md
  echo "wrote the modern architectures' section of docs/performance.md"
  exit 0
fi
if [ "${1:-}" = eval ]; then
  # only the evaluation section: spliced into the report the last full run wrote (its other sections stay as they are)
  evaluation
  /usr/bin/python3 scripts/performance_report.py --eval-section target/bench/jmh-eval.json target/bench/evaluate.json \
    target/bench/eval-machine.txt < docs/performance.md > target/bench/performance.md
  mv target/bench/performance.md docs/performance.md
  echo "wrote the evaluation section of docs/performance.md"
  exit 0
fi
{
  machine
  java -cp "$JAR" io.github.dtd4j.benchmarks.BackendInfo
} > target/bench/machine.txt
/usr/bin/python3 scripts/pytorch_baseline.py 2 10 > target/bench/pytorch.json
# the forward pass does not depend on the preset: time it once per model and batch
java -jar "$JAR" 'ModelBenchmark.forward' -p preset=dtd -rf json -rff target/bench/jmh-forward.json ${JMH_ARGS:-}
java -jar "$JAR" 'ModelBenchmark.explain' -rf json -rff target/bench/jmh-explain.json ${JMH_ARGS:-}
/usr/bin/python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])) + json.load(open(sys.argv[2])), open(sys.argv[3], "w"))' \
  target/bench/jmh-forward.json target/bench/jmh-explain.json target/bench/jmh-models.json
java -jar "$JAR" RuleBenchmark -rf json -rff target/bench/jmh-rules.json
methods
# two JVMs: the VGG16 peak must not include the soak's memory, and the soak runs on a fixed, pre-touched Java
# heap (as the soak test in CI) so that RSS growth can only come from native memory
java -Xmx3g -cp "$JAR" io.github.dtd4j.benchmarks.MemoryCheck 5 0 > target/bench/memory-vgg.json
java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp "$JAR" io.github.dtd4j.benchmarks.MemoryCheck 0 "${SOAK:-1000}" \
  > target/bench/memory-soak.json
/usr/bin/python3 -c 'import json,sys; json.dump({**json.load(open(sys.argv[1])), **json.load(open(sys.argv[2]))}, open(sys.argv[3], "w"))' \
  target/bench/memory-vgg.json target/bench/memory-soak.json target/bench/memory.json
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> target/bench/machine.txt
evaluation
modern
mkdir -p target/bench/startup
startup
spark_throughput
report
