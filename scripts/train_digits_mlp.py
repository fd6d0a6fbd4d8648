#!/usr/bin/env python3
"""Trains the two bundled digits MLPs and writes the bundled digits data (Resources/).

Needs numpy, scikit-learn and safetensors (the digits data ship with scikit-learn, nothing is downloaded):
    scripts/venv-python digits scripts/train_digits_mlp.py     (the environment is made on first use)

Writes
    Resources/models/digits_mlp_64_32_10.safetensors     MLP 64 -> 32 -> 10 (ReLU hidden, identity output)
    Resources/models/digits_mlp_64_64_32_10.safetensors  MLP 64 -> 64 -> 32 -> 10
    Resources/data/digits_test_x.npy    float32, N x 64, pixel values / 16 (exactly k/16, k = 0..16)
    Resources/data/digits_test_y.npy    int64, N labels 0..9
    Resources/data/digits_calib_x.npy   float32, 256 x 64, a seeded subset of the TRAIN split
and, not committed (out/ is git-ignored), the train split for scripts/train_digits_cnn.py:
    out/digits/digits_train_x.npy, out/digits/digits_train_y.npy

The models use the PyTorch nn.Sequential(Linear, ReLU, Linear, ...) safetensors layout: tensors
"0.weight" (out x in), "0.bias", "2.weight", "2.bias", ("4.weight", "4.bias"), float32.

Verification (the script exits non-zero if it fails): a float64 numpy forward pass of the EXPORTED float32 weights
(ReLU between layers, identity output, argmax) must give exactly scikit-learn's predictions on the test split.
"""
import json
import os
import sys

import numpy as np
import sklearn
from safetensors.numpy import load_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from safetensors_f32 import write_safetensors

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODELS = os.path.join(ROOT, "Resources", "models")
DATA = os.path.join(ROOT, "Resources", "data")
TRAIN_OUT = os.path.join(ROOT, "out", "digits")
SCRIPT = "scripts/train_digits_mlp.py"

# 75/25 stratified split: 450 test samples. (70/30 would give 540 and push the committed binaries over 300 KB.)
TEST_SIZE = 0.25
SPLIT_SEED = 0
CALIB_SIZE = 256
CALIB_SEED = 0


def load_split():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float64)  # integers 0..16 -> [0, 1], exact in float32 too
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED)
    return x_train, x_test, y_train, y_test


def numpy_forward(tensors, n_layers, x):
    """float64 forward pass of nn.Sequential(Linear, ReLU, ..., Linear) tensors; returns the logits."""
    h = np.asarray(x, dtype=np.float64)
    for i in range(n_layers):
        w = tensors[f"{2 * i}.weight"].astype(np.float64)
        b = tensors[f"{2 * i}.bias"].astype(np.float64)
        h = h @ w.T + b
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
    return h


def export(clf, path, x_test, y_test, description):
    tensors = {}
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        tensors[f"{2 * i}.weight"] = np.ascontiguousarray(w.T, dtype=np.float32)  # (out, in)
        tensors[f"{2 * i}.bias"] = np.ascontiguousarray(b, dtype=np.float32)
    n_layers = len(clf.coefs_)
    # Verify on exactly what is written: the float32 weights, widened to float64.
    pred = np.argmax(numpy_forward(tensors, n_layers, x_test), axis=1)
    sk_pred = clf.predict(x_test)
    agree = int(np.sum(pred == sk_pred))
    correct = int(np.sum(pred == y_test))
    n = len(y_test)
    acc = correct / n
    sizes = [clf.coefs_[0].shape[0]] + [w.shape[1] for w in clf.coefs_]
    metadata = {
        "source": "scikit-learn MLPClassifier on sklearn.datasets.load_digits (UCI ML hand-written digits, "
                  "Alpaydin & Kaynak 1998; BSD-3-Clause via scikit-learn)",
        "architecture": description,
        "layer_sizes": json.dumps(sizes),
        "activation": "relu between layers, identity output (logits), prediction = argmax",
        "input": "8x8 image flattened row-major, pixel / 16 in [0, 1]",
        "accuracy": repr(acc),
        "accuracy_fraction": f"{correct}/{n}",
        "accuracy_note": "test split (25%, stratified, random_state=0), float64 numpy forward of these float32 weights",
        "sklearn_accuracy": repr(float(clf.score(x_test, y_test))),
        "sklearn_version": sklearn.__version__,
        "script": SCRIPT,
    }
    write_safetensors(path, tensors, metadata)
    back = load_file(path)  # read back with the safetensors package
    assert set(back) == set(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)
    print(f"{os.path.relpath(path, ROOT)}: layers {sizes}, iterations {clf.n_iter_}, "
          f"numpy/sklearn agreement {agree}/{n}, accuracy {correct}/{n} = {acc!r} "
          f"(sklearn float64 score {clf.score(x_test, y_test)!r}), {os.path.getsize(path)} bytes")
    if agree != n:
        print(f"error: numpy forward of the exported weights disagrees with sklearn on {n - agree} samples",
              file=sys.stderr)
        sys.exit(1)
    return acc


def main():
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(TRAIN_OUT, exist_ok=True)
    x_train, x_test, y_train, y_test = load_split()
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
          f"train {x_train.shape}, test {x_test.shape}")

    rng = np.random.default_rng(CALIB_SEED)
    calib_idx = np.sort(rng.choice(len(x_train), size=CALIB_SIZE, replace=False))

    np.save(os.path.join(DATA, "digits_test_x.npy"), x_test.astype(np.float32))
    np.save(os.path.join(DATA, "digits_test_y.npy"), y_test.astype(np.int64))
    np.save(os.path.join(DATA, "digits_calib_x.npy"), x_train[calib_idx].astype(np.float32))
    np.save(os.path.join(TRAIN_OUT, "digits_train_x.npy"), x_train.astype(np.float32))
    np.save(os.path.join(TRAIN_OUT, "digits_train_y.npy"), y_train.astype(np.int64))

    results = {}
    for hidden, name in [((32,), "digits_mlp_64_32_10"), ((64, 32), "digits_mlp_64_64_32_10")]:
        clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam",
                            random_state=0, max_iter=1000)
        clf.fit(x_train, y_train)
        desc = "nn.Sequential(" + ", ".join(
            f"Linear({a}, {b})" + (", ReLU()" if i < len(hidden) else "")
            for i, (a, b) in enumerate(zip((64,) + hidden, hidden + (10,)))) + ")"
        acc = export(clf, os.path.join(MODELS, name + ".safetensors"), x_test, y_test, desc)
        results[name] = acc
        if acc < 0.95:
            print(f"warning: {name} test accuracy {acc} < 0.95", file=sys.stderr)
    for f in ["digits_test_x.npy", "digits_test_y.npy", "digits_calib_x.npy"]:
        print(f"Resources/data/{f}: {os.path.getsize(os.path.join(DATA, f))} bytes")


if __name__ == "__main__":
    main()
