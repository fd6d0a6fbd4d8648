#!/usr/bin/env python3
"""Compares ScaleQuant's weight quantizers with peer packages (Brevitas GPTQ, AIMET AdaRound, torchao RTN) on the
bundled digits models, in ScaleQuant's own metric. docs/Peers.md has the configurations, the mapping to ScaleQuant's
storage and the results.

    scripts/venv-python peers scripts/compare_peers.py [--scalequant .build/release/scalequant] [--json out.json]

Every model is a nn.Sequential MLP (.safetensors: `0.weight` [out, in], `0.bias`, `2.weight`, ...; ReLU between
layers) or a graph spec (.json, scalequant-graph v1). The script builds an equivalent torch module, checks it against
the bundled test logits (≤ 1e-5 relative) or the accuracy in the file's metadata, folds batch norm into the preceding
convolution for the peers (ScaleQuant folds it too), then for each format and storage
    * runs `scalequant quantize MODEL --format F --method M` for every --methods entry at every storage: F itself
      for the fixed grid (floats) and for intN's per-layer step, `F/tensor` for a float with a per-layer scale,
      `F/ch` for per-channel scales (a per-channel method such as rtn-channel runs once, at plain F, in the
      channel-scale storage). A method the CLI refuses for per-channel grids (cd, exact, l2r) is skipped there;
      any other failure (unknown method, ...) is reported as a row. The CLI's outputs are loaded and scored,
    * runs the peers: plain RTN (torch, this script), torchao per-channel RTN, Brevitas GPTQ, AIMET AdaRound, and
      two GPTQ references written out here (diagnostics for the gptq comparison, never counted as a peer),
and evaluates every quantized model in float64 against the float model (batch norm unfolded). After the table it
prints a summary: per model, format and storage, ScaleQuant `data` and the best ScaleQuant method against the best
peer at that storage, and ScaleQuant `gptq` against Brevitas GPTQ. --rows-from JSON reprints both from a saved run.

Output error = mean over test samples of ||R_q(x) - R_f(x)||_2 / ||R_f(x)||_2 (samples with R_f(x) = 0 skipped),
accuracy = argmax (first index on ties) against the labels, bits per weight = N + 32 * (number of scales) / (number of
weights), over all quantized weights. Weights only: activations stay float. Biases that a package leaves float are
quantized afterwards as ScaleQuant does (same format; per-tensor fixed grid when the weights use the fixed grid, else
a per-tensor scale taken from the biases); --bias float keeps them float instead.

Grids: intN = step * {-q..q}, q = 2^(N-1) - 1, step = max|W| / q per tensor or per output row; e4m3 (OCP fp8 e4m3fn,
max 448) and e2m1 (fp4, max 6): nearest, ties to even, saturating; "fixed" = the plain grid (scale 1), "tensor" /
"channel" = a float32 scale absmax / max finite per tensor / per output row.
"""
import argparse
import contextlib
import copy
import hashlib
import importlib
import io
import json
import logging
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODELS = os.path.join(ROOT, "Resources", "models")
DATA = os.path.join(ROOT, "Resources", "data")
DEFAULT_MODELS = ["digits_mlp_64_32_10.safetensors", "digits_mlp_64_64_32_10.safetensors", "digits_cnn.json",
                  "digits_resnet.json"]
REFERENCE_LOGITS = {"digits_cnn.json": "digits_cnn_test_logits.npy", "digits_resnet.json": "digits_resnet_test_logits.npy"}

FORMATS = {"int4": dict(kind="int", bits=4, q=7), "int8": dict(kind="int", bits=8, q=127),
           "e4m3": dict(kind="float", bits=8, p=4, emin=-6, max=448.0),
           "e2m1": dict(kind="float", bits=4, p=2, emin=0, max=6.0)}
STORAGE_LABEL = {"fixed": "tensor, fixed grid", "tensor": "tensor scale", "channel": "channel scale"}
PEERS = ["rtn", "torchao", "gptq", "adaround", "gptq-ref", "gptq-ref-bias"]
DEFAULT_METHODS = "rtn,cle,cd,rtn-channel,cle+bc,gptq,data"


# ------------------------------------------------------------------------------------------------------------------
# grids

def round_float_grid(x, f):
    """x (float64) to the nearest value of the float format f, ties to even, saturating at +-max."""
    _, e = torch.frexp(x)  # |x| = m 2^e, m in [0.5, 1): the binade's exponent is e - 1
    spacing = torch.pow(2.0, (e - 1).clamp_min(f["emin"]).to(x.dtype) - (f["p"] - 1))
    return (torch.round(x / spacing) * spacing).clamp(-f["max"], f["max"])


def grid_scale(w, f, storage):
    """The float32 scale (as float64, broadcastable to w) of a storage; None for the fixed grid."""
    if storage == "fixed":
        return None
    top = f["q"] if f["kind"] == "int" else f["max"]
    amax = w.abs().amax() if storage == "tensor" else w.reshape(w.shape[0], -1).abs().amax(1)
    s = (amax / top).to(torch.float32).to(torch.float64)
    s = torch.where(s > 0, s, torch.ones_like(s))
    return s if storage == "tensor" else s.reshape([-1] + [1] * (w.dim() - 1))


def rtn(w, f, storage):
    w = w.to(torch.float64)
    s = grid_scale(w, f, storage)
    if f["kind"] == "int":
        return torch.clamp(torch.round(w / s), -f["q"], f["q"]) * s
    return round_float_grid(w, f) if s is None else round_float_grid(w / s, f) * s


def quantize_bias(b, f, storage, mode):
    if b is None or mode == "float":
        return b
    return rtn(b, f, "fixed" if storage == "fixed" else "tensor")


def on_grid(w, f, storage):
    """Whether the quantized tensor w lies on the grid of (f, storage), whatever scale the method chose: a sanity
    check of what a method wrote. A scaled row's scale is max|row| / g for some positive grid value g (a method may
    leave no weight at the top of the grid)."""
    w = w.to(torch.float64)

    def fits(v):  # v / scale: on the plain grid?
        back = torch.round(v) if f["kind"] == "int" else round_float_grid(v, f)
        top = f["q"] if f["kind"] == "int" else f["max"]
        return bool(torch.all((back - v).abs() <= 1e-5 * v.abs().clamp_min(1e-3))) and float(v.abs().max()) <= top * (1 + 1e-6)

    if storage == "fixed":
        return fits(w)
    top = f["q"] if f["kind"] == "int" else f["max"]
    if f["kind"] == "int":
        grid = list(range(f["q"], 0, -1))
    else:  # every positive value: subnormals m 2^(emin-p+1), m < 2^(p-1), and normals m 2^(e-p+1), 2^(p-1) <= m < 2^p
        p, emin = f["p"], f["emin"]
        grid = {m * 2.0 ** (emin - p + 1) for m in range(1, 2 ** (p - 1))}
        grid |= {m * 2.0 ** (e - p + 1) for e in range(emin, 64) for m in range(2 ** (p - 1), 2 ** p)}
        grid = sorted((g for g in grid if g <= top), reverse=True)
    rows = w.reshape(1, -1) if storage == "tensor" else w.reshape(w.shape[0], -1)
    return all(float(r.abs().max()) == 0.0 or any(fits(r * g / r.abs().max()) for g in grid) for r in rows)


