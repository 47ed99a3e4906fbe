#!/usr/bin/env python3
"""The model and picture of the startup measurement (issue 14: one image explained by `dtd explain`, JVM start
included): torchvision's VGG16-BN with random weights (weights=None, seed 0, eval mode), exported to ONNX (opset 13,
constant folding on, BatchNormalization kept, dynamic batch) as OUTDIR/vgg16_bn.onnx (528 MB), and a 500 x 375
JPEG photo-sized picture (a seeded colour gradient with noise) as OUTDIR/photo.jpg. Prints what it made as JSON.
Usage: startup_model.py OUTDIR"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
torch.manual_seed(0)
model = torchvision.models.vgg16_bn(weights=None).eval()
x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
path = os.path.join(out_dir, "vgg16_bn.onnx")
torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True,
                  training=torch.onnx.TrainingMode.PRESERVE)
rng = np.random.default_rng(2)
yy, xx = np.mgrid[0:375, 0:500]
picture = np.stack([xx / 500 * 255, yy / 375 * 255, (xx + yy) / 875 * 255], axis=-1)
picture = np.clip(picture + rng.normal(0, 20, picture.shape), 0, 255).astype(np.uint8)
Image.fromarray(picture).save(os.path.join(out_dir, "photo.jpg"), quality=90)
print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "model": path,
                  "model_bytes": os.path.getsize(path), "picture": os.path.join(out_dir, "photo.jpg")}))
