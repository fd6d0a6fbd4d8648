#!/usr/bin/env python3
"""Trains the bundled digits CNN and ResNet (issue #7) with PyTorch and exports them with a graph spec.

Needs torch and numpy only (no safetensors package: scripts/safetensors_f32.py writes the format), e.g.
    scripts/venv-python digits scripts/train_digits_mlp.py        # first: writes the split (test in Resources/data,
                                                                 # train in out/digits/, not committed)
    scripts/venv-python anchors scripts/train_digits_cnn.py       # torch (anchors.optional.txt) and numpy

Writes
    Resources/models/digits_cnn.safetensors, digits_cnn.json         small CNN + its graph spec
    Resources/models/digits_resnet.safetensors, digits_resnet.json   small ResNet (BatchNorm not folded) + spec
    Resources/data/digits_cnn_test_logits.npy, digits_resnet_test_logits.npy   float32, N x 10, torch eval-mode
        logits on Resources/data/digits_test_x.npy (reshaped to N x 1 x 8 x 8)

The graph-spec format is documented in Resources/README.md. As a check of the spec, this script also runs a plain
float64 numpy interpreter of each JSON spec over the exported tensors (`run_graph`) and compares it with torch.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_f32 import read_safetensors, write_safetensors

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODELS = os.path.join(ROOT, "Resources", "models")
DATA = os.path.join(ROOT, "Resources", "data")
SCRIPT = "scripts/train_digits_cnn.py"
SOURCE = ("PyTorch, trained on sklearn.datasets.load_digits (UCI ML hand-written digits, Alpaydin & Kaynak 1998; "
          "BSD-3-Clause via scikit-learn), 75/25 stratified split, random_state=0")


# ---------------------------------------------------------------------------------------------------------------
# models

def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),    # 0
        nn.ReLU(),                        # 1
        nn.MaxPool2d(2),                  # 2   8x8 -> 4x4
        nn.Conv2d(8, 16, 3, padding=1),   # 3
        nn.ReLU(),                        # 4
        nn.AvgPool2d(2),                  # 5   4x4 -> 2x2
        nn.Flatten(),                     # 6
        nn.Linear(16 * 2 * 2, 10),        # 7
    )


class SmallResNet(nn.Module):
    """conv -> BN -> ReLU -> [conv -> BN -> ReLU -> conv -> BN, + identity, ReLU] -> avgpool 2 -> flatten -> linear.
    Convolutions followed by BatchNorm have no bias (the usual ResNet choice; BN's bias takes its place)."""

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv0(x)))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = F.relu(y + x)
        x = F.avg_pool2d(x, 2)
        return self.fc(torch.flatten(x, 1))


def format_graph(spec):
    """JSON text of a graph spec: top-level keys one per line, one node per line."""
    c = lambda v: json.dumps(v, separators=(", ", ": "))
    lines = [f"  {c(k)}: {c(v)}," for k, v in spec.items() if k != "nodes"]
    nodes = ",\n".join(f"    {c(n)}" for n in spec["nodes"])
    return "{\n" + "\n".join(lines) + '\n  "nodes": [\n' + nodes + "\n  ]\n}\n"


def conv_node(name, inp, prefix, conv, out_shape):
    return {"name": name, "kind": "conv2d", "inputs": [inp],
            "weight": f"{prefix}.weight", "bias": f"{prefix}.bias" if conv.bias is not None else None,
            "in_channels": conv.in_channels, "out_channels": conv.out_channels,
            "kernel_size": list(conv.kernel_size), "stride": list(conv.stride), "padding": list(conv.padding),
            "dilation": list(conv.dilation), "groups": conv.groups, "output_shape": out_shape}


def bn_node(name, inp, prefix, bn, out_shape):
    return {"name": name, "kind": "batchnorm2d", "inputs": [inp], "num_features": bn.num_features,
            "weight": f"{prefix}.weight", "bias": f"{prefix}.bias",
            "running_mean": f"{prefix}.running_mean", "running_var": f"{prefix}.running_var",
            "eps": bn.eps, "output_shape": out_shape}


def pool_node(name, kind, inp, k, out_shape):
    return {"name": name, "kind": kind, "inputs": [inp], "kernel_size": [k, k], "stride": [k, k],
            "padding": [0, 0], "output_shape": out_shape}


def linear_node(name, inp, prefix, lin):
    return {"name": name, "kind": "linear", "inputs": [inp], "weight": f"{prefix}.weight", "bias": f"{prefix}.bias",
            "in_features": lin.in_features, "out_features": lin.out_features, "output_shape": [lin.out_features]}