def bits_per_weight(shapes, f, storage):
    n = sum(math.prod(s) for s in shapes)
    scales = {"fixed": 0, "tensor": len(shapes), "channel": sum(s[0] for s in shapes)}[storage]
    return (f["bits"] * n + 32 * scales) / n


# ------------------------------------------------------------------------------------------------------------------
# models: a graph spec (nodes in evaluation order) and its tensors; an MLP becomes a spec of linear and relu nodes

def load_model(path):
    if path.endswith(".json"):
        with open(path) as fh:
            spec = json.load(fh)
        return spec, load_file(os.path.join(os.path.dirname(os.path.abspath(path)), spec["weights"]))
    tensors = load_file(path)
    idx = sorted({int(k.split(".")[0]) for k in tensors if k.endswith(".weight") and k.split(".")[0].isdigit()})
    if not idx:
        sys.exit(f"error: {path}: no nn.Sequential tensors (0.weight, 2.weight, ...)")
    nodes, prev = [], "input"
    for j, i in enumerate(idx):
        w = tensors[f"{i}.weight"]
        nodes.append({"name": f"fc{i}", "kind": "linear", "inputs": [prev], "weight": f"{i}.weight",
                      "bias": f"{i}.bias" if f"{i}.bias" in tensors else None,
                      "in_features": w.shape[1], "out_features": w.shape[0]})
        prev = f"fc{i}"
        if j < len(idx) - 1:
            nodes.append({"name": f"relu{i}", "kind": "relu", "inputs": [prev]})
            prev = f"relu{i}"
    spec = {"input": {"name": "input", "shape": [int(tensors[f"{idx[0]}.weight"].shape[1])]}, "output": prev,
            "nodes": nodes}
    return spec, tensors


def fold_batch_norm(spec, tensors):
    """Folds every batchnorm2d into the convolution feeding it (when nothing else reads that convolution)."""
    spec, tensors = copy.deepcopy(spec), dict(tensors)
    readers = {}
    for n in spec["nodes"]:
        for i in n["inputs"]:
            readers.setdefault(i, []).append(n["name"])
    by_name, rename, nodes = {n["name"]: n for n in spec["nodes"]}, {}, []
    for n in spec["nodes"]:
        n["inputs"] = [rename.get(i, i) for i in n["inputs"]]
        conv = by_name.get(n["inputs"][0])
        if n["kind"] == "batchnorm2d" and conv is not None and conv["kind"] == "conv2d" and len(readers[conv["name"]]) == 1:
            t = {k: tensors[n[k]].astype(np.float64) for k in ("weight", "bias", "running_mean", "running_var")}
            g = t["weight"] / np.sqrt(t["running_var"] + n["eps"])
            b = tensors[conv["bias"]].astype(np.float64) if conv["bias"] else 0.0
            tensors[conv["weight"]] = (tensors[conv["weight"]].astype(np.float64) * g[:, None, None, None]).astype(np.float32)
            conv["bias"] = conv["bias"] or conv["weight"].rsplit(".", 1)[0] + ".bias"
            tensors[conv["bias"]] = ((b - t["running_mean"]) * g + t["bias"]).astype(np.float32)
            rename[n["name"]] = conv["name"]
            continue
        nodes.append(n)
    spec["nodes"], spec["output"] = nodes, rename.get(spec["output"], spec["output"])
    return spec, tensors


def quantized_nodes(spec):
    return [n for n in spec["nodes"] if n["kind"] in ("conv2d", "linear")]


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


class GraphNet(nn.Module):
    """A torch module that evaluates a graph spec (PyTorch semantics, NCHW)."""

    def __init__(self, spec, tensors, dtype=torch.float32):
        super().__init__()
        self.input_name, self.output_name = spec["input"]["name"], spec["output"]
        self.plan = [(n["name"], tuple(n["inputs"])) for n in spec["nodes"]]
        self.layers = nn.ModuleDict()
        for n in spec["nodes"]:
            k = n["kind"]
            if k == "conv2d":
                m = nn.Conv2d(n["in_channels"], n["out_channels"], tuple(n["kernel_size"]), tuple(n["stride"]),
                              tuple(n["padding"]), tuple(n.get("dilation", [1, 1])), n.get("groups", 1), bias=bool(n["bias"]))
            elif k == "linear":
                w = tensors[n["weight"]]
                m = nn.Linear(w.shape[1], w.shape[0], bias=bool(n["bias"]))
            elif k == "batchnorm2d":
                m = nn.BatchNorm2d(n["num_features"], eps=n["eps"]).eval()
                m.running_mean.data = torch.tensor(tensors[n["running_mean"]], dtype=dtype)
                m.running_var.data = torch.tensor(tensors[n["running_var"]], dtype=dtype)
            elif k == "relu":
                m = nn.ReLU()
            elif k in ("maxpool2d", "avgpool2d"):
                cls = nn.MaxPool2d if k == "maxpool2d" else nn.AvgPool2d
                m = cls(tuple(n["kernel_size"]), tuple(n["stride"]), tuple(n.get("padding", [0, 0])))
            elif k == "flatten":
                m = nn.Flatten(n.get("start_dim", 1))
            elif k == "add":
                m = Add()
            else:
                raise ValueError(f"unknown node kind {k!r}")
            if k in ("conv2d", "linear", "batchnorm2d"):
                m.weight.data = torch.tensor(tensors[n["weight"]], dtype=dtype)
                if n["bias"]:
                    m.bias.data = torch.tensor(tensors[n["bias"]], dtype=dtype)
            self.layers[n["name"]] = m.to(dtype)

    def forward(self, x):
        vals = {self.input_name: x}
        for name, inputs in self.plan:
            vals[name] = self.layers[name](*[vals[i] for i in inputs])
        return vals[self.output_name]


def layer_tensors(net, spec):
    """{tensor name: float64 tensor} of the weights and biases of the conv/linear nodes of a GraphNet."""
    out = {}
    for n in quantized_nodes(spec):
        m = net.layers[n["name"]]
        w = m.quant_weight().value if hasattr(m, "quant_weight") else m.weight  # Brevitas: its quantized weight
        out[n["weight"]] = w.detach().to(torch.float64)
        if n["bias"]:
            out[n["bias"]] = m.bias.detach().to(torch.float64)
    return out


