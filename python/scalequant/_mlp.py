"""Quantization of a ReLU multilayer perceptron given as an ``nn.Sequential`` state dict (:func:`quantize_mlp`)."""
import ctypes

import numpy as np

from . import _lib
from ._support import ScaleQuantError, ScaleQuantTypeError, _call, _name, _ptr, _to_numpy

#: Method names of :func:`quantize_mlp` and their C codes (``sq_quantize_mlp``).
MLP_METHODS = {"rtn": 0, "cle": 1, "exact": 2, "l2r": 3, "cd": 4}
_MLP_ALIASES = {"left_to_right": "l2r", "left-to-right": "l2r", "round": "rtn", "coordinate_descent": "cd",
                "coordinate-descent": "cd"}


def _sequential_layers(state):
    """[(index, weight_name, bias_name or None)] ordered by the integer prefix, as the CLI maps names."""
    weights, biases, stray = {}, {}, []
    for name in state.keys():
        if not isinstance(name, str):
            raise ScaleQuantTypeError("tensor names must be str, got %s" % type(name).__name__)
        parts = name.split(".")
        if len(parts) == 2 and parts[0].isascii() and parts[0].isdigit() and parts[1] in ("weight", "bias"):
            (weights if parts[1] == "weight" else biases)[int(parts[0])] = name
        else:
            stray.append(name)
    if stray:
        raise ScaleQuantError("tensors %s do not follow nn.Sequential names (N.weight, N.bias)" % sorted(stray))
    for k in sorted(biases):
        if k not in weights:
            raise ScaleQuantError("missing weight: '%s' has no matching weight '%d.weight'" % (biases[k], k))
    if not weights:
        raise ScaleQuantError("no N.weight tensors found")
    return [(k, weights[k], biases.get(k)) for k in sorted(weights)]


def _restore_dtype(values, dtype):
    """``values`` (float64) in ``dtype`` when that floating dtype holds every value exactly, else float64."""
    if dtype.kind == "f" and dtype != np.float64:
        with np.errstate(over="ignore", invalid="ignore"):
            cast = values.astype(dtype)
        if np.array_equal(cast.astype(np.float64), values):
            return cast
    return values


def _calibration(calib, inputs):
    """Calibration inputs as a C-contiguous float64 (N, inputs) array; a 1-D array of length ``inputs`` is one
    sample (as ``scalequant quantize --calib`` reads it)."""
    x = _to_numpy(calib, "calib").astype(np.float64, order="C", copy=False)
    if x.ndim == 1 and x.shape[0] == inputs:
        x = x.reshape(1, inputs)
    if x.ndim != 2 or x.shape[1] != inputs:
        raise ScaleQuantError("calib has shape %s, expected (N, %d): one calibration input per row, as many "
                              "columns as the first layer has inputs" % (tuple(x.shape), inputs))
    if x.shape[0] == 0:
        raise ScaleQuantError("calib is empty (shape %s): give at least one calibration input" % (tuple(x.shape),))
    return np.ascontiguousarray(x)


