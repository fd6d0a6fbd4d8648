#!/usr/bin/env python3
"""Writes the seeded random "real-size" models of the scale benchmark (`scalequant-bench scale`) and their inputs.

Needs numpy only (scripts/safetensors_f32.py writes the safetensors files):
    scripts/venv-python scale scripts/make_scale_models.py [--out DIR] [--models a,b] [--force] [--list]
        (the environment of scripts/requirements/scale.txt is made on first use)

--out DIR (default .build/scale-models under the repository root; made if missing) is the only place written to.
A file that would be written and already exists stops the script before anything is written, unless --force.
--models a,b writes only those models; --list prints the names with their parameter counts and writes nothing.

The models are untrained: He-initialized, seeded, byte-reproducible (with the pinned numpy of scale.txt). They are
for timing, memory and error measurements of the quantizers at realistic sizes, not for accuracy.

Models (parameters = weights + biases + BatchNorm gamma/beta; the BatchNorm running statistics are counted apart):

    name      files                          architecture                               parameters
    mlp_0.2m  mlp_0.2m.safetensors           MLP 784-256-128-10                            235,146
    mlp_1.5m  mlp_1.5m.safetensors           MLP 784-1024-512-256-10                     1,462,538
    mlp_8m    mlp_8m.safetensors             MLP 1024-2048-2048-1024-10                  8,403,978
    resnet20  resnet20.json, .safetensors    CIFAR ResNet-20, input [3, 32, 32]            272,474 (+1,568)
    resnet18  resnet18.json, .safetensors    ResNet-18 (CIFAR variant), [3, 32, 32]     11,173,962 (+9,600)

- MLPs: the nn.Sequential(Linear, ReLU, ..., Linear) safetensors layout the CLI reads: tensors `0.weight`
  [out, in], `0.bias`, `2.weight`, `2.bias`, ...; ReLU between layers, identity output.
- resnet20 (He et al. 2016, CIFAR): stem conv3x3 16 (no bias) + BN + ReLU; 3 stages of 3 basic blocks with 16, 32,
  64 channels, stride 2 in the first block of stages 2 and 3; basic block conv3x3-BN-ReLU-conv3x3-BN, plus the
  shortcut, add, ReLU; shortcut identity when shapes match, else conv1x1 stride 2 (no bias) + BN (option B);
  avgpool2d 8x8 (kernel 8, stride 8), flatten, linear 64 -> 10.
- resnet18 (CIFAR variant): stem conv3x3 64 stride 1 + BN + ReLU, no max-pool; 4 stages of 2 basic blocks with 64,
  128, 256, 512 channels, stride 2 and a conv1x1 + BN projection shortcut in the first block of stages 2-4;
  avgpool2d 4x4, flatten, linear 512 -> 10.
  ResNet tensors use torch-like names: `conv1.weight`, `bn1.{weight,bias,running_mean,running_var}`,
  `layer{s}.{b}.conv1.weight`, `layer{s}.{b}.bn1.*`, `layer{s}.{b}.conv2.weight`, `layer{s}.{b}.bn2.*`,
  `layer{s}.{b}.shortcut.0.weight` (conv), `layer{s}.{b}.shortcut.1.*` (BN), `fc.weight`, `fc.bias`; the graph
  spec (`scalequant-graph` v1, Resources/README.md) has one node per operation, batch norm NOT folded.

Initialization (each model's own generator, numpy.random.default_rng(SEED) with SEED = 20261207 + k, k = 0..4 in the
order of the table; every tensor drawn in node order):
- conv and linear weights: He / Kaiming normal, fan_in, gain sqrt(2): N(0, 2 / fan_in);
- linear biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torch's default); conv biases: none (null), as before BN;
- BatchNorm (eps 1e-5): gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1); the running statistics are CALIBRATED: a float64
  forward pass of the first BN_BATCH rows of NAME_calib.npy (256 for resnet20, 64 for resnet18), node by node with
  the already calibrated (eval-mode) batch norms upstream, measures the per-channel mean m and (biased) variance v of
  each BN's input, like a train-mode forward, and stores running_mean = m + sqrt(v) * d with d ~ N(0, 0.1) and
  running_var = v * r with r ~ U(0.5, 1.5) (d and r drawn with the other tensors). So every BN is non-trivial
  (folding changes the weights and biases substantially) while the activations stay well scaled at every depth.

Inputs (float32): NAME_calib.npy, 256 rows, from default_rng(SEED + 1000); NAME_eval.npy, 256 held rows, from
default_rng(SEED + 2000); every entry standard normal N(0, 1), like per-channel normalized images (shape
[256, 3, 32, 32] for the ResNets, NCHW) or standardized features ([256, in] for the MLPs).
References of the float model on the eval rows (float64 numpy forward of the stored float32 tensors):
NAME_eval_logits.npy (float64, [256, 10]) and NAME_eval_labels.npy (int64, [256], their argmax, ties to the first
index), so that `scalequant quantize ... --eval NAME_eval.npy NAME_eval_labels.npy` (agreement with the float
model's prediction) and `scalequant evaluate NAME... --data NAME_eval.npy --labels NAME_eval_logits.npy`
(relative difference to this script's forward) work.

Every safetensors file carries `__metadata__`: architecture, seed, script, init, inputs, parameters, numpy_version
(and for the ResNets graph, bn_eps, bn_running_statistics, batchnorm, bn_calibration). The script reads every
safetensors file back and checks it, and prints per model the parameter count, the seconds taken and the std of the
output on the eval rows (all five: about 20 s on 2 cores, resnet18 about 10 s of it).

Output statistics on the eval rows: logits of std 1.3-1.5 for every model. For the ResNets most of it is a vector
common to all rows (the per-class std over the rows is 0.23 for resnet20 and 0.36 for resnet18): global average
pooling of a random network over white-noise images barely depends on the image, so nearly every row has the same
argmax and NAME_eval_labels.npy is a weak target for the ResNets; the relative output error against the float
model (scalequant-bench scale) is the meaningful measure.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from safetensors_f32 import read_safetensors, write_safetensors

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_OUT = os.path.join(ROOT, ".build", "scale-models")
SCRIPT = "scripts/make_scale_models.py"
BASE_SEED = 20261207
ROWS = 256
BN_EPS = 1e-5
INPUT_NOTE = "every entry N(0, 1) (like normalized data)"


# ---------------------------------------------------------------------------------------------------------------
# the models: (name, kind, configuration), seed BASE_SEED + index

MODELS = [
    ("mlp_0.2m", "mlp", {"widths": [784, 256, 128, 10]}),
    ("mlp_1.5m", "mlp", {"widths": [784, 1024, 512, 256, 10]}),
    ("mlp_8m", "mlp", {"widths": [1024, 2048, 2048, 1024, 10]}),
    ("resnet20", "resnet", {"title": "CIFAR ResNet-20 (He et al. 2016), projection shortcuts (option B)",
                            "stem": 16, "widths": [16, 32, 64], "blocks": [3, 3, 3], "pool": 8, "bn_batch": 256}),
    ("resnet18", "resnet", {"title": "ResNet-18, CIFAR variant (stem conv3x3 stride 1, no max-pool)",
                            "stem": 64, "widths": [64, 128, 256, 512], "blocks": [2, 2, 2, 2], "pool": 4,
                            "bn_batch": 64}),
]


def seed_of(name):
    return BASE_SEED + [m[0] for m in MODELS].index(name)


def mlp_architecture(widths):
    layers = ", ReLU(), ".join(f"Linear({a}, {b})" for a, b in zip(widths[:-1], widths[1:]))
    return f"nn.Sequential({layers}): MLP {'-'.join(map(str, widths))}"


# ---------------------------------------------------------------------------------------------------------------
# graph spec nodes (the format of Resources/README.md, as written by scripts/train_digits_cnn.py)

def format_graph(spec):
    """JSON text of a graph spec: top-level keys one per line, one node per line."""
    c = lambda v: json.dumps(v, separators=(", ", ": "))
    lines = [f"  {c(k)}: {c(v)}," for k, v in spec.items() if k != "nodes"]
    nodes = ",\n".join(f"    {c(n)}" for n in spec["nodes"])
    return "{\n" + "\n".join(lines) + '\n  "nodes": [\n' + nodes + "\n  ]\n}\n"


class ResNetBuilder:
    """Appends nodes and draws their tensors in node order; tracks the current shape [C, H, W]."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.tensors = {}
        self.bn_jitter = {}  # BN name -> (d, r): running_mean = m + sqrt(v) d, running_var = v r after calibration

    def conv(self, name, inp, shape, out_channels, k, stride):
        c, h, w = shape
        pad = k // 2
        oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        fan_in = c * k * k
        self.tensors[f"{name}.weight"] = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), (out_channels, c, k, k))
        out = [out_channels, oh, ow]
        self.nodes.append({"name": name, "kind": "conv2d", "inputs": [inp], "weight": f"{name}.weight", "bias": None,
                           "in_channels": c, "out_channels": out_channels, "kernel_size": [k, k],
                           "stride": [stride, stride], "padding": [pad, pad], "dilation": [1, 1], "groups": 1,
                           "output_shape": out})
        return name, out

    def bn(self, name, inp, shape):
        c = shape[0]
        self.tensors[f"{name}.weight"] = self.rng.uniform(0.5, 1.5, c)
        self.tensors[f"{name}.bias"] = self.rng.normal(0.0, 0.1, c)
        self.bn_jitter[name] = (self.rng.normal(0.0, 0.1, c), self.rng.uniform(0.5, 1.5, c))
        # placeholders, replaced by the calibration
        self.tensors[f"{name}.running_mean"] = np.zeros(c)
        self.tensors[f"{name}.running_var"] = np.ones(c)
        self.nodes.append({"name": name, "kind": "batchnorm2d", "inputs": [inp], "num_features": c,
                           "weight": f"{name}.weight", "bias": f"{name}.bias",
                           "running_mean": f"{name}.running_mean", "running_var": f"{name}.running_var",
                           "eps": BN_EPS, "output_shape": list(shape)})
        return name, shape

    def simple(self, name, kind, inputs, shape, **extra):
        self.nodes.append({"name": name, "kind": kind, "inputs": list(inputs), **extra, "output_shape": list(shape)})
        return name, shape

    def avgpool(self, name, inp, shape, k):
        c, h, w = shape
        out = [c, (h - k) // k + 1, (w - k) // k + 1]
        self.nodes.append({"name": name, "kind": "avgpool2d", "inputs": [inp], "kernel_size": [k, k],
                           "stride": [k, k], "padding": [0, 0], "output_shape": out})
        return name, out

    def linear(self, name, inp, in_features, out_features):
        bound = 1.0 / np.sqrt(in_features)
        self.tensors[f"{name}.weight"] = self.rng.normal(0.0, np.sqrt(2.0 / in_features), (out_features, in_features))
        self.tensors[f"{name}.bias"] = self.rng.uniform(-bound, bound, out_features)
        self.nodes.append({"name": name, "kind": "linear", "inputs": [inp], "weight": f"{name}.weight",
                           "bias": f"{name}.bias", "in_features": in_features, "out_features": out_features,
                           "output_shape": [out_features]})
        return name, [out_features]


def build_resnet(name, cfg, rng):
    b = ResNetBuilder(rng)
    x, shape = "input", [3, 32, 32]
    x, shape = b.conv("conv1", x, shape, cfg["stem"], 3, 1)
    x, shape = b.bn("bn1", x, shape)
    x, shape = b.simple("relu1", "relu", [x], shape)
    for s, (width, count) in enumerate(zip(cfg["widths"], cfg["blocks"]), start=1):
        for i in range(count):
            p = f"layer{s}.{i}"
            stride = 2 if (i == 0 and s > 1) else 1
            block_in, in_shape = x, shape
            y, ys = b.conv(f"{p}.conv1", block_in, in_shape, width, 3, stride)
            y, ys = b.bn(f"{p}.bn1", y, ys)
            y, ys = b.simple(f"{p}.relu1", "relu", [y], ys)
            y, ys = b.conv(f"{p}.conv2", y, ys, width, 3, 1)
            y, ys = b.bn(f"{p}.bn2", y, ys)
            if stride != 1 or in_shape[0] != width:
                sc, scs = b.conv(f"{p}.shortcut.0", block_in, in_shape, width, 1, stride)
                sc, scs = b.bn(f"{p}.shortcut.1", sc, scs)
            else:
                sc, scs = block_in, in_shape
            assert scs == ys, (p, scs, ys)
            y, ys = b.simple(f"{p}.add", "add", [y, sc], ys)
            x, shape = b.simple(f"{p}.relu2", "relu", [y], ys)
    x, shape = b.avgpool("avgpool", x, shape, cfg["pool"])
    assert shape[1:] == [1, 1], shape
    x, shape = b.simple("flatten", "flatten", [x], [shape[0]], start_dim=1)
    b.linear("fc", x, shape[0], 10)
    widths = ", ".join(f"{w} x{n}" for w, n in zip(cfg["widths"], cfg["blocks"]))
    description = (f"{cfg['title']}: seeded random (untrained) weights; input [3, 32, 32]; stem conv3x3 {cfg['stem']}"
                   f"-BN-ReLU; basic blocks ({widths}), stride 2 and conv1x1-BN projection where the shape changes; "
                   f"avgpool {cfg['pool']}x{cfg['pool']}, flatten, linear {cfg['widths'][-1]} -> 10; "
                   f"batch norm not folded (running statistics calibrated); {SCRIPT}")
    spec = {"format": "scalequant-graph", "version": 1, "description": description,
            "weights": f"{name}.safetensors",
            "input": {"name": "input", "shape": [3, 32, 32], "layout": "CHW",
                      "note": f"random input, {INPUT_NOTE}; a batch adds a leading N (NCHW)"},
            "output": b.nodes[-1]["name"], "nodes": b.nodes}
    return spec, b.tensors, b.bn_jitter


def build_mlp(widths, rng):
    tensors = {}
    for i, (a, o) in enumerate(zip(widths[:-1], widths[1:])):
        bound = 1.0 / np.sqrt(a)
        tensors[f"{2 * i}.weight"] = rng.normal(0.0, np.sqrt(2.0 / a), (o, a))
        tensors[f"{2 * i}.bias"] = rng.uniform(-bound, bound, o)
    return tensors


def parameter_counts(kind, cfg):
    """(parameters, BN running statistics) without drawing anything."""
    if kind == "mlp":
        w = cfg["widths"]
        return sum(a * o + o for a, o in zip(w[:-1], w[1:])), 0
    spec, tensors, _ = build_resnet("x", cfg, _ShapeOnlyRng())
    stats = sum(t.size for k, t in tensors.items() if k.endswith(("running_mean", "running_var")))
    return sum(t.size for t in tensors.values()) - stats, stats


class _ShapeOnlyRng:
    """Stands in for a Generator when only the shapes are needed (--list)."""

    def normal(self, loc, scale, size):
        return np.zeros(size)

    def uniform(self, lo, hi, size):
        return np.zeros(size)


# ---------------------------------------------------------------------------------------------------------------
# float64 numpy forward of a graph spec (im2col convolution), with the optional BatchNorm calibration

IM2COL_ELEMENTS = 1 << 24  # im2col matrix size per chunk of the batch (128 MiB in float64)


def conv2d(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    assert ci == c, (ci, c)
    sh, sw = stride
    ph, pw = padding
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    w2 = w.reshape(o, c * kh * kw).T
    out = np.empty((n, o, oh, ow))
    chunk = max(1, IM2COL_ELEMENTS // (oh * ow * c * kh * kw))
    for s in range(0, n, chunk):
        xp = np.pad(x[s:s + chunk], ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :oh, :ow]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kh * kw)  # (m·oh·ow, c·kh·kw), a copy
        y = cols @ w2  # (m·oh·ow, o)
        out[s:s + chunk] = y.reshape(-1, oh, ow, o).transpose(0, 3, 1, 2)
    if b is not None:
        out += b[None, :, None, None]
    return out


def avgpool2d(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    acc = np.zeros((n, c, oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            acc += x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]]
    return acc / (k[0] * k[1])


def run_graph(spec, tensors, x, calibrate=None):
    """x: N x C x H x W. Returns the output node's values (float64), using the float32 values of `tensors` widened
    to float64. With `calibrate` (BN name -> (d, r)), each batch norm's running statistics are first set from its
    input on this batch (float32 in `tensors`), then applied: a train-mode-like pass, node by node."""
    t = lambda k: np.asarray(tensors[k], dtype=np.float32).astype(np.float64)
    vals = {spec["input"]["name"]: np.asarray(x, dtype=np.float64)}
    readers = {}
    for node in spec["nodes"]:
        for i in node["inputs"]:
            readers[i] = readers.get(i, 0) + 1
    for node in spec["nodes"]:
        ins = [vals[i] for i in node["inputs"]]
        k = node["kind"]
        if k == "conv2d":
            assert node["groups"] == 1 and node["dilation"] == [1, 1]
            y = conv2d(ins[0], t(node["weight"]), t(node["bias"]) if node["bias"] else None,
                       node["stride"], node["padding"])
        elif k == "batchnorm2d":
            if calibrate is not None:
                d, r = calibrate[node["name"]]
                m = ins[0].mean(axis=(0, 2, 3))
                v = ins[0].var(axis=(0, 2, 3))
                if not (np.all(np.isfinite(v)) and np.all(v > 0)):
                    raise SystemExit(f"make_scale_models: BN calibration of {node['name']}: degenerate variance")
                tensors[node["running_mean"]] = (m + np.sqrt(v) * d).astype(np.float32)
                tensors[node["running_var"]] = (v * r).astype(np.float32)
            scale = t(node["weight"]) / np.sqrt(t(node["running_var"]) + node["eps"])
            y = (ins[0] - t(node["running_mean"])[None, :, None, None]) * scale[None, :, None, None] \
                + t(node["bias"])[None, :, None, None]
        elif k == "relu":
            y = np.maximum(ins[0], 0.0)
        elif k == "avgpool2d":
            assert node["padding"] == [0, 0]
            y = avgpool2d(ins[0], node["kernel_size"], node["stride"])
        elif k == "flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif k == "linear":
            y = ins[0] @ t(node["weight"]).T + (t(node["bias"]) if node["bias"] else 0.0)
        elif k == "add":
            y = ins[0] + ins[1]
        else:
            raise ValueError(f"unknown node kind {k}")
        assert list(y.shape[1:]) == node["output_shape"], (node["name"], y.shape, node["output_shape"])
        vals[node["name"]] = y
        for i in node["inputs"]:  # free values nobody reads any more
            readers[i] -= 1
            if readers[i] == 0 and i != spec["output"]:
                del vals[i]
    return vals[spec["output"]]


def mlp_forward(tensors, n_layers, x):
    h = np.asarray(x, dtype=np.float64)
    for i in range(n_layers):
        w = np.asarray(tensors[f"{2 * i}.weight"], dtype=np.float32).astype(np.float64)
        b = np.asarray(tensors[f"{2 * i}.bias"], dtype=np.float32).astype(np.float64)
        h = h @ w.T + b
        if i < n_layers - 1:
            h = np.maximum(h, 0.0)
    return h


# ---------------------------------------------------------------------------------------------------------------

def files_of(name, kind):
    model = [f"{name}.json", f"{name}.safetensors"] if kind == "resnet" else [f"{name}.safetensors"]
    return model + [f"{name}_calib.npy", f"{name}_eval.npy", f"{name}_eval_logits.npy", f"{name}_eval_labels.npy"]


def inputs(seed, shape):
    calib = np.random.default_rng(seed + 1000).standard_normal((ROWS, *shape)).astype(np.float32)
    held = np.random.default_rng(seed + 2000).standard_normal((ROWS, *shape)).astype(np.float32)
    return calib, held


def make(name, kind, cfg, out):
    start = time.perf_counter()
    seed = seed_of(name)
    rng = np.random.default_rng(seed)
    params, stats = parameter_counts(kind, cfg)
    metadata = {"script": SCRIPT, "seed": str(seed), "numpy_version": np.__version__,
                "source": "seeded random, untrained (for the scale benchmark, scalequant-bench scale)",
                "parameters": str(params),
                "init": "conv/linear weights He normal N(0, 2/fan_in); linear biases U(+-1/sqrt(fan_in)); "
                        f"default_rng({seed}), tensors drawn in node order",
                "inputs": f"{name}_calib.npy: default_rng({seed + 1000}), {name}_eval.npy: default_rng({seed + 2000}); "
                          f"{ROWS} rows each, float32, {INPUT_NOTE}"}
    if kind == "mlp":
        widths = cfg["widths"]
        shape = [widths[0]]
        tensors = build_mlp(widths, rng)
        calib, held = inputs(seed, shape)
        calib_seconds = 0.0
        t0 = time.perf_counter()
        logits = mlp_forward(tensors, len(widths) - 1, held)
        eval_seconds = time.perf_counter() - t0
        metadata.update({"architecture": mlp_architecture(widths), "layer_sizes": json.dumps(widths),
                         "activation": "relu between layers, identity output (logits)"})
    else:
        spec, tensors, jitter = build_resnet(name, cfg, rng)
        shape = spec["input"]["shape"]
        calib, held = inputs(seed, shape)
        t0 = time.perf_counter()
        run_graph(spec, tensors, calib[:cfg["bn_batch"]], calibrate=jitter)
        calib_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        logits = run_graph(spec, tensors, held)
        eval_seconds = time.perf_counter() - t0
        metadata.update({"architecture": spec["description"], "graph": f"{name}.json", "bn_eps": repr(BN_EPS),
                         "bn_running_statistics": str(stats),
                         "batchnorm": "not folded: weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), calibrated running "
                                      "statistics (eval mode)",
                         "bn_calibration": f"float64 forward of the first {cfg['bn_batch']} rows of {name}_calib.npy "
                                           "node by node; per channel mean m and biased variance v of the BN input; "
                                           "running_mean = m + sqrt(v) d, d ~ N(0, 0.1); running_var = v r, "
                                           "r ~ U(0.5, 1.5)"})
    tensors = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
    assert sum(v.size for v in tensors.values()) == params + stats
    if not np.all(np.isfinite(logits)):
        raise SystemExit(f"make_scale_models: {name}: non-finite logits")

    st_path = os.path.join(out, f"{name}.safetensors")
    write_safetensors(st_path, tensors, metadata)
    if kind == "resnet":
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            f.write(format_graph(spec))
    np.save(os.path.join(out, f"{name}_calib.npy"), calib)
    np.save(os.path.join(out, f"{name}_eval.npy"), held)
    np.save(os.path.join(out, f"{name}_eval_logits.npy"), logits.astype(np.float64))
    np.save(os.path.join(out, f"{name}_eval_labels.npy"), np.argmax(logits, axis=1).astype(np.int64))

    back, meta = read_safetensors(st_path)
    if not (set(back) == set(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)
            and meta == metadata):
        raise SystemExit(f"make_scale_models: {st_path} does not read back")
    seconds = time.perf_counter() - start
    labels = np.argmax(logits, axis=1)
    calibration = f"BN calibration {calib_seconds:.1f} s, " if kind == "resnet" else ""
    print(f"{name}: {params:,} parameters" + (f" (+{stats:,} BN running statistics)" if stats else "")
          + f"; {seconds:.1f} s ({calibration}eval forward {eval_seconds:.1f} s); "
          f"eval output std {logits.std():.4g} (per-class std over the rows, mean {logits.std(axis=0).mean():.4g}; "
          f"mean |logit| {np.abs(logits).mean():.4g}); {len(np.unique(labels))} distinct argmax classes",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description="Writes the seeded random models of the scale benchmark.")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: .build/scale-models)")
    ap.add_argument("--models", help="comma-separated names (default: all; see --list)")
    ap.add_argument("--force", action="store_true", help="overwrite existing files")
    ap.add_argument("--list", action="store_true", help="print the model names and parameter counts")
    args = ap.parse_args()
    known = [m[0] for m in MODELS]
    if args.list:
        for name, kind, cfg in MODELS:
            params, stats = parameter_counts(kind, cfg)
            arch = mlp_architecture(cfg["widths"]).split(": ")[-1] if kind == "mlp" else cfg["title"]
            extra = f" (+{stats:,} BN running statistics)" if stats else ""
            print(f"{name:9s} {params:>11,} parameters{extra}  {arch}; seed {seed_of(name)}")
        return 0
    names = known if args.models is None else [s.strip() for s in args.models.split(",") if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        print(f"make_scale_models: unknown model(s) {', '.join(unknown) or '(none given)'} "
              f"(known: {', '.join(known)})", file=sys.stderr)
        return 2
    selected = [m for m in MODELS if m[0] in names]
    out = os.path.abspath(args.out)
    existing = [os.path.join(out, f) for name, kind, _ in selected for f in files_of(name, kind)
                if os.path.lexists(os.path.join(out, f))]
    if existing and not args.force:
        print(f"make_scale_models: {existing[0]} exists ({len(existing)} file(s) would be overwritten); "
              "give --force to overwrite", file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    print(f"writing {', '.join(m[0] for m in selected)} into {out} (numpy {np.__version__})", flush=True)
    for name, kind, cfg in selected:
        make(name, kind, cfg, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