def output_metrics(out, ref, labels):
    norms = np.linalg.norm(ref, axis=1)
    keep = norms > 0
    err = float(np.mean(np.linalg.norm(out - ref, axis=1)[keep] / norms[keep]))
    acc = float(np.mean(np.argmax(out, axis=1) == labels)) if labels is not None else None
    return err, acc


# ------------------------------------------------------------------------------------------------------------------
# the peers: each returns {tensor name: quantized float64 tensor} for the folded model's conv/linear nodes

def peer_rtn(net, spec, f, storage, calib, args):
    return {k: rtn(v, f, storage) for k, v in layer_tensors(net, spec).items() if k in weight_names(spec)}


def peer_torchao(net, spec, f, storage, calib, args):
    from torchao.quantization import quant_primitives as qp
    out = {}
    for n in quantized_nodes(spec):
        w = net.layers[n["name"]].weight.detach().float()
        w2 = w.reshape(w.shape[0], -1)
        block = (1, w2.shape[1])
        if f["kind"] == "int":
            s, zp = qp.choose_qparams_affine(w2, qp.MappingType.SYMMETRIC, block, torch.int8, -f["q"], f["q"],
                                             scale_dtype=torch.float32, zero_point_dtype=torch.int8)
            qi = qp.quantize_affine(w2, block, s, zp, torch.int8, -f["q"], f["q"])
            wq = qp.dequantize_affine(qi, block, s, zp, torch.int8, -f["q"], f["q"], output_dtype=torch.float32)
        elif f["max"] == 448.0:  # e4m3: torchao's float8 weight path, one scale per row
            s = qp._choose_scale_float8(w2, list(block), torch.float8_e4m3fn)
            wq = qp._dequantize_affine_float8(qp._quantize_affine_float8(w2, s, torch.float8_e4m3fn), s)
        else:  # e2m1: torchao's floatx (FPx weight-only) path, ebits 2, mbits 1, one scale per row
            s = qp._choose_qparams_affine_floatx(w2, 2, 1)
            wq = qp._dequantize_affine_floatx(qp._quantize_affine_floatx(w2, s, 2, 1), s, 2, 1)
        out[n["weight"]] = wq.reshape(w.shape).to(torch.float64)
    return out


def brevitas_quantizer(f, storage):
    from brevitas.quant.float_base import Fp4e2m1Mixin, Fp8e4m3Mixin
    from brevitas.quant.float_quant_ocp import FpOCPWeight, FpOCPWeightPerChannelFloat, FpOCPWeightPerTensorFloat
    from brevitas.quant.scaled_int import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat
    # Scales from the weights' absmax, taken once (parameter_from_stats, at the first forward pass): Brevitas'
    # default "stats" scaling re-reads max|W| at every call, and GPTQ's updates then move the grid under it.
    frozen = dict(scaling_impl_type="parameter_from_stats")
    if f["kind"] == "int":
        return (Int8WeightPerTensorFloat if storage == "tensor" else Int8WeightPerChannelFloat).let(bit_width=f["bits"],
                                                                                                    **frozen)
    base = {"fixed": FpOCPWeight, "tensor": FpOCPWeightPerTensorFloat, "channel": FpOCPWeightPerChannelFloat}[storage]
    mixin = Fp8e4m3Mixin if f["max"] == 448.0 else Fp4e2m1Mixin
    quant = type(f"{base.__name__}_{mixin.__name__}", (base, mixin), {})
    return quant if storage == "fixed" else quant.let(**frozen)


def peer_gptq(net, spec, f, storage, calib, args):
    import brevitas.nn as qnn
    from brevitas.graph.gptq import gptq_mode
    quant = brevitas_quantizer(f, storage)
    qnet = copy.deepcopy(net)
    for n in quantized_nodes(spec):
        m = qnet.layers[n["name"]]
        common = dict(bias=m.bias is not None, weight_quant=quant, input_quant=None, output_quant=None,
                      bias_quant=None, return_quant_tensor=False)
        if isinstance(m, nn.Conv2d):
            qm = qnn.QuantConv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                                 dilation=m.dilation, groups=m.groups, **common)
        else:
            qm = qnn.QuantLinear(m.in_features, m.out_features, **common)
        qm.load_state_dict(m.state_dict(), strict=False)
        qnet.layers[n["name"]] = qm
    qnet.eval()
    with torch.no_grad():
        qnet(calib)  # initializes the quantizers
        with gptq_mode(qnet, use_quant_activations=False, act_order=args.gptq_act_order) as gptq:
            for _ in range(gptq.num_layers):
                gptq.model(calib)
                gptq.update()
    return {k: v for k, v in layer_tensors(qnet, spec).items() if k in weight_names(spec)}


def peer_adaround(net, spec, f, storage, calib, args):
    from aimet_torch.adaround.adaround_weight import Adaround, AdaroundParameters
    from aimet_torch.common.defs import QuantScheme
    from aimet_torch.nn.modules.custom import Add as AimetAdd
    config = {"defaults": {"ops": {"is_output_quantized": "True"},  # AdaRound removes activation quantizers
                           "params": {"is_quantized": "True", "is_symmetric": "True"},
                           "strict_symmetric": "False", "per_channel_quantization": str(storage == "channel")},
              "params": {"bias": {"is_quantized": "False"}}, "op_type": {}, "supergroups": [],
              "model_input": {"is_input_quantized": "True"}, "model_output": {}}
    batches = list(torch.split(calib, args.adaround_batch))
    params = AdaroundParameters(data_loader=batches, num_batches=len(batches),
                                default_num_iterations=args.adaround_iters, forward_fn=lambda model, x: model(x))
    model = copy.deepcopy(net)
    for name, m in model.layers.items():  # AIMET's own module for the residual join (its quantizers are removed)
        if isinstance(m, Add):
            model.layers[name] = AimetAdd()
    with tempfile.TemporaryDirectory(prefix="peers-aimet-") as tmp:
        cfg = os.path.join(tmp, "config.json")
        with open(cfg, "w") as fh:
            json.dump(config, fh)
        # Adaround.apply_adaround, step by step, so that the weight encodings can be put on ScaleQuant's grid:
        # AIMET's symmetric min-max encoding is step = max(max W / q, -min W / (q + 1)) on {-(q+1)..q} (its strict
        # symmetric grid is refused by quantsim v2); here step = max|W| / q (per tensor or per output channel).
        sim = Adaround._get_quantsim(model, calib[:1], QuantScheme.post_training_tf, f["bits"], cfg)
        Adaround._compute_param_encodings(sim)
        frozen = {}  # module name -> (step, qmin, qmax) of its weight encoding
        for mname, qm in sim.model.named_modules():
            pq = getattr(qm, "param_quantizers", None)
            qz = pq["weight"] if pq is not None and "weight" in pq else None
            if qz is None:
                continue
            w = qm.weight.detach()
            amax = w.abs().amax() if storage == "tensor" else w.reshape(w.shape[0], -1).abs().amax(1)
            step = (amax / f["q"]).reshape(qz.min.shape)
            qz.set_range(qz.qmin * step, qz.qmax * step)
            frozen[mname] = (qz.get_scale().detach().to(torch.float64), qz.qmin, qz.qmax)
        ada = Adaround._apply_adaround(sim, model, calib[:1], params, tmp, "adaround")
    # AIMET folds the soft-rounded weights (floor(W / step) + h(alpha)) * step into the model; deployed, the frozen
    # encoding (QuantSim with the exported encodings) rounds them: that is h >= 1/2, AdaRound's hard rounding.
    out = {}
    for n in quantized_nodes(spec):
        step, lo, hi = frozen["layers." + n["name"]]
        w = ada.layers[n["name"]].weight.detach().to(torch.float64)
        step = step.reshape([-1] + [1] * (w.dim() - 1)) if step.numel() > 1 else step.reshape(())
        out[n["weight"]] = torch.clamp(torch.round(w / step), lo, hi) * step
    return out