def simple(name, kind, inp, out_shape, **extra):
    return {"name": name, "kind": kind, "inputs": list(inp) if isinstance(inp, list) else [inp], **extra,
            "output_shape": out_shape}


def graph(weights_file, description, nodes):
    return {"format": "scalequant-graph", "version": 1, "description": description, "weights": weights_file,
            "input": {"name": "input", "shape": [1, 8, 8], "layout": "CHW",
                      "note": "8x8 digit image, pixel / 16 in [0, 1]; a batch adds a leading N (NCHW)"},
            "output": nodes[-1]["name"], "nodes": nodes}


def cnn_graph(m):
    return graph("digits_cnn.safetensors", "small CNN for 8x8 digits (torch nn.Sequential, tensor names 0./3./7.)", [
        conv_node("conv1", "input", "0", m[0], [8, 8, 8]),
        simple("relu1", "relu", "conv1", [8, 8, 8]),
        pool_node("pool1", "maxpool2d", "relu1", 2, [8, 4, 4]),
        conv_node("conv2", "pool1", "3", m[3], [16, 4, 4]),
        simple("relu2", "relu", "conv2", [16, 4, 4]),
        pool_node("pool2", "avgpool2d", "relu2", 2, [16, 2, 2]),
        simple("flatten", "flatten", "pool2", [64], start_dim=1),
        linear_node("fc", "flatten", "7", m[7]),
    ])


def resnet_graph(m):
    return graph("digits_resnet.safetensors",
                 "small ResNet for 8x8 digits: stem conv-BN-ReLU, one basic residual block, avgpool, linear", [
        conv_node("conv0", "input", "conv0", m.conv0, [8, 8, 8]),
        bn_node("bn0", "conv0", "bn0", m.bn0, [8, 8, 8]),
        simple("relu0", "relu", "bn0", [8, 8, 8]),
        conv_node("conv1", "relu0", "conv1", m.conv1, [8, 8, 8]),
        bn_node("bn1", "conv1", "bn1", m.bn1, [8, 8, 8]),
        simple("relu1", "relu", "bn1", [8, 8, 8]),
        conv_node("conv2", "relu1", "conv2", m.conv2, [8, 8, 8]),
        bn_node("bn2", "conv2", "bn2", m.bn2, [8, 8, 8]),
        simple("add", "add", ["bn2", "relu0"], [8, 8, 8]),
        simple("relu2", "relu", "add", [8, 8, 8]),
        pool_node("pool", "avgpool2d", "relu2", 2, [8, 4, 4]),
        simple("flatten", "flatten", "pool", [128], start_dim=1),
        linear_node("fc", "flatten", "fc", m.fc),
    ])


# ---------------------------------------------------------------------------------------------------------------
# a float64 numpy interpreter of the graph spec: the reference for the Swift loader

def _conv2d(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    assert ci == c
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    oh = (h + 2 * padding[0] - kh) // stride[0] + 1
    ow = (wd + 2 * padding[1] - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]]  # n, c, oh, ow
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def _pool(x, k, s, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    windows = np.stack([x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]]
                        for i in range(k[0]) for j in range(k[1])])
    return reduce(windows, axis=0)


def run_graph(spec, tensors, x):
    """x: N x C x H x W float64. Returns the output node's values."""
    t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
    vals = {spec["input"]["name"]: np.asarray(x, dtype=np.float64)}
    for node in spec["nodes"]:
        ins = [vals[i] for i in node["inputs"]]
        k = node["kind"]
        if k == "conv2d":
            assert node["groups"] == 1 and node["dilation"] == [1, 1]
            y = _conv2d(ins[0], t[node["weight"]], t[node["bias"]] if node["bias"] else None,
                        node["stride"], node["padding"])
        elif k == "batchnorm2d":
            scale = t[node["weight"]] / np.sqrt(t[node["running_var"]] + node["eps"])
            y = (ins[0] - t[node["running_mean"]][None, :, None, None]) * scale[None, :, None, None] \
                + t[node["bias"]][None, :, None, None]
        elif k == "relu":
            y = np.maximum(ins[0], 0.0)
        elif k == "maxpool2d":
            y = _pool(ins[0], node["kernel_size"], node["stride"], np.max)
        elif k == "avgpool2d":
            y = _pool(ins[0], node["kernel_size"], node["stride"], np.mean)
        elif k == "flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif k == "linear":
            y = ins[0] @ t[node["weight"]].T + (t[node["bias"]] if node["bias"] else 0.0)
        elif k == "add":
            y = ins[0] + ins[1]
        else:
            raise ValueError(f"unknown node kind {k}")
        assert list(y.shape[1:]) == node["output_shape"], (node["name"], y.shape, node["output_shape"])
        vals[node["name"]] = y
    return vals[spec["output"]]


