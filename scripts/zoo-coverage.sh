#!/usr/bin/env bash
# The zoo coverage run (issue 13): exports every classification model of the installed torchvision (full size,
# random weights) to ONNX, imports and explains each with dtd4j, and compares the outcome with the committed list
# docs/results/zoo-coverage.json. Needs Debian's python3-torch and python3-torchvision (installed here if missing).
# Usage: scripts/zoo-coverage.sh                 (every model; about an hour on 2 cores)
#        scripts/zoo-coverage.sh resnet18,vit_b_16  (some models; the list is then not compared)
#        UPDATE=1 scripts/zoo-coverage.sh        (copy the new list over the committed one when the run ends)
# The exports stay in dtd-onnx/target/zoo (about 10 GB) and are reused by the next run with the same torch.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision
fi
models="${1:-}"
mvn -B -ntp -q -DskipTests install -pl dtd-onnx -am
status=0
mvn -B -ntp -pl dtd-onnx surefire:test -Dtest=ZooCoverageTest -Ddtd.zoo=true -Ddtd.zoo.models="$models" \
  -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.heap=-Xmx8g || status=$?
if [ "${UPDATE:-0}" = 1 ] && [ -z "$models" ] && [ -f dtd-onnx/target/zoo/coverage.json ]; then
  cp dtd-onnx/target/zoo/coverage.json docs/results/zoo-coverage.json
  echo "updated docs/results/zoo-coverage.json"
fi
exit $status