def weight_names(spec):
    return {n["weight"] for n in quantized_nodes(spec)}


def gptq_reference(net, spec, f, storage, calib, args, bias_column):
    """GPTQ in torch float64, a diagnostic for ScaleQuant gptq against Brevitas GPTQ (not a package): layer by
    layer in the graph's order, each layer's Hessian H = X^T X from its inputs in the network whose earlier layers
    are already quantized (im2col patches for a convolution), damping 1 % of H's mean diagonal, columns in order,
    after each column the error e = (w - q) / U_jj pushed onto the later columns with U the upper Cholesky factor
    of H^-1. Scales as this script's rtn (max|W| / top per tensor or per output row, as float32).
    bias_column False: Brevitas' conventions (the bias is no column: quantized afterwards by peer_row from the
    float bias, and the later layers' inputs see the float bias; H = 2 X^T X / n; weights of inputs that are always
    0 are set to 0 and their H_ii to 1 before the damping's mean is taken). True: ScaleQuant's (the bias is the
    last column, input constant 1, rounded last on the bias grid of the float bias, so it absorbs the mean of the
    weights' errors; the damping's mean is taken before; dead inputs' weights are rounded to nearest and push no
    error). With the same scales, each reproduces its package's output errors (docs/Peers.md)."""
    full = {}  # every tensor of the (folded) spec, float64; the quantized layers' replace theirs as GPTQ goes
    for n in spec["nodes"]:
        for k in ("weight", "bias", "running_mean", "running_var"):
            if n.get(k):
                full[n[k]] = getattr(net.layers[n["name"]], k).detach().numpy().astype(np.float64)
    x_calib = calib.to(torch.float64)
    out = {}
    for n in quantized_nodes(spec):
        qnet = GraphNet(spec, full, torch.float64).eval()
        layer = qnet.layers[n["name"]]
        seen = {}
        hook = layer.register_forward_pre_hook(lambda m, i: seen.setdefault("x", i[0]))
        with torch.no_grad():
            qnet(x_calib)
        hook.remove()
        x = seen["x"]
        if isinstance(layer, nn.Conv2d):
            x = torch.nn.functional.unfold(x, layer.kernel_size, layer.dilation, layer.padding, layer.stride)
            x = x.transpose(1, 2).reshape(-1, x.shape[1])
        w0 = torch.tensor(full[n["weight"]])
        w = w0.reshape(w0.shape[0], -1).clone()
        b0 = torch.tensor(full[n["bias"]]) if n["bias"] else None
        s = grid_scale(w0, f, storage)
        s = None if s is None else (s.reshape(-1, 1) if storage == "channel" else s)
        with_bias = bias_column and b0 is not None
        if with_bias:
            x = torch.cat([x, torch.ones(x.shape[0], 1, dtype=x.dtype)], 1)
            w = torch.cat([w, b0[:, None]], 1)
        # ScaleQuant: H = X^T X / n, damping from the mean diagonal before dead columns get H_ii = 1 (they are
        # isolated, so that 1 changes nothing else). Brevitas: H = 2 X^T X / n, dead weights set to 0, and the mean
        # taken after H_ii = 1, so its damping depends on H's scale when an input is always 0 (the digits
        # pixels that are 0 in every calibration row, channels ReLU leaves at 0).
        h = x.T @ x / x.shape[0] * (1 if bias_column else 2)
        dead = torch.diag(h) == 0
        mean_diag = torch.mean(torch.diag(h))
        h[dead, dead] = 1
        if not bias_column:
            w[:, dead] = 0
            mean_diag = torch.mean(torch.diag(h))
        h += 0.01 * mean_diag * torch.eye(h.shape[0], dtype=h.dtype)
        u = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
        q = torch.zeros_like(w)
        bias_grid = None if not with_bias else (None if storage == "fixed" else grid_scale(b0, f, "tensor"))
        for j in range(w.shape[1]):
            col = w[:, j:j + 1]
            if with_bias and j == w.shape[1] - 1:  # the bias, on its grid
                qc = (torch.clamp(torch.round(col / bias_grid), -f["q"], f["q"]) * bias_grid if f["kind"] == "int"
                      else round_float_grid(col, f) if bias_grid is None else round_float_grid(col / bias_grid, f) * bias_grid)
            elif f["kind"] == "int":
                qc = torch.clamp(torch.round(col / s), -f["q"], f["q"]) * s
            else:
                qc = round_float_grid(col, f) if s is None else round_float_grid(col / s, f) * s
            q[:, j:j + 1] = qc
            w[:, j:] -= ((col - qc) / u[j, j]) @ u[j:j + 1, j:]
        if with_bias:
            out[n["bias"]] = q[:, -1].clone()
            q = q[:, :-1]
        out[n["weight"]] = q.reshape(w0.shape)
        full[n["weight"]] = out[n["weight"]].numpy()
        if with_bias:  # Brevitas' passes see the float biases (bias_quant=None); ScaleQuant's the rounded ones
            full[n["bias"]] = out[n["bias"]].numpy()
    return out


def peer_gptq_ref(net, spec, f, storage, calib, args):
    return gptq_reference(net, spec, f, storage, calib, args, bias_column=False)


def peer_gptq_ref_bias(net, spec, f, storage, calib, args):
    return gptq_reference(net, spec, f, storage, calib, args, bias_column=True)


PEER_RUNS = {  # peer -> (label, function, storages for int formats, storages for float formats)
    "rtn": ("rtn (torch, this script)", peer_rtn, ["tensor", "channel"], ["fixed", "tensor", "channel"]),
    "torchao": ("torchao RTN", peer_torchao, ["channel"], ["channel"]),
    "gptq": ("Brevitas GPTQ", peer_gptq, ["tensor", "channel"], ["fixed", "tensor", "channel"]),
    "adaround": ("AIMET AdaRound", peer_adaround, ["tensor", "channel"], []),
    # diagnostics for the gptq comparison (not packages: never a "best peer"; shown in the gptq section only)
    "gptq-ref": ("GPTQ reference (torch, this script)", peer_gptq_ref, ["tensor", "channel"],
                 ["fixed", "tensor", "channel"]),
    "gptq-ref-bias": ("GPTQ reference, bias column (torch, this script)", peer_gptq_ref_bias, ["tensor", "channel"],
                      ["fixed", "tensor", "channel"]),
}
DIAGNOSTIC_PEERS = {"gptq-ref", "gptq-ref-bias"}


