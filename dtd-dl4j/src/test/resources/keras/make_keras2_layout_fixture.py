#!/usr/bin/env python3
"""A small model in Keras 2's HDF5 layout, for DL4J's KerasModelImport (which reads Keras 1 and 2 files only).

No Keras 2 can be installed where this project is developed (Debian ships none; the only Keras available is 3,
whose files DL4J 1.0.0-M2.1 rejects). So this script writes, with h5py and numpy only, exactly what tf.keras 2.x's
`model.save("x.h5")` writes for a Sequential model: the root attributes keras_version, backend and model_config
(Keras 2.11's JSON for Input(8) -> Dense(6, relu) -> Dense(3, softmax)), and the group model_weights with one group
per layer holding "<layer>/kernel:0" ([in, out]) and "<layer>/bias:0", listed in layer_names / weight_names.
It also writes a seeded input and the model's pre-softmax logits computed here with numpy (the reference).

Run with any Python that has numpy and h5py:  python3 make_keras2_layout_fixture.py
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2024)
w1 = rng.normal(0, 0.5, (8, 6)).astype(np.float32)
b1 = rng.normal(0, 0.1, (6,)).astype(np.float32)
w2 = rng.normal(0, 0.5, (6, 3)).astype(np.float32)
b2 = rng.normal(0, 0.1, (3,)).astype(np.float32)
x = rng.uniform(0, 1, (4, 8)).astype(np.float32)
logits = (np.maximum(0, x @ w1 + b1) @ w2 + b2).astype(np.float32)


def dense(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32", "sparse": False,
                                            "ragged": False, "name": "dense_input"}},
    dense("dense", 6, "relu"),
    dense("dense_1", 3, "softmax")]}}

path = os.path.join(HERE, "keras2-layout-mlp.h5")
with h5py.File(path, "w") as f:
    f.attrs["keras_version"] = "2.11.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(config)
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = [b"dense", b"dense_1"]
    mw.attrs["backend"] = b"tensorflow"
    mw.attrs["keras_version"] = b"2.11.0"
    for name, (k, b) in {"dense": (w1, b1), "dense_1": (w2, b2)}.items():
        g = mw.create_group(name)
        g.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
        inner = g.create_group(name)
        inner.create_dataset("kernel:0", data=k)
        inner.create_dataset("bias:0", data=b)
np.save(os.path.join(HERE, "keras2-layout-mlp.input.npy"), x)
np.save(os.path.join(HERE, "keras2-layout-mlp.logits.npy"), logits)
with open(os.path.join(HERE, "keras2-layout-mlp.json"), "w") as f:
    json.dump({"file": "keras2-layout-mlp.h5", "made_by": "make_keras2_layout_fixture.py (h5py " + h5py.__version__
               + ", numpy " + np.__version__ + ")", "layout": "tf.keras 2.11 HDF5 (model.save to .h5), written by "
               "hand because no Keras 2 is installable here", "model": "Input(8) -> Dense(6, relu) -> Dense(3, softmax)",
               "seed": 2024, "logits": "pre-softmax outputs for the .input.npy rows, computed by numpy in the script"},
              f, indent=2)
    f.write("\n")
print("wrote", path, "logits", logits[0].tolist())