def quantize_mlp(state_dict_like, fmt, method="cd", bias_fmt=None, calib=None):
    """Quantize a ReLU multilayer perceptron given as a PyTorch ``nn.Sequential`` state dict.

    The network is x ↦ W_L ReLU(⋯ ReLU(W_1 x + b_1) ⋯) + b_L (a ReLU after every layer but the last). The
    result is the one of ``scalequant quantize MODEL --format FMT --method METHOD --json`` (with ``--calib X.npy``
    for ``data``) on the same tensors (C functions ``sq_quantize_mlp``, ``sq_quantize_mlp_data``).

    Parameters
    ----------
    state_dict_like : mapping
        Names → arrays in ``nn.Sequential`` layout: ``"0.weight"`` (out × in), ``"0.bias"`` (out),
        ``"2.weight"``, … with any increasing non-negative integer prefixes (the gaps of ReLU modules are fine);
        consecutive layers must chain (in of one = out of the previous). Biases are optional (zeros). Values may be
        NumPy arrays, anything ``numpy.asarray`` accepts, or torch tensors (read with ``.detach().cpu().numpy()``;
        torch is never imported). Real floating or integer dtypes; NaN and infinities are rejected.
    fmt : str
        Weight format (see :func:`format_info`). ``"intN"`` without ``@STEP`` is a symmetric integer grid with a
        per-layer step max|W_ℓ|/(2^(N−1) − 1), taken as the CLI does (from the input for rtn, the equalized
        network for cle, the rescaling-invariant normal form for exact, l2r and cd).
    method : {"cd", "l2r", "exact", "cle", "rtn", "data"}
        ``rtn`` round to nearest; ``cle`` cross-layer equalization then rtn; ``exact`` global minimum of the ℓ²
        path-metric (exactly one hidden layer, else raises with code 4); ``l2r`` left to right (per neuron the
        cosine-optimal scaling pushed forward, last pair exact); ``cd`` exact coordinate descent on the ℓ²
        path-metric (at most 50 sweeps, the CLI's default), started from l2r; ``data`` data-aware: minimizes the
        output error on ``calib`` by exact per-neuron searches over each hidden neuron's rescaling family,
        coordinate descent started from cd's (or RTN's, if better on ``calib``) result, at most 50 sweeps per
        layer (needs ``calib``).
    bias_fmt : str, optional
        Bias format (default: ``fmt``).
    calib : array_like, optional
        Calibration inputs of method ``"data"``: shape (N, n₀) with n₀ the input width of the first layer (one
        input per row; a 1-D array of length n₀ is one input, as the CLI reads ``--calib``), N ≥ 1, finite, any
        real dtype or a torch tensor. Ignored by the other methods.

    Returns
    -------
    quantized : dict
        The same keys in the same order (plus ``"N.bias"`` if an absent bias became non-zero, as the CLI writes
        it), each value a NumPy array of the input's shape: in the input's floating dtype when that dtype holds
        every quantized value exactly (e.g. float32 in, e4m3 values out), else float64 (always float64 for integer
        inputs). Every weight lies on the weight grid and every bias on the bias grid.
    info : dict
        ``method``, ``format``, ``bias_format``, ``l2_path_metric`` ‖Φ(θ) − Φ(θ̂)‖₂ (absolute),
        ``relative_l2_path_metric`` (divided by ‖Φ(θ)‖₂; 0 for a zero network), ``l1_path_metric_bound`` and
        ``certified_output_bound`` (bound on ‖R_θ(x) − R_θ̂(x)‖₁ over ‖x‖_∞ ≤ 1; None when the signs of θ and θ̂
        disagree), ``radius`` (1.0), ``sweeps`` (coordinate-descent sweeps for cd, data-aware sweeps summed over
        the hidden layers for data, 0 for other methods) — the keys and values of ``scalequant quantize --json``
        (which prints ``sweeps`` for cd and data only).

    Raises
    ------
    ScaleQuantError
        Names not in ``nn.Sequential`` layout, a bias without its weight, a non-2-D weight, a bias of the wrong
        shape, layers that do not chain, NaN/inf (code 3), unknown method or format (code 2), ``exact`` with more
        or fewer than one hidden layer (code 4, the CLI's message), a network beyond the rank-one solver's limits
        (code 4). For ``data``: ``calib`` missing (code None), of the wrong shape or empty (code None), with a NaN
        or infinite value (code 3, its flat index in the message), a format whose per-neuron search would list more
        than 2^24 rounding boundaries (binary32, binary64, wide integers; code 4), activations on ``calib``
        beyond 2^256 (code 4).
    ScaleQuantTypeError
        Not a mapping, or an unsupported dtype (of a tensor or of ``calib``).
    """
    if not isinstance(method, str):
        raise ScaleQuantTypeError("method must be a str, got %s" % type(method).__name__)
    key = _MLP_ALIASES.get(method.lower(), method.lower())
    if key not in MLP_METHODS and key != "data":
        raise ScaleQuantError("unknown method %r (expected one of %s, data)" % (method, ", ".join(MLP_METHODS)))
    if key == "data":
        if calib is None:
            raise ScaleQuantError("method 'data' needs calibration inputs: calib=X with shape (N, inputs)")
        if not _lib.has_quantize_mlp_data:
            raise ScaleQuantError("the loaded library %s has no sq_quantize_mlp_data (C interface revision %d < 1); "
                                  "reinstall the package" % (_lib.lib_path, _lib.revision))
    if not hasattr(state_dict_like, "keys") or not hasattr(state_dict_like, "__getitem__"):
        raise ScaleQuantTypeError("state_dict_like must be a mapping of names to arrays, got %s"
                                  % type(state_dict_like).__name__)
    if not _lib.has_quantize_mlp:
        raise ScaleQuantError("the loaded library %s has no sq_quantize_mlp; reinstall the package" % _lib.lib_path)
    w_name, b_name = _name(fmt), None if bias_fmt is None else _name(bias_fmt, "bias_fmt")
    layers = _sequential_layers(state_dict_like)
    arrays = {}
    weights, biases, widths = [], [], []
    previous = None
    for k, wn, bn in layers:
        w = _to_numpy(state_dict_like[wn], wn)
        arrays[wn] = w
        if w.ndim != 2:
            raise ScaleQuantError("shape mismatch: '%s' has shape %s, expected 2-D (out × in)" % (wn, w.shape))
        if w.shape[0] < 1 or w.shape[1] < 1:
            raise ScaleQuantError("shape mismatch: '%s' has shape %s (empty layer)" % (wn, w.shape))
        if previous is None:
            widths.append(w.shape[1])
        elif w.shape[1] != previous[1]:
            raise ScaleQuantError("shape mismatch: '%s' has %d inputs but '%s' has %d outputs"
                                  % (wn, w.shape[1], previous[0], previous[1]))
        widths.append(w.shape[0])
        previous = (wn, w.shape[0])
        if bn is None:
            b = np.zeros(w.shape[0])
        else:
            b = _to_numpy(state_dict_like[bn], bn)
            arrays[bn] = b
            if b.shape != (w.shape[0],):
                raise ScaleQuantError("shape mismatch: '%s' has shape %s, expected (%d,)" % (bn, b.shape, w.shape[0]))
        for name, a in ((wn, w), (bn, b)):
            bad = np.flatnonzero(~np.isfinite(a.astype(np.float64, copy=False).ravel()))
            if bad.size:
                raise ScaleQuantError("%s[%d] is %r (NaN and infinities are not accepted)"
                                      % (name, bad[0], float(a.ravel()[bad[0]])), code=3)
        weights.append(np.ascontiguousarray(w, dtype=np.float64).ravel())
        biases.append(np.ascontiguousarray(b, dtype=np.float64).ravel())
    wv, bv = np.concatenate(weights), np.concatenate(biases)
    wd = np.array(widths, dtype=np.int64)
    ow, ob, stats = np.empty_like(wv), np.empty_like(bv), np.empty(5)
    if key == "data":
        x = _calibration(calib, widths[0])
        _call(_lib.lib.sq_quantize_mlp_data, len(layers), _ptr(wd, ctypes.c_int64), _ptr(wv), _ptr(bv), w_name,
              b_name, _ptr(x), x.shape[0], _ptr(ow), _ptr(ob), _ptr(stats))
    else:
        _call(_lib.lib.sq_quantize_mlp, len(layers), _ptr(wd, ctypes.c_int64), _ptr(wv), _ptr(bv), w_name, b_name,
              MLP_METHODS[key], _ptr(ow), _ptr(ob), _ptr(stats))
    results = {}
    wo = bo = 0
    for l, (k, wn, bn) in enumerate(layers):
        n_out, n_in = widths[l + 1], widths[l]
        qw = ow[wo:wo + n_out * n_in].reshape(n_out, n_in).copy()
        qb = ob[bo:bo + n_out].copy()
        wo += n_out * n_in
        bo += n_out
        results[wn] = _restore_dtype(qw, arrays[wn].dtype)
        if bn is not None:
            results[bn] = _restore_dtype(qb, arrays[bn].dtype)
        elif np.any(qb != 0):
            results["%d.bias" % k] = _restore_dtype(qb, arrays[wn].dtype)
    quantized = {name: results[name] for name in state_dict_like.keys()}
    for name, v in results.items():
        quantized.setdefault(name, v)

    def opt(v):
        return None if np.isnan(v) else float(v)
    info = {
        "method": key, "format": fmt, "bias_format": fmt if bias_fmt is None else bias_fmt,
        "l2_path_metric": float(stats[0]), "relative_l2_path_metric": float(stats[1]),
        "l1_path_metric_bound": opt(stats[2]), "certified_output_bound": opt(stats[3]), "radius": 1.0,
        "sweeps": int(stats[4]),
    }
    return quantized, info