_TORCHVISION_SCHEMAS = None


def make_torchvision_importable():
    """AIMET imports torchvision. PyPI's torchvision wheels are CUDA builds: with the CPU torch their C++ ops cannot
    load, and `import torchvision` (0.28) then fails on its two unguarded fake-kernel registrations (nms, qnms).
    Defining those two schemas (no kernels) lets it import; AdaRound calls no torchvision op."""
    global _TORCHVISION_SCHEMAS
    try:
        import torchvision  # noqa: F401
    except RuntimeError:
        for k in [k for k in sys.modules if k.startswith("torchvision")]:
            del sys.modules[k]
        _TORCHVISION_SCHEMAS = torch.library.Library("torchvision", "FRAGMENT")
        for op in ("nms", "qnms"):
            _TORCHVISION_SCHEMAS.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import torchvision  # noqa: F401,F811


PEER_IMPORTS = {"torchao": ["torchao.quantization.quant_primitives"], "gptq": ["brevitas.nn", "brevitas.graph.gptq"],
                "adaround": ["aimet_torch.adaround.adaround_weight", "aimet_torch.nn.modules.custom"]}


# ------------------------------------------------------------------------------------------------------------------
# ScaleQuant's CLI

# The CLI's refusal of a per-channel format for a method that needs one grid per layer (cd, exact, l2r): such a
# (method, storage) pair is skipped, not a row.
PER_LAYER_ONLY = "needs one weight grid per layer"


class Refused(Exception):
    pass


def scalequant_storages(f):
    """ScaleQuant's storages of a format: intN has no fixed grid (its per-layer step is the 'tensor scale')."""
    return ["tensor", "channel"] if f["kind"] == "int" else ["fixed", "tensor", "channel"]


def scalequant_format(fmt, storage):
    """The CLI's format name for a storage: F (fixed grid; intN's per-layer step), F/tensor (floats), F/ch."""
    if storage == "channel":
        return fmt + "/ch"
    return fmt + "/tensor" if storage == "tensor" and FORMATS[fmt]["kind"] == "float" else fmt


def per_channel_method(method):
    """Methods that choose per-channel grids themselves (rtn-channel, rtn-channel+bc): one row, channel storage."""
    return method.lower().split("+")[0].endswith("-channel")


def run_scalequant(args, model_path, is_graph, fmt, method, work):
    """Runs the CLI once. Returns the output path, the entry of its --report results.json (bits_per_weight with
    the scales, output_relative_error, seconds of the quantization itself), its JSON output, its notes (standard
    error) and the wall seconds of the whole call."""
    tag = f"sq_{method}_{fmt}".replace("/", "_").replace("+", "_")
    out = os.path.join(work, tag + (".json" if is_graph else ".safetensors"))
    report_dir = os.path.join(work, tag + "_report")
    cmd = [args.scalequant, "quantize", model_path, "--format", fmt, "--method", method, "-o", out,
           "--dtype", "float32", "--json", "--quiet", "--report", report_dir]
    if args.labels_array is not None:
        cmd += ["--eval", args.test, args.labels]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd + ["--calib", args.calib], capture_output=True, text=True)
    if proc.returncode != 0 and "--calib is used by" in proc.stderr:  # only some methods take calibration data
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        text = (proc.stderr or proc.stdout).strip()
        message = text.splitlines()[-1] if text else f"exit status {proc.returncode}"
        raise Refused(message) if PER_LAYER_ONLY in message else RuntimeError(message)
    with open(os.path.join(report_dir, "results.json")) as fh:
        entry = json.load(fh)["results"][0]
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note")]
    return out, entry, json.loads(proc.stdout), notes, wall


def scalequant_row(model, fmt, method, storage, work, args):
    """One ScaleQuant row at a storage, or None when the CLI refuses the storage for this method."""
    f = FORMATS[fmt]
    cli_fmt = fmt if per_channel_method(method) else scalequant_format(fmt, storage)
    row = dict(model=model.label, format=fmt, storage=STORAGE_LABEL[storage], method=f"ScaleQuant {method}",
               sq_method=method, cli_format=cli_fmt, bits=bits_per_weight(model.shapes, f, storage))
    try:
        out, entry, report, notes, row["wall_seconds"] = run_scalequant(args, model.path, model.is_graph, cli_fmt,
                                                                        method, work)
        row["seconds"] = entry.get("seconds", row["wall_seconds"])
        if notes:
            row["notes"] = notes
        qspec, qtensors = load_model(out) if model.is_graph else (model.spec, load_file(out))
        row["error"], row["accuracy"] = model.evaluate(qspec, qtensors)
        row["on_grid"] = all(on_grid(torch.tensor(qtensors[n["weight"]]), f, storage) for n in quantized_nodes(qspec))
        digest = hashlib.sha256()  # of the quantized weights: rtn-channel at F must write rtn's F/ch weights
        for n in quantized_nodes(qspec):
            digest.update(np.ascontiguousarray(qtensors[n["weight"]], dtype=np.float32).tobytes())
        row["weights_sha256"] = digest.hexdigest()
        row["cli_bits"] = entry.get("bits_per_weight")
        if row["cli_bits"] is None or abs(row["cli_bits"] - row["bits"]) > 1e-9:
            print(f"warning: {model.name} {cli_fmt} {method}: the CLI reports {row['cli_bits']} bits per weight, "
                  f"this script counts {row['bits']}", file=sys.stderr)
        row["cli_error"] = report.get("eval_output_relative_error", entry.get("output_relative_error"))
        if row["cli_error"] is not None and abs(row["cli_error"] - row["error"]) > 1e-9 * max(row["error"], 1e-9):
            print(f"warning: {model.name} {cli_fmt} {method}: the CLI reports output error {row['cli_error']}, this "
                  f"script computes {row['error']}", file=sys.stderr)
    except Refused as e:
        print(f"# {model.name} {cli_fmt} ScaleQuant {method}: skipped ({e})", file=sys.stderr)
        return None
    except Exception as e:  # a failing (or unknown) method is a row, not a crash
        row["failed"] = str(e)
    print(f"# {model.name} {fmt} {row['storage']} ScaleQuant {method} ({cli_fmt}): "
          f"{row.get('error', row.get('failed'))}", file=sys.stderr)
    return row


# ------------------------------------------------------------------------------------------------------------------

