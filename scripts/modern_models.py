#!/usr/bin/env python3
"""The modern architectures of the performance report (issue 13): torchvision's MobileNetV2 and ViT-B/16 with random
weights (weights=None, seed 0, eval mode; ViT-B/16's head, which torchvision starts at zero, drawn again from
N(0, 0.01)), exported to ONNX (opset 17, constant folding on, batch 1) into OUTDIR for ModernBenchmark, and their
PyTorch forward pass at batch 1 (THREADS threads, no_grad, median of REPEAT timed runs after 2 warm-up runs).
Prints the PyTorch timings as JSON.
Usage: modern_models.py OUTDIR [THREADS] [REPEAT]"""
import json
import os
import sys

import torch
import torchvision

from pytorch_baseline import median_forward_ms

out_dir = sys.argv[1]
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 10
os.makedirs(out_dir, exist_ok=True)
result = {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": torch.get_num_threads(),
          "repeat": repeat, "forward_ms_median": {}, "onnx": {}}
for name in ("mobilenet_v2", "vit_b_16"):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    if name == "vit_b_16":
        with torch.no_grad():
            model.heads.head.weight.copy_(torch.randn(model.heads.head.weight.shape,
                                                      generator=torch.Generator().manual_seed(0)) * 0.01)
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=17, input_names=["input"], output_names=["logits"],
                      do_constant_folding=True)
    result["onnx"][name] = path
    result["forward_ms_median"][name] = median_forward_ms(model, x, repeat)
print(json.dumps(result))
