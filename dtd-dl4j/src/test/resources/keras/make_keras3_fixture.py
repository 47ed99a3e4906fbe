"""Writes keras3-sequential.h5: a small Keras 3 Sequential CNN in the legacy HDF5 format (model.save("x.h5")).

DL4J 1.0.0-M2.1 imports only Keras 1 and 2 files; this genuine Keras 3 file checks that dtd4j rejects it with a
clear message. No Keras 2 could be installed where the fixture was made (only keras 3.15.1 and TensorFlow 2.21,
which needs Keras 3), so there is no Keras 2 fixture.

Made with: python3 -m venv v && v/bin/pip install keras==3.15.1 jax jaxlib h5py scipy &&
           KERAS_BACKEND=jax v/bin/python make_keras3_fixture.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras

keras.utils.set_random_seed(1)
model = keras.Sequential([
    keras.Input((8, 8, 1)),
    keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(5, activation="softmax"),
])
model.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3-sequential.h5"))
print("keras", keras.__version__, "backend", keras.backend.backend())