def check_float_model(name, net, x, labels, meta_accuracy, args):
    """The torch module must reproduce the bundled logits (graph specs) or the accuracy recorded in the file."""
    with torch.no_grad():
        out = net(torch.tensor(x, dtype=torch.float32)).numpy().astype(np.float64)
    ref_file = REFERENCE_LOGITS.get(name) if args.test == os.path.join(DATA, "digits_test_x.npy") else None
    if ref_file:
        ref = np.load(os.path.join(DATA, ref_file)).astype(np.float64)
        rel = float(np.linalg.norm(out - ref) / np.linalg.norm(ref))
        print(f"# {name}: torch module vs {ref_file}: relative difference {rel:.2e}", file=sys.stderr)
        if rel > 1e-5:
            sys.exit(f"error: {name}: the torch module does not reproduce {ref_file} ({rel:.2e} > 1e-5)")
    if meta_accuracy is not None and labels is not None and args.labels == os.path.join(DATA, "digits_test_y.npy"):
        acc = float(np.mean(np.argmax(out, 1) == labels))
        print(f"# {name}: torch float accuracy {acc!r}, file metadata {meta_accuracy}", file=sys.stderr)
        if abs(acc - float(meta_accuracy)) > 1e-12:
            sys.exit(f"error: {name}: the torch module's accuracy {acc} is not the file's {meta_accuracy}")


def metadata_accuracy(path):
    if not path.endswith(".safetensors"):
        return None
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        return json.loads(fh.read(n)).get("__metadata__", {}).get("accuracy")


class Model:
    """One model: its spec and tensors, the BN-folded version the peers start from, the float reference outputs."""

    def __init__(self, path, x_test, calib, args):
        self.path, self.name, self.is_graph = path, os.path.basename(path), path.endswith(".json")
        self.label = os.path.splitext(self.name)[0]  # the rows' model column
        self.spec, self.tensors = load_model(path)
        shape = [-1] + list(self.spec["input"]["shape"])
        self.x = x_test.reshape(shape).astype(np.float64)
        self.calib = torch.tensor(calib.reshape(shape), dtype=torch.float32)
        self.labels = args.labels_array
        check_float_model(self.name, GraphNet(self.spec, self.tensors).eval(), self.x, self.labels,
                          metadata_accuracy(path), args)
        with torch.no_grad():
            self.ref = GraphNet(self.spec, self.tensors, torch.float64).eval()(torch.tensor(self.x)).numpy()
        self.fspec, self.ftensors = fold_batch_norm(self.spec, self.tensors)
        self.fnet = GraphNet(self.fspec, self.ftensors).eval()
        self.shapes = [self.ftensors[n["weight"]].shape for n in quantized_nodes(self.fspec)]

    def evaluate(self, spec, tensors):
        """(output error, accuracy) of a model (spec and tensors) against the float model, in float64."""
        with torch.no_grad():
            out = GraphNet(spec, tensors, torch.float64).eval()(torch.tensor(self.x)).numpy()
        return output_metrics(out, self.ref, self.labels)


def peer_row(model, fmt, peer, storage, args):
    f = FORMATS[fmt]
    label, fn, _, _ = PEER_RUNS[peer]
    row = dict(model=model.label, format=fmt, storage=STORAGE_LABEL[storage], method=label,
               bits=bits_per_weight(model.shapes, f, storage))
    if peer in DIAGNOSTIC_PEERS:
        row["diagnostic"] = True
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    try:
        t0 = time.perf_counter()
        with contextlib.nullcontext() if args.verbose else contextlib.redirect_stdout(io.StringIO()):
            qw = fn(copy.deepcopy(model.fnet), model.fspec, f, storage, model.calib, args)
        qt = dict(model.ftensors)
        for n in quantized_nodes(model.fspec):
            qt[n["weight"]] = qw[n["weight"]].numpy()
            if n["bias"] and n["bias"] in qw:  # a method that rounds the bias itself
                qt[n["bias"]] = qw[n["bias"]].numpy()
            elif n["bias"]:
                qt[n["bias"]] = np.asarray(quantize_bias(torch.tensor(model.ftensors[n["bias"]], dtype=torch.float64),
                                                         f, storage, args.bias))
        row["seconds"] = time.perf_counter() - t0
        row["error"], row["accuracy"] = model.evaluate(model.fspec, qt)
        row["on_grid"] = all(on_grid(qw[n["weight"]], f, storage) for n in quantized_nodes(model.fspec))
    except Exception as e:
        row["failed"] = f"{type(e).__name__}: {e}"
    print(f"# {model.name} {fmt} {row['storage']} {label}: {row.get('error', row.get('failed'))}", file=sys.stderr)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="a .safetensors MLP or a .json graph spec (repeatable; "
                    "default: the four bundled digits models)")
    ap.add_argument("--calib", default=os.path.join(DATA, "digits_calib_x.npy"), help="calibration inputs .npy")
    ap.add_argument("--test", default=os.path.join(DATA, "digits_test_x.npy"), help="held-out inputs .npy")
    ap.add_argument("--labels", default=None, help="held-out labels .npy (default: digits_test_y.npy with the "
                    "default --test; none otherwise)")
    ap.add_argument("--formats", default="int4,int8,e4m3,e2m1")
    ap.add_argument("--methods", default=DEFAULT_METHODS, help="ScaleQuant methods (passed to the CLI as given), "
                    "each at every storage the CLI accepts it for")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"peer runs, from {','.join(PEERS)} ('' for none)")
    ap.add_argument("--scalequant", default=os.path.join(ROOT, ".build", "release", "scalequant"),
                    help="the scalequant binary ('' to skip ScaleQuant)")
    ap.add_argument("--bias", choices=["format", "float"], default="format",
                    help="peers' biases: quantized after the method as ScaleQuant does (default), or kept float")
    ap.add_argument("--adaround-iters", type=int, default=None, help="AdaRound iterations per layer (default: "
                    "AIMET's, 10000 for 8-bit weights, 15000 below)")
    ap.add_argument("--adaround-batch", type=int, default=32)
    ap.add_argument("--gptq-act-order", action="store_true", help="Brevitas GPTQ act_order (default off)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1: reproducible sums)")
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    ap.add_argument("--verbose", action="store_true", help="show the packages' logs and warnings")
    ap.add_argument("--rows-from", metavar="JSON", help="reprint the table, the checks and the summary of a run "
                    "saved with --json (nothing is run)")
    args = ap.parse_args()
    if args.rows_from:
        with open(args.rows_from) as fh:
            rows = json.load(fh)["rows"]
        print_table(rows)
        print_checks(rows)
        print("\n" + "\n".join(summary_lines(rows)))
        return
    if args.labels is None and args.test == os.path.join(DATA, "digits_test_x.npy"):
        args.labels = os.path.join(DATA, "digits_test_y.npy")
    args.labels_array = np.load(args.labels).astype(np.int64) if args.labels else None
    formats = [s for s in args.formats.split(",") if s]
    methods = [s for s in args.methods.split(",") if s] if args.scalequant else []
    peers = [s for s in args.peers.split(",") if s]
    for bad in [f for f in formats if f not in FORMATS] + [p for p in peers if p not in PEER_RUNS]:
        sys.exit(f"error: unknown format or peer {bad!r}")
    if methods and not os.access(args.scalequant, os.X_OK):
        sys.exit(f"error: no scalequant binary at {args.scalequant}: `swift build -c release --product scalequant` "
                 f"or pass --scalequant PATH ('' to skip)")
    if not args.verbose:
        warnings.filterwarnings("ignore")
        logging.disable(logging.WARNING)
    torch.set_num_threads(args.threads)
    if "adaround" in peers:
        make_torchvision_importable()
    for peer in peers:  # imported once, before any timing
        for module in PEER_IMPORTS.get(peer, []):
            importlib.import_module(module)

    x_test, calib = np.load(args.test), np.load(args.calib)
    rows = []
    for model_path in args.model or [os.path.join(MODELS, m) for m in DEFAULT_MODELS]:
        model = Model(model_path, x_test, calib, args)
        rows.append(dict(model=model.label, format="float32", storage="-", bits=32.0, seconds=0.0,
                         method="float (BN folded)" if model.fspec != model.spec else "float",
                         **dict(zip(("error", "accuracy"), model.evaluate(model.fspec, model.ftensors)))))
        with tempfile.TemporaryDirectory(prefix="peers-sq-") as work:
            for fmt in formats:
                for storage in ["fixed", "tensor", "channel"]:
                    if storage in scalequant_storages(FORMATS[fmt]):
                        for method in methods:
                            if per_channel_method(method) and storage != "channel":
                                continue  # its own per-channel grids: one row, in the channel storage
                            row = scalequant_row(model, fmt, method, storage, work, args)
                            if row is not None:
                                rows.append(row)
                    for peer in peers:
                        _, _, int_storages, float_storages = PEER_RUNS[peer]
                        if storage in (int_storages if FORMATS[fmt]["kind"] == "int" else float_storages):
                            rows.append(peer_row(model, fmt, peer, storage, args))
    print_table(rows)
    checks = print_checks(rows)
    print("\n" + "\n".join(summary_lines(rows)))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"command": " ".join(sys.argv), "versions": versions(args), "bias": args.bias,
                       "adaround_iters": args.adaround_iters, "checks": checks, "rows": rows}, fh, indent=1)