# ---------------------------------------------------------------------------------------------------------------

def train(model, x_train, y_train, epochs, lr, batch, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x_train)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch == epochs - 1 or epoch % 5 == 0:
            print(f"  epoch {epoch + 1:2d}/{epochs}: train loss {total / n:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-dir", default=os.path.join(ROOT, "out", "digits"),
                    help="where train_digits_mlp.py wrote digits_train_{x,y}.npy (default: out/digits)")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # deterministic reductions, and modest CPU use

    try:
        x_train = np.load(os.path.join(args.train_dir, "digits_train_x.npy"))
        y_train = np.load(os.path.join(args.train_dir, "digits_train_y.npy"))
    except FileNotFoundError as e:
        sys.exit(f"error: {e.filename} not found; run scripts/train_digits_mlp.py first (it writes the train split)")
    x_test = np.load(os.path.join(DATA, "digits_test_x.npy"))
    y_test = np.load(os.path.join(DATA, "digits_test_y.npy"))
    print(f"torch {torch.__version__}, numpy {np.__version__}; train {x_train.shape}, test {x_test.shape}")

    xt = torch.from_numpy(x_train.astype(np.float32)).reshape(-1, 1, 8, 8)
    yt = torch.from_numpy(y_train.astype(np.int64))
    xe = torch.from_numpy(x_test.astype(np.float32)).reshape(-1, 1, 8, 8)
    n = len(y_test)

    failed = False
    for name, make, make_graph in [("digits_cnn", small_cnn, cnn_graph), ("digits_resnet", SmallResNet, resnet_graph)]:
        torch.manual_seed(0)
        model = make()
        print(f"{name}: training ({sum(p.numel() for p in model.parameters())} parameters)")
        train(model, xt, yt, epochs=args.epochs, lr=1e-2, batch=32, seed=0)
        model.eval()
        with torch.no_grad():
            logits = model(xe).numpy().astype(np.float32)
        correct = int(np.sum(np.argmax(logits, axis=1) == y_test))
        acc = correct / n

        state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()
                 if not k.endswith("num_batches_tracked")}
        spec = make_graph(model)
        bn_eps = sorted({node["eps"] for node in spec["nodes"] if node["kind"] == "batchnorm2d"})
        metadata = {"source": SOURCE, "architecture": spec["description"], "graph": f"{name}.json",
                    "accuracy": repr(acc), "accuracy_fraction": f"{correct}/{n}",
                    "accuracy_note": "test split, torch float32 eval-mode forward",
                    "torch_version": torch.__version__, "script": SCRIPT,
                    "training": f"Adam lr 1e-2, batch 32, {args.epochs} epochs, torch.manual_seed(0), deterministic"}
        if bn_eps:
            metadata["bn_eps"] = ",".join(repr(e) for e in bn_eps)
            metadata["batchnorm"] = "not folded: weight, bias, running_mean, running_var as trained (eval mode)"
        st_path = os.path.join(MODELS, name + ".safetensors")
        write_safetensors(st_path, state, metadata)
        with open(os.path.join(MODELS, name + ".json"), "w") as f:
            f.write(format_graph(spec))
        np.save(os.path.join(DATA, f"{name}_test_logits.npy"), logits)

        # checks: the file reads back bit-exactly; the numpy interpreter of the spec reproduces torch's logits
        back, meta = read_safetensors(st_path)
        assert set(back) == set(state) and all(np.array_equal(back[k], state[k]) for k in state) and meta == metadata
        ref = run_graph(spec, back, x_test.astype(np.float64).reshape(-1, 1, 8, 8))
        diff = float(np.max(np.abs(ref - logits.astype(np.float64))))
        ref_correct = int(np.sum(np.argmax(ref, axis=1) == y_test))
        agree = int(np.sum(np.argmax(ref, axis=1) == np.argmax(logits, axis=1)))
        print(f"{name}: torch accuracy {correct}/{n} = {acc!r}; numpy graph-spec interpreter (float64): "
              f"max |logit diff| {diff:.3g}, argmax agreement {agree}/{n}, accuracy {ref_correct}/{n}; "
              f"{os.path.getsize(st_path)} bytes")
        if diff > 1e-4 or agree != n:
            print(f"error: {name}: the graph spec does not reproduce torch", file=sys.stderr)
            failed = True
        if acc < 0.95:
            print(f"warning: {name} test accuracy {acc} < 0.95", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
