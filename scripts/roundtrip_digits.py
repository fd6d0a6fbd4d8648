#!/usr/bin/env python3
"""Round trip through `scalequant quantize` (issue #6): the accuracy ScaleQuant reports must be the accuracy Python
computes from the file ScaleQuant writes.

Needs numpy, scikit-learn and safetensors (scripts/roundtrip_ci.sh makes such a venv and runs this):
    swift build -c release
    python scripts/roundtrip_digits.py [--scalequant .build/release/scalequant] [--format e4m3] [--method cd]

Steps
 1. train a small ReLU MLP (64 -> 16 -> 10) with scikit-learn on the digits data (seeded, same 75/25 stratified
    split as scripts/train_digits_mlp.py), export it to the nn.Sequential safetensors layout (0.weight (out x in),
    0.bias, 2.weight, 2.bias; float32) in a temporary directory, with the test split as X.npy (float64, N x 64)
    and Y.npy (int64, N);
 2. run  scalequant quantize MODEL --format F --method M -o OUT.safetensors --eval X.npy Y.npy --json
    and read the JSON object it prints on standard output (its `accuracy` field: the fraction of correct
    predictions of the quantized model on X, Y);
 3. load OUT.safetensors with the safetensors numpy API, run a float64 numpy forward pass (ReLU between layers,
    identity output, argmax, first index on ties) and check that correct/N == accuracy exactly.
Exit status: 0 on agreement, 1 on a mismatch, 2 if scalequant or its `quantize` command is missing or fails.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def fail(msg, status=2):
    print(f"roundtrip: error: {msg}", file=sys.stderr)
    sys.exit(status)


def sequential_layers(tensors):
    """The (weight, bias) pairs of an nn.Sequential(Linear, ReLU, Linear, ...) state dict, in order."""
    idx = sorted({int(k.split(".")[0]) for k in tensors if k.endswith(".weight")})
    missing = [f"{i}.bias" for i in idx if f"{i}.bias" not in tensors]
    if not idx or missing:
        fail(f"unexpected tensors in the quantized file: {sorted(tensors)}", 1)
    return [(tensors[f"{i}.weight"].astype(np.float64), tensors[f"{i}.bias"].astype(np.float64)) for i in idx]


def predict(layers, x):
    h = np.asarray(x, dtype=np.float64)
    for j, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if j < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return np.argmax(h, axis=1)


def e4m3_on_grid(v):
    """True where v is a finite e4m3 (OCP FN) value: |v| <= 448, p = 4, min subnormal 2^-9."""
    a = np.abs(np.asarray(v, dtype=np.float64))
    m, e = np.frexp(a)  # a = m * 2^e, m in [0.5, 1)
    step = np.ldexp(1.0, np.maximum(e, -5) - 4)  # spacing: 2^(e-4) for normals, 2^-9 for subnormals
    return (a <= 448) & (np.mod(a, step) == 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scalequant", default=os.path.join(ROOT, ".build", "release", "scalequant"),
                    help="the scalequant binary (default: .build/release/scalequant in the repository)")
    ap.add_argument("--format", default="e4m3")
    ap.add_argument("--method", default="cd")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary directory)")
    args = ap.parse_args()

    binary = os.path.abspath(args.scalequant)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        fail(f"scalequant binary not found at {binary}: build it with `swift build -c release` "
             f"or pass --scalequant PATH")

    # Is there a `quantize` subcommand? (ArgumentParser lists the subcommands under SUBCOMMANDS: in --help.)
    try:
        helptext = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60).stdout
    except OSError as e:
        fail(f"cannot run {binary}: {e}")
    subcommands = helptext.split("SUBCOMMANDS:", 1)[-1]
    if not re.search(r"^\s+quantize\b", subcommands, re.MULTILINE):
        fail(f"this scalequant ({binary}) has no `quantize` command yet (issue #6): `scalequant --help` does not "
             f"list it. Build a version that has it, or pass --scalequant PATH.")

    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(16,), activation="relu", random_state=0, max_iter=1000)
    clf.fit(x_train, y_train)

    tmp = None
    if args.keep:
        work = os.path.abspath(args.keep)
        os.makedirs(work, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="scalequant-roundtrip-")
        work = tmp.name
    model, out = os.path.join(work, "model.safetensors"), os.path.join(work, "out.safetensors")
    xp, yp = os.path.join(work, "X.npy"), os.path.join(work, "Y.npy")
    tensors = {}
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        tensors[f"{2 * i}.weight"] = np.ascontiguousarray(w.T, dtype=np.float32)
        tensors[f"{2 * i}.bias"] = np.ascontiguousarray(b, dtype=np.float32)
    save_file(tensors, model, metadata={"source": "scripts/roundtrip_digits.py", "layers": "64,16,10"})
    np.save(xp, np.ascontiguousarray(x_test, dtype=np.float64))
    np.save(yp, y_test)
    n = len(y_test)
    float_correct = int(np.sum(predict(sequential_layers(tensors), x_test) == y_test))

    cmd = [binary, "quantize", model, "--format", args.format, "--method", args.method, "-o", out,
           "--eval", xp, yp, "--json"]
    print("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        err = (proc.stderr + proc.stdout).strip()
        fail(f"scalequant quantize exited with status {proc.returncode}:\n{err}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        fail(f"scalequant quantize --json did not print one JSON object ({e}); standard output was:\n{proc.stdout}")
    if not isinstance(report, dict) or "accuracy" not in report:
        fail(f"no `accuracy` field in scalequant's JSON output: {proc.stdout.strip()}")
    reported = report["accuracy"]
    if not os.path.isfile(out):
        fail(f"scalequant quantize did not write {out}")

    try:
        qtensors = load_file(out)
    except KeyError as e:
        fail(f"{out} has a dtype the safetensors numpy API cannot load ({e}); expected F32/F64 tensors holding the "
             f"quantized values")
    layers = sequential_layers(qtensors)
    correct = int(np.sum(predict(layers, x_test) == y_test))
    acc = correct / n
    values = np.concatenate([a.reshape(-1) for pair in layers for a in pair])
    grid = f", {int(np.sum(e4m3_on_grid(values)))}/{values.size} values on the e4m3 grid" \
        if args.format.lower() in ("e4m3", "e4m3fn", "fp8_e4m3", "float8_e4m3fn") else ""

    print(f"float model (64-16-10):   {float_correct}/{n} = {float_correct / n!r}")
    print(f"quantized, Python:        {correct}/{n} = {acc!r}{grid}")
    print(f"quantized, ScaleQuant:    {reported!r}")
    if isinstance(reported, bool) or not isinstance(reported, (int, float)) or float(reported) != acc:
        print(f"roundtrip: MISMATCH: ScaleQuant reports accuracy {reported!r}, Python computes {correct}/{n} = {acc!r}"
              f" from {out}", file=sys.stderr)
        sys.exit(1)
    print("roundtrip: OK (reported accuracy equals the accuracy of the written file)")


if __name__ == "__main__":
    main()