def print_checks(rows):
    """The cross-checks of a run, to standard error: the CLI's output errors and bits per weight against this
    script's, ScaleQuant rtn against this script's rtn at the same storage, rtn-channel against rtn at F/ch."""
    ok = [r for r in rows if "failed" not in r]
    sq = [r for r in ok if r.get("sq_method")]

    def rel(a, b):
        return abs(a - b) / max(abs(b), 1e-300)

    checks = {
        "cli_error_max_relative_difference": max((rel(r["cli_error"], r["error"]) for r in sq
                                                  if r.get("cli_error") is not None), default=None),
        "cli_bits_max_difference": max((abs(r["cli_bits"] - r["bits"]) for r in sq if r.get("cli_bits") is not None),
                                       default=None),
        "scalequant_rows_off_grid": sum(not r.get("on_grid", True) for r in sq),
        "peer_rows_off_grid": sum(not r.get("on_grid", True) for r in ok if not r.get("sq_method")),
    }
    by_key = {(r["model"], r["format"], r["storage"], r["method"]): r for r in ok}
    pairs = {"rtn_vs_script_rtn": [], "rtn_channel_vs_rtn_ch": []}
    same_weights = []
    for (m, fmt, st, meth), r in by_key.items():
        if meth == "ScaleQuant rtn":
            ref = by_key.get((m, fmt, st, "rtn (torch, this script)"))
            if ref:
                pairs["rtn_vs_script_rtn"].append((rel(r["error"], ref["error"]), f"{m} {r['cli_format']}"))
        if meth == "ScaleQuant rtn-channel":
            ref = by_key.get((m, fmt, st, "ScaleQuant rtn"))
            if ref:
                pairs["rtn_channel_vs_rtn_ch"].append((rel(r["error"], ref["error"]), f"{m} {fmt}"))
                same_weights.append(r.get("weights_sha256") == ref.get("weights_sha256"))
    for name, values in pairs.items():
        worst = max(values, default=None)
        checks[name + "_max_relative_difference"] = worst[0] if worst else None
        checks[name + "_worst"] = worst[1] if worst else None
        checks[name + "_pairs"] = len(values)
    # rtn-channel at F and rtn at F/ch quantize the weights alike; their biases differ for floats (rtn-channel
    # keeps F's fixed grid for them, F/ch gives them a per-layer scale), so only intN has equal errors
    checks["rtn_channel_same_weights_as_rtn_ch"] = f"{sum(same_weights)} of {len(same_weights)}"
    for k, v in checks.items():
        print(f"# check: {k} = {v}", file=sys.stderr)
    return checks


PEER_METHODS = ["Brevitas GPTQ", "AIMET AdaRound", "torchao RTN", "rtn (torch, this script)"]
PEER_SHORT = {"Brevitas GPTQ": "GPTQ", "AIMET AdaRound": "AdaRound", "torchao RTN": "torchao", "rtn (torch, this script)": "RTN"}
STORAGE_ORDER = ["tensor, fixed grid", "tensor scale", "channel scale"]


