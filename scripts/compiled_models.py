#!/usr/bin/env python3
"""The models of the compiled engine's benchmark (issue 16): torchvision's VGG16 and ResNet-50 with random weights
(weights=None, seed 0, eval mode) exported to ONNX (opset 17, constant folding, symbolic batch) into OUTDIR, and,
when Zennit can be imported (it is not packaged by Debian: put a checkout's src/ on PYTHONPATH), Zennit's
explanation of the same models at batch 1 in the same run, for each preset the benchmark times:
  dtd                 z^B on the first convolution ([0, 1] pixels), z+ on every other convolution and linear layer
  epsilon-zplus       Zennit's EpsilonPlus (z+ on convolutions, epsilon 0.25 on linear layers)
  epsilon-alphabeta   Zennit's EpsilonAlpha2Beta1 with z^B on the first convolution
(THREADS threads, median of REPEAT timed runs after 2 warm-up runs). Prints the timings as JSON.
Usage: compiled_models.py OUTDIR [THREADS] [REPEAT]"""
import json
import os
import statistics
import sys
import time

import torch
import torchvision

out_dir = sys.argv[1]
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5
os.makedirs(out_dir, exist_ok=True)
result = {"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": torch.get_num_threads(),
          "repeat": repeat, "onnx": {}, "zennit_ms_median": {}}
try:
    import zennit  # noqa: F401
    from zennit.composites import (EpsilonAlpha2Beta1, EpsilonPlus, LayerMapComposite,
                                   SpecialFirstLayerMapComposite, layer_map_base)
    from zennit.rules import ZBox, ZPlus
    from zennit.types import Convolution, Linear
    result["zennit"] = "imported from " + os.path.dirname(zennit.__file__)
except ImportError as e:
    result["zennit"] = "not measured: " + str(e)
    zennit = None


def composites():
    low = torch.zeros(1, 3, 224, 224)
    high = torch.ones(1, 3, 224, 224)
    first = [(Convolution, ZBox(low=low, high=high))]
    return {
        "dtd": SpecialFirstLayerMapComposite(layer_map=layer_map_base() + [(Convolution, ZPlus()), (Linear, ZPlus())],
                                             first_map=first),
        "epsilon-zplus": EpsilonPlus(epsilon=0.25),
        "epsilon-alphabeta": SpecialFirstLayerMapComposite(
            layer_map=EpsilonAlpha2Beta1(epsilon=0.25).layer_map, first_map=first),
    }


def explain_ms(model, composite, x):
    """The median time of Zennit's explanation of the top class (logit as start relevance), in milliseconds."""
    times = []
    with composite.context(model) as modified:
        for k in range(2 + repeat):
            t0 = time.perf_counter()
            xi = x.clone().requires_grad_(True)
            out = modified(xi)
            start = torch.zeros_like(out)
            top = out.argmax(1)
            start[torch.arange(out.shape[0]), top] = out[torch.arange(out.shape[0]), top]
            torch.autograd.grad(out, xi, start)
            if k >= 2:
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


for name in ("vgg16", "resnet50"):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    path = os.path.join(out_dir, name + ".onnx")
    if not os.path.exists(path):
        torch.onnx.export(model, x, path, opset_version=17, do_constant_folding=True, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    result["onnx"][name] = path
    if zennit is not None:
        for preset, composite in composites().items():
            result["zennit_ms_median"][f"{name}/{preset}"] = explain_ms(model, composite, x)
print(json.dumps(result))
