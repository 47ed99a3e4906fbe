#!/usr/bin/env python3
"""PyTorch forward-pass baseline for the performance report: torchvision VGG16 and ResNet-50 (random weights,
eval mode, no_grad), batch 1 and 8, 2 threads, median of N timed runs after 2 warm-up runs. Prints JSON."""
import json
import statistics
import sys
import time

import torch
import torchvision


def median_forward_ms(model, x, repeat):
    """The median of repeat timed forward passes (no_grad) after 2 untimed ones, in milliseconds."""
    with torch.no_grad():
        for _ in range(2):
            model(x)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "repeat": repeat, "forward_ms_median": {}}
    for name in ("vgg16", "resnet50"):
        model = getattr(torchvision.models, name)(weights=None).eval()
        for batch in (1, 8):
            out["forward_ms_median"][f"{name}/{batch}"] = median_forward_ms(model, torch.rand(batch, 3, 224, 224),
                                                                            repeat)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