def summary_lines(rows):
    """The summary section (markdown): per model, format and storage, ScaleQuant `data` and the best ScaleQuant
    method against the best peer at the same storage; ScaleQuant `gptq` against Brevitas GPTQ."""
    ok = [r for r in rows if "failed" not in r and r["storage"] != "-"]
    groups = {}
    for r in ok:
        groups.setdefault((r["model"], r["format"], r["storage"]), []).append(r)
    keys = sorted(groups, key=lambda k: (list(dict.fromkeys(r["model"] for r in rows)).index(k[0]),
                                        list(dict.fromkeys(r["format"] for r in rows)).index(k[1]),
                                        STORAGE_ORDER.index(k[2])))

    def g(x):
        return f"{x:.4g}"

    out = ["### Summary: ScaleQuant against the best peer at the same storage", "",
           "Best peer = lowest output error among Brevitas GPTQ, AIMET AdaRound, torchao RTN and this script's RTN at "
           "that storage; ratios are output errors, ScaleQuant's over the peer's, **bold** where ScaleQuant's is "
           "not higher.", "",
           "| model | format | storage | ScaleQuant data | best ScaleQuant (method) | best peer | data / peer | "
           "best ScaleQuant / peer |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    count = {"data": [0, 0], "best": [0, 0]}
    per_storage = {s: {"data": [0, 0], "best": [0, 0]} for s in STORAGE_ORDER}
    winners = {}
    gptq_pairs = []
    for key in keys:
        rs = groups[key]
        sq = [r for r in rs if r.get("sq_method")]
        peers = [r for r in rs if r["method"] in PEER_METHODS]
        data = next((r for r in sq if r["sq_method"] == "data"), None)
        best_sq = min(sq, key=lambda r: r["error"], default=None)
        best_peer = min(peers, key=lambda r: r["error"], default=None)
        sq_gptq = next((r for r in sq if r["sq_method"] == "gptq"), None)
        br_gptq = next((r for r in peers if r["method"] == "Brevitas GPTQ"), None)
        refs = [next((r["error"] for r in rs if r["method"] == PEER_RUNS[p][0]), None) for p in ("gptq-ref", "gptq-ref-bias")]
        if sq_gptq and br_gptq:
            gptq_pairs.append((key, sq_gptq["error"], br_gptq["error"], refs))
        if best_peer is None or best_sq is None:
            continue
        cells = []
        for name, r in (("data", data), ("best", best_sq)):
            if r is None:
                cells.append("n/a")
                continue
            ratio = r["error"] / best_peer["error"] if best_peer["error"] > 0 else float("inf")
            count[name][1] += 1
            per_storage[key[2]][name][1] += 1
            if r["error"] <= best_peer["error"]:
                count[name][0] += 1
                per_storage[key[2]][name][0] += 1
            cells.append(f"**{ratio:.2f}**" if ratio <= 1 else f"{ratio:.2f}")
        winners[best_sq["sq_method"]] = winners.get(best_sq["sq_method"], 0) + 1
        peer_text = f"{g(best_peer['error'])} {PEER_SHORT[best_peer['method']]}"
        out.append(f"| {key[0]} | {key[1]} | {key[2]} | {g(data['error']) if data else 'n/a'} | "
                   f"{g(best_sq['error'])} {best_sq['sq_method']} | {peer_text} | {cells[0]} | {cells[1]} |")

    def split(name):
        text = ", ".join(f"{s}: {v[name][0]} of {v[name][1]}" for s, v in per_storage.items() if v[name][1])
        return f" ({text})" if text else ""

    out += ["", f"- **data ≤ best peer in {count['data'][0]} of {count['data'][1]}**{split('data')}.",
            f"- **best ScaleQuant method ≤ best peer in {count['best'][0]} of {count['best'][1]}**{split('best')}.",
            "- The best ScaleQuant method per row: " + ", ".join(f"`{m}` {n}" for m, n in
                                                                 sorted(winners.items(), key=lambda t: -t[1])) + "."]
    if gptq_pairs:
        with_refs = any(r is not None for *_, refs in gptq_pairs for r in refs)
        out += ["", "### ScaleQuant gptq against Brevitas GPTQ, same storage", ""]
        if with_refs:
            out += ["The two references are this script's GPTQ in float64 (`gptq_reference`): *ref* with Brevitas' "
                    "conventions (no bias column: the bias is rounded afterwards from the float bias; H = 2XᵀX/n, weights "
                    "of always-zero inputs set to 0 and their H_ii set to 1 before the damping's mean is taken), "
                    "*ref+bias* with ScaleQuant's (the bias is the last column, input 1, so it absorbs the mean of the "
                    "weights' rounding errors; the damping's mean is taken before). Both: damping 1 % of the mean "
                    "diagonal, columns in order, the same scales.", ""]
        out += ["| model | format | storage | ScaleQuant gptq | Brevitas GPTQ | ScaleQuant / Brevitas |"
                + (" ref | ref+bias | Brevitas / ref | ScaleQuant / ref+bias |" if with_refs else ""),
                "| --- | --- | --- | ---: | ---: | ---: |" + (" ---: | ---: | ---: | ---: |" if with_refs else "")]
        ratios, brev_ref, sq_ref = [], [], []
        for key, a, b, (ra, rb) in gptq_pairs:
            ratios.append(a / b)
            line = f"| {key[0]} | {key[1]} | {key[2]} | {g(a)} | {g(b)} | {a / b:.3f} |"
            if with_refs:
                line += (f" {g(ra) if ra else 'n/a'} | {g(rb) if rb else 'n/a'} | "
                         f"{b / ra:.3f} | " if ra else " n/a | n/a | n/a | ") + (f"{a / rb:.3f} |" if rb else "n/a |")
                if ra:
                    brev_ref.append(b / ra)
                if rb:
                    sq_ref.append(a / rb)
            out.append(line)

        def spread(v):
            v = sorted(v)
            med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
            return f"{v[0]:.3f}–{v[-1]:.3f}, median {med:.3f}"

        out += ["", f"- ScaleQuant gptq has the lower error in {sum(x < 1 for x in ratios)} of {len(ratios)}; "
                f"ScaleQuant / Brevitas {spread(ratios)}; within 10 % in {sum(abs(x - 1) <= 0.1 for x in ratios)} "
                f"of {len(ratios)}."]
        if brev_ref and sq_ref:
            out += [f"- Brevitas / ref {spread(brev_ref)} (within 2 % in {sum(abs(x - 1) <= 0.02 for x in brev_ref)} "
                    f"of {len(brev_ref)}); ScaleQuant / ref+bias {spread(sq_ref)} (within 2 % in "
                    f"{sum(abs(x - 1) <= 0.02 for x in sq_ref)} of {len(sq_ref)})."]
    return out


def versions(args):
    v = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    try:  # the commit of the checkout the CLI is built from (the default binary lives in it)
        v["scalequant_checkout"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                                  capture_output=True, text=True).stdout.strip() or None
    except OSError:
        v["scalequant_checkout"] = None
    from importlib.metadata import PackageNotFoundError, version
    for pkg in ("brevitas", "aimet-torch", "torchao", "torchvision"):
        try:
            v[pkg] = version(pkg)
        except PackageNotFoundError:
            v[pkg] = None
    return v


def print_table(rows):
    print("| model | format | storage | method / package | output error | accuracy | bits/weight | seconds |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        if r.get("diagnostic"):
            continue  # the GPTQ references: in the summary's gptq section
        method = f"{r['method']} ({r['cli_format']})" if r.get("cli_format") else r["method"]
        if "failed" in r:
            print(f"| {r['model']} | {r['format']} | {r['storage']} | {method} | failed: "
                  f"{r['failed'].splitlines()[0][:160]} | | "
                  f"{r['bits']:.3f} | |")
            continue
        mark = "" if r.get("on_grid", True) else " (off grid!)"
        acc = "" if r["accuracy"] is None else f"{r['accuracy']:.4f}"
        print(f"| {r['model']} | {r['format']} | {r['storage']} | {method}{mark} | {r['error']:.4g} | {acc} | "
              f"{r['bits']:.3f} | {r['seconds']:.2f} |")


if __name__ == "__main__":
    main()
