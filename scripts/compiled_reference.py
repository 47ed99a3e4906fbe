#!/usr/bin/env python3
"""A second evaluator of dtd4j's compiled explanation graphs (Explainer.toOnnx), independent of ONNX Runtime and of
dtd4j: it checks each model with onnx.checker (full check, with shape inference) and runs it node by node, with
numpy for element-wise and shape operators and torch.nn.functional for Conv, ConvTranspose and the pools, each
written here from the ONNX operator specification (opset 17). Debian's python3-onnx 1.12 has no reference evaluator
of its own; this one covers the operators the compiler writes.

For every NAME.onnx in DIR (with NAME.input.npy, NAME.target.npy and NAME.start.npy beside it, written by the test
class CompiledFixtures), it writes NAME.expected.npz (logits, relevance, targets, ledger) and NAME.expected.json
(how it was made).
Usage: compiled_reference.py DIR"""
import glob
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
        if isinstance(out[a.name], bytes):
            out[a.name] = out[a.name].decode()
    return out


def t(a):
    return torch.from_numpy(np.array(a, copy=True))


def pads2d(p):
    # ONNX pads: [top, left, bottom, right]; F.pad takes (left, right, top, bottom)
    return (p[1], p[3], p[0], p[2])


def conv(x, w, b, a):
    p = a.get("pads", [0, 0, 0, 0])
    xp = F.pad(t(x), pads2d(p))
    y = F.conv2d(xp, t(w), None if b is None else t(b), stride=tuple(a.get("strides", [1, 1])),
                 dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
    return y.numpy()


def conv_transpose(s, w, a):
    p = a.get("pads", [0, 0, 0, 0])
    op = a.get("output_padding", [0, 0])
    stride = a.get("strides", [1, 1])
    dil = a.get("dilations", [1, 1])
    # the full transposed convolution, then the pads cropped and the output padding added at the end
    y = F.conv_transpose2d(t(s), t(w), None, stride=tuple(stride), dilation=tuple(dil), groups=a.get("group", 1))
    y = F.pad(y, (0, op[1], 0, op[0]))
    h, wd = y.shape[2], y.shape[3]
    return y[:, :, p[0]:h - p[2], p[1]:wd - p[3]].numpy()


def max_pool(x, a):
    k = a["kernel_shape"]
    p = a.get("pads", [0, 0, 0, 0])
    s = a.get("strides", [1, 1])
    n, c, h, w = x.shape
    xp = F.pad(t(x), pads2d(p), value=-np.inf)
    y, idx = F.max_pool2d(xp, tuple(k), tuple(s), return_indices=True)
    # indices into the padded plane -> the unpadded plane -> ONNX's flat index over the whole tensor
    wp = w + p[1] + p[3]
    row = idx // wp - p[0]
    col = idx % wp - p[1]
    plane = (torch.arange(n).view(n, 1, 1, 1) * c + torch.arange(c).view(1, c, 1, 1)) * (h * w)
    return y.numpy(), (plane + row * w + col).numpy().astype(np.int64)


def average_pool(x, a):
    k = a["kernel_shape"]
    p = a.get("pads", [0, 0, 0, 0])
    s = a.get("strides", [1, 1])
    xp = F.pad(t(x), pads2d(p))
    total = F.avg_pool2d(xp, tuple(k), tuple(s)) * (k[0] * k[1])
    if a.get("count_include_pad", 0):
        return (total / (k[0] * k[1])).numpy()
    ones = F.pad(torch.ones_like(t(x)), pads2d(p))
    count = F.avg_pool2d(ones, tuple(k), tuple(s)) * (k[0] * k[1])
    return (total / count).numpy()


def run(model, feeds):
    env = dict(feeds)
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for node in model.graph.node:
        a = attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            out = [conv(x[0], x[1], x[2] if len(x) > 2 else None, a)]
        elif op == "ConvTranspose":
            out = [conv_transpose(x[0], x[1], a)]
        elif op == "MaxPool":
            out = list(max_pool(x[0], a))
        elif op == "AveragePool":
            out = [average_pool(x[0], a)]
        elif op == "GlobalAveragePool":
            out = [x[0].mean(axis=(2, 3), keepdims=True)]
        elif op == "BatchNormalization":
            sh = (1, -1, 1, 1)
            out = [(x[0] - x[3].reshape(sh)) / np.sqrt(x[4].reshape(sh) + a.get("epsilon", 1e-5))
                   * x[1].reshape(sh) + x[2].reshape(sh)]
        elif op == "Gemm":
            a_ = x[0].T if a.get("transA", 0) else x[0]
            b_ = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (a_ @ b_)
            out = [(y + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else y).astype(x[0].dtype)]
        elif op == "MatMul":
            out = [np.matmul(x[0], x[1])]
        elif op == "Add":
            out = [x[0] + x[1]]
        elif op == "Sub":
            out = [x[0] - x[1]]
        elif op == "Mul":
            out = [x[0] * x[1]]
        elif op == "Div":
            out = [x[0] / x[1]]
        elif op == "Sum":
            out = [sum(x[1:], x[0])]
        elif op == "Relu":
            out = [np.maximum(x[0], 0).astype(x[0].dtype)]
        elif op == "Min":
            out = [np.minimum(x[0], x[1]).astype(x[0].dtype)]
        elif op == "Where":
            out = [np.where(x[0], x[1], x[2])]
        elif op == "GreaterOrEqual":
            out = [x[0] >= x[1]]
        elif op == "Less":
            out = [x[0] < x[1]]
        elif op == "Equal":
            out = [x[0] == x[1]]
        elif op == "ArgMax":
            assert a.get("select_last_index", 0) == 0
            r = np.argmax(x[0], axis=a.get("axis", 0))
            out = [np.expand_dims(r, a["axis"]) if a.get("keepdims", 1) else r]
        elif op == "OneHot":
            depth = int(x[1])
            idx = np.where(x[0] < 0, x[0] + depth, x[0])
            oh = np.full(idx.shape + (depth,), x[2][0], dtype=x[2].dtype)
            np.put_along_axis(oh, idx[..., None], x[2][1], axis=-1)
            out = [oh]
        elif op == "Reshape":
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(x[1])]
            out = [x[0].reshape(shape)]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)]
        elif op == "ReduceSum":
            out = [x[0].sum(axis=tuple(x[1]), keepdims=bool(a.get("keepdims", 1)))]
        elif op == "Concat":
            out = [np.concatenate(x, axis=a["axis"])]
        elif op == "Cast":
            out = [x[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])]
        elif op == "Shape":
            out = [np.array(x[0].shape, dtype=np.int64)]
        elif op == "Identity":
            out = [x[0]]
        elif op == "ScatterElements":
            assert a.get("axis", 0) == 0 and a.get("reduction") == "add" and x[0].ndim == 1
            r = x[0].copy()
            np.add.at(r, x[1], x[2])
            out = [r]
        else:
            raise SystemExit(f"{node.name}: operator {op} is not in this evaluator")
        for name, value in zip(node.output, out):
            env[name] = value
    return {o.name: env[o.name] for o in model.graph.output}


def main():
    directory = sys.argv[1]
    for path in sorted(glob.glob(os.path.join(directory, "*.onnx"))):
        name = path[:-len(".onnx")]
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        feeds = {"input": np.load(name + ".input.npy"), "target": np.load(name + ".target.npy").astype(np.int64),
                 "start": np.load(name + ".start.npy")}
        out = run(model, feeds)
        np.savez(name + ".expected.npz", **out)
        with open(name + ".expected.json", "w") as f:
            json.dump({"file": os.path.basename(name) + ".expected.npz",
                       "made_by": "scripts/compiled_reference.py " + directory,
                       "model": os.path.basename(path) + " (written by the test class CompiledFixtures)",
                       "checked": "onnx.checker.check_model(full_check=True), onnx " + onnx.__version__,
                       "evaluator": "this script's node-by-node interpreter: numpy " + np.__version__
                                    + ", torch " + torch.__version__ + " (conv, transposed conv, pooling)",
                       "outputs": sorted(out)}, f, indent=2)
            f.write("\n")
        print(f"{os.path.basename(path)}: checked, evaluated: {sorted(out)}")


if __name__ == "__main__":
    main()
